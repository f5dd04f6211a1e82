package broker

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/rocketgo/rocketgo/internal/config"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store/jsonfile"
)

// topicTable is the broker's topic configuration (upstream
// TopicConfigManager): every topic with its queue counts, permission and
// filter type, persisted to topics.json on every change. Changes bump the
// DataVersion and call onChange so the broker re-registers at once.
type topicTable struct {
	path     string
	now      func() time.Time
	onChange func()

	mu      sync.RWMutex
	topics  map[string]protocol.TopicConfig
	version protocol.DataVersion
	// system holds the names the broker refuses to let admins create or
	// delete: the fixed system topics plus its cluster and broker names.
	system map[string]bool
}

// topicFile is the content of topics.json.
type topicFile struct {
	DataVersion      protocol.DataVersion            `json:"dataVersion"`
	TopicConfigTable map[string]protocol.TopicConfig `json:"topicConfigTable"`
}

func newTopicTable(configDir string, now func() time.Time) *topicTable {
	return &topicTable{
		path:     filepath.Join(configDir, "topics.json"),
		now:      now,
		onChange: func() {},
		topics:   map[string]protocol.TopicConfig{},
		version:  protocol.NewDataVersion(now()),
		system:   map[string]bool{},
	}
}

// load reads topics.json (or its backup), then adds the built-in topics
// the configuration asks for, as upstream does at every start.
func (t *topicTable) load(cfg *config.Broker) error {
	var f topicFile
	if _, err := jsonfile.Read(t.path, &f); err != nil {
		return fmt.Errorf("load topics: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for name, tc := range f.TopicConfigTable {
		if tc.TopicName == "" {
			tc.TopicName = name
		}
		t.topics[name] = tc
	}
	if f.DataVersion.Timestamp != 0 {
		t.version = f.DataVersion
	}
	if !cfg.AutoCreateTopicEnable {
		// Without auto-creation TBW102 must not offer the inherit bit.
		delete(t.topics, protocol.TopicAutoCreate)
	}
	for _, tc := range builtinTopics(cfg) {
		t.system[tc.TopicName] = true
		t.topics[tc.TopicName] = tc
	}
	// The built-in topics may differ from the last run (another
	// defaultTopicQueueNums, say): a new version makes name servers that
	// still hold the old table take the new one.
	t.version.Next(t.now())
	return t.persistLocked()
}

// builtinTopics are the topics every broker has, as upstream creates them
// at start; TBW102 only when autoCreateTopicEnable.
func builtinTopics(cfg *config.Broker) []protocol.TopicConfig {
	var out []protocol.TopicConfig
	sys := func(name string, queues, perm int32) {
		tc := protocol.NewTopicConfig(name)
		tc.ReadQueueNums, tc.WriteQueueNums, tc.Perm = queues, queues, perm
		out = append(out, tc)
	}
	if cfg.AutoCreateTopicEnable {
		sys(protocol.TopicAutoCreate, int32(cfg.DefaultTopicQueueNums), protocol.PermRead|protocol.PermWrite|protocol.PermInherit)
	}
	sys(protocol.TopicSelfTest, 1, protocol.PermRead|protocol.PermWrite)
	sys(protocol.TopicBenchmark, 1024, protocol.PermRead|protocol.PermWrite)
	clusterPerm, brokerPerm := int32(protocol.PermInherit), int32(protocol.PermInherit)
	if cfg.ClusterTopicEnable {
		clusterPerm |= protocol.PermRead | protocol.PermWrite
	}
	if cfg.BrokerTopicEnable {
		brokerPerm |= protocol.PermRead | protocol.PermWrite
	}
	sys(cfg.BrokerClusterName, 16, clusterPerm)
	sys(cfg.BrokerName, 1, brokerPerm)
	sys(protocol.TopicOffsetMovedEvent, 1, protocol.PermRead|protocol.PermWrite)
	sys(protocol.TopicSchedule, 18, protocol.PermRead|protocol.PermWrite)
	sys(cfg.BrokerClusterName+protocol.ReplyTopicSuffix, 1, protocol.PermRead|protocol.PermWrite)
	if cfg.TraceTopicEnable {
		sys(cfg.MsgTraceTopicName, 1, protocol.PermRead|protocol.PermWrite)
	}
	return out
}

// applyConfig brings the built-in topics in line with a configuration
// changed at run time (autoCreateTopicEnable adds or removes TBW102,
// defaultTopicQueueNums sizes it, clusterTopicEnable and brokerTopicEnable
// set the permission of the cluster and broker-name topics,
// traceTopicEnable adds the trace topic). A change is persisted and
// announced to the name servers at once.
func (t *topicTable) applyConfig(cfg *config.Broker) error {
	t.mu.Lock()
	changed := false
	if _, ok := t.topics[protocol.TopicAutoCreate]; ok && !cfg.AutoCreateTopicEnable {
		delete(t.topics, protocol.TopicAutoCreate)
		changed = true
	}
	for _, tc := range builtinTopics(cfg) {
		if cur, ok := t.topics[tc.TopicName]; !ok || cur != tc {
			t.system[tc.TopicName] = true
			t.topics[tc.TopicName] = tc
			changed = true
		}
	}
	if !changed {
		t.mu.Unlock()
		return nil
	}
	t.version.Next(t.now())
	err := t.persistLocked()
	t.mu.Unlock()
	t.onChange()
	return err
}

// touch bumps the DataVersion and re-registers at once, as upstream does
// when brokerPermission changes: name servers then take the new table.
func (t *topicTable) touch() error {
	t.mu.Lock()
	t.version.Next(t.now())
	err := t.persistLocked()
	t.mu.Unlock()
	t.onChange()
	return err
}

// persistLocked writes topics.json; t.mu must be held.
func (t *topicTable) persistLocked() error {
	f := topicFile{DataVersion: t.version, TopicConfigTable: t.topics}
	if err := jsonfile.Write(t.path, &f); err != nil {
		return fmt.Errorf("persist topics: %w", err)
	}
	return nil
}

// isSystem reports whether admins may not create or delete name.
func (t *topicTable) isSystem(name string) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.system[name] || protocol.IsSystemTopic(name)
}

func (t *topicTable) get(name string) (protocol.TopicConfig, bool) {
	t.mu.RLock()
	tc, ok := t.topics[name]
	t.mu.RUnlock()
	return tc, ok
}

// names returns every topic name, sorted.
func (t *topicTable) names() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return slices.Sorted(maps.Keys(t.topics))
}

// snapshot returns the table and its version, for registration and
// GET_ALL_TOPIC_CONFIG.
func (t *topicTable) snapshot() protocol.TopicConfigSerializeWrapper {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return protocol.TopicConfigSerializeWrapper{DataVersion: t.version, TopicConfigTable: maps.Clone(t.topics)}
}

// put creates or replaces a topic (UPDATE_AND_CREATE_TOPIC and the other
// creation paths), persists and announces the change.
func (t *topicTable) put(tc protocol.TopicConfig) error {
	t.mu.Lock()
	old, existed := t.topics[tc.TopicName]
	if existed && old == tc {
		t.mu.Unlock()
		return nil
	}
	t.topics[tc.TopicName] = tc
	t.version.Next(t.now())
	err := t.persistLocked()
	t.mu.Unlock()
	t.onChange()
	return err
}

// remove deletes a topic; it reports whether it existed.
func (t *topicTable) remove(name string) (bool, error) {
	t.mu.Lock()
	if _, ok := t.topics[name]; !ok {
		t.mu.Unlock()
		return false, nil
	}
	delete(t.topics, name)
	t.version.Next(t.now())
	err := t.persistLocked()
	t.mu.Unlock()
	t.onChange()
	return true, err
}

// createOnSend is upstream's createTopicInSendMessageMethod: a producer
// sends to an unknown topic naming a template (TBW102). The template must
// exist here and carry the inherit bit; the new topic gets
// min(clientQueueNums, template write queues) queues and the template's
// permission without the inherit bit.
func (t *topicTable) createOnSend(topic, template string, clientQueueNums, topicSysFlag int32) (protocol.TopicConfig, bool, error) {
	t.mu.RLock()
	if tc, ok := t.topics[topic]; ok {
		t.mu.RUnlock()
		return tc, true, nil
	}
	def, ok := t.topics[template]
	t.mu.RUnlock()
	if !ok || !protocol.PermInherited(def.Perm) {
		return protocol.TopicConfig{}, false, nil
	}
	queues := min(max(clientQueueNums, 1), def.WriteQueueNums)
	tc := protocol.NewTopicConfig(topic)
	tc.ReadQueueNums, tc.WriteQueueNums = queues, queues
	tc.Perm = def.Perm &^ protocol.PermInherit
	tc.TopicFilterType = def.TopicFilterType
	tc.TopicSysFlag = topicSysFlag
	return t.createIfAbsent(tc)
}

// createIfAbsent adds tc unless the topic exists; it returns the config in
// force.
func (t *topicTable) createIfAbsent(tc protocol.TopicConfig) (protocol.TopicConfig, bool, error) {
	t.mu.Lock()
	if cur, ok := t.topics[tc.TopicName]; ok {
		t.mu.Unlock()
		return cur, true, nil
	}
	t.topics[tc.TopicName] = tc
	t.version.Next(t.now())
	err := t.persistLocked()
	t.mu.Unlock()
	t.onChange()
	return tc, true, err
}

// ensureInternal creates a topic the broker itself needs (%RETRY% and
// %DLQ% topics) with queues queues and perm.
func (t *topicTable) ensureInternal(name string, queues, perm, sysFlag int32) (protocol.TopicConfig, error) {
	if tc, ok := t.get(name); ok {
		return tc, nil
	}
	tc := protocol.NewTopicConfig(name)
	tc.ReadQueueNums, tc.WriteQueueNums, tc.Perm, tc.TopicSysFlag = queues, queues, perm, sysFlag
	tc, _, err := t.createIfAbsent(tc)
	return tc, err
}

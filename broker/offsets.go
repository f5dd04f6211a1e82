package broker

import (
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"sync"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store/jsonfile"
)

// offsetTable holds the consumers' committed offsets (upstream
// ConsumerOffsetManager): "topic@group" -> queue id -> offset. It lives in
// memory; the broker writes it to consumerOffset.json every
// flushConsumerOffsetInterval and at shutdown.
type offsetTable struct {
	path string

	mu      sync.Mutex
	offsets map[string]map[int32]int64
	dirty   bool
	// persistMu orders file writes, so a slow write cannot overwrite a
	// newer one.
	persistMu sync.Mutex
}

func newOffsetTable(configDir string) *offsetTable {
	return &offsetTable{
		path:    filepath.Join(configDir, "consumerOffset.json"),
		offsets: map[string]map[int32]int64{},
	}
}

func offsetKey(topic, group string) string { return topic + "@" + group }

func (o *offsetTable) load() error {
	var f protocol.ConsumerOffsetTable
	if _, err := jsonfile.Read(o.path, &f); err != nil {
		return fmt.Errorf("load consumer offsets: %w", err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, q := range f.OffsetTable {
		if q != nil {
			o.offsets[k] = q
		}
	}
	return nil
}

// commit stores a consumer's offset for one queue.
func (o *offsetTable) commit(group, topic string, queueID int32, offset int64) {
	k := offsetKey(topic, group)
	o.mu.Lock()
	q := o.offsets[k]
	if q == nil {
		q = map[int32]int64{}
		o.offsets[k] = q
	}
	q[queueID] = offset
	o.dirty = true
	o.mu.Unlock()
}

// query returns the committed offset, or -1 when there is none.
func (o *offsetTable) query(group, topic string, queueID int32) int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	if off, ok := o.offsets[offsetKey(topic, group)][queueID]; ok {
		return off
	}
	return -1
}

// removeGroup drops every offset of group.
func (o *offsetTable) removeGroup(group string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k := range o.offsets {
		if strings.HasSuffix(k, "@"+group) {
			delete(o.offsets, k)
			o.dirty = true
		}
	}
}

// removeTopic drops every offset of topic.
func (o *offsetTable) removeTopic(topic string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k := range o.offsets {
		if strings.HasPrefix(k, topic+"@") {
			delete(o.offsets, k)
			o.dirty = true
		}
	}
}

// groupsOfTopic returns the groups with committed offsets on topic.
func (o *offsetTable) groupsOfTopic(topic string) []string { return o.pairs(topic, true) }

// topicsOfGroup returns the topics group has committed offsets on.
func (o *offsetTable) topicsOfGroup(group string) []string { return o.pairs(group, false) }

// pairs returns the groups of a topic (byTopic) or the topics of a group
// found in the "topic@group" keys.
func (o *offsetTable) pairs(name string, byTopic bool) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for k := range o.offsets {
		t, g, ok := strings.Cut(k, "@")
		switch {
		case !ok:
		case byTopic && t == name:
			out = append(out, g)
		case !byTopic && g == name:
			out = append(out, t)
		}
	}
	return out
}

// snapshot copies the table.
func (o *offsetTable) snapshot() protocol.ConsumerOffsetTable {
	o.mu.Lock()
	defer o.mu.Unlock()
	t := protocol.ConsumerOffsetTable{OffsetTable: make(map[string]map[int32]int64, len(o.offsets))}
	for k, q := range o.offsets {
		t.OffsetTable[k] = maps.Clone(q)
	}
	return t
}

// persist writes consumerOffset.json when something changed since the
// last write (or always, with force).
func (o *offsetTable) persist(force bool) error {
	o.persistMu.Lock()
	defer o.persistMu.Unlock()
	o.mu.Lock()
	dirty := o.dirty
	o.dirty = false
	o.mu.Unlock()
	if !dirty && !force {
		return nil
	}
	snap := o.snapshot()
	if err := jsonfile.Write(o.path, &snap); err != nil {
		o.mu.Lock()
		o.dirty = true
		o.mu.Unlock()
		return fmt.Errorf("persist consumer offsets: %w", err)
	}
	return nil
}

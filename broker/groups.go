package broker

import (
	"fmt"
	"maps"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store/jsonfile"
)

// groupTable holds the consumer groups' broker-side settings (upstream
// SubscriptionGroupManager), persisted to subscriptionGroup.json.
type groupTable struct {
	path       string
	now        func() time.Time
	autoCreate atomic.Bool // autoCreateSubscriptionGroup; a config update changes it

	mu      sync.RWMutex
	groups  map[string]protocol.SubscriptionGroupConfig
	version protocol.DataVersion
}

func newGroupTable(configDir string, autoCreate bool, now func() time.Time) *groupTable {
	g := &groupTable{
		path:    filepath.Join(configDir, "subscriptionGroup.json"),
		now:     now,
		groups:  map[string]protocol.SubscriptionGroupConfig{},
		version: protocol.NewDataVersion(now()),
	}
	g.autoCreate.Store(autoCreate)
	return g
}

// builtinGroups exist on every broker, as upstream creates them at start.
var builtinGroups = []string{
	protocol.GroupToolsConsumer, "FILTERSRV_CONSUMER", protocol.GroupSelfTestConsumer,
	"CID_ONS-HTTP-PROXY", "CID_ONSAPI_PULL", "CID_ONSAPI_PERMISSION", "CID_ONSAPI_OWNER",
	protocol.GroupTransCheck,
}

func (g *groupTable) load() error {
	var f protocol.SubscriptionGroupWrapper
	if _, err := jsonfile.Read(g.path, &f); err != nil {
		return fmt.Errorf("load subscription groups: %w", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for name, c := range f.SubscriptionGroupTable {
		if c.GroupName == "" {
			c.GroupName = name
		}
		g.groups[name] = c
	}
	if f.DataVersion.Timestamp != 0 {
		g.version = f.DataVersion
	}
	for _, name := range builtinGroups {
		if _, ok := g.groups[name]; !ok {
			c := protocol.NewSubscriptionGroupConfig(name)
			if name == protocol.GroupToolsConsumer || name == "FILTERSRV_CONSUMER" {
				c.ConsumeBroadcastEnable = true
			}
			g.groups[name] = c
		}
	}
	return g.persistLocked()
}

func (g *groupTable) persistLocked() error {
	f := protocol.SubscriptionGroupWrapper{DataVersion: g.version, SubscriptionGroupTable: g.groups}
	if err := jsonfile.Write(g.path, &f); err != nil {
		return fmt.Errorf("persist subscription groups: %w", err)
	}
	return nil
}

// find returns the group's config, creating it with the defaults when
// autoCreateSubscriptionGroup allows; ok is false when the group is
// unknown and may not be created.
func (g *groupTable) find(name string) (protocol.SubscriptionGroupConfig, bool, error) {
	g.mu.RLock()
	c, ok := g.groups[name]
	g.mu.RUnlock()
	if ok {
		return c, true, nil
	}
	if !g.autoCreate.Load() {
		return c, false, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.groups[name]; ok {
		return c, true, nil
	}
	c = protocol.NewSubscriptionGroupConfig(name)
	g.groups[name] = c
	g.version.Next(g.now())
	return c, true, g.persistLocked()
}

// get returns the group's config without creating it.
func (g *groupTable) get(name string) (protocol.SubscriptionGroupConfig, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	c, ok := g.groups[name]
	return c, ok
}

// put creates or replaces a group (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP).
func (g *groupTable) put(c protocol.SubscriptionGroupConfig) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.groups[c.GroupName] = c
	g.version.Next(g.now())
	return g.persistLocked()
}

// remove deletes a group; it reports whether it existed.
func (g *groupTable) remove(name string) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.groups[name]; !ok {
		return false, nil
	}
	delete(g.groups, name)
	g.version.Next(g.now())
	return true, g.persistLocked()
}

func (g *groupTable) snapshot() protocol.SubscriptionGroupWrapper {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return protocol.SubscriptionGroupWrapper{DataVersion: g.version, SubscriptionGroupTable: maps.Clone(g.groups)}
}

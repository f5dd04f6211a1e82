package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// seedExpect is what loading one example from the user docs must produce.
type seedExpect struct {
	warnings []string // one substring per warning, in order
	invalid  []string // keys Validate must reject; nil means the file is valid
}

// seedFiles lists every .properties block copied from /work/shared/seeds (see
// testdata/seeds/README.md). The warnings are the mistakes the authors made:
// each one is a real problem that upstream RocketMQ passes over silently.
var seedFiles = map[string]seedExpect{
	"001-2m-2s-sync-broker-a.properties":   {},
	"001-2m-2s-sync-broker-a-s.properties": {},
	"001-2m-2s-sync-broker-b.properties":   {},
	"001-2m-2s-sync-broker-b-s.properties": {},
	"002-2m-2s-async-broker-a.properties": {warnings: []string{
		":34: unknown key nameServerAddr is ignored: did you mean namesrvAddr?",
		":55: unknown key disMaxUsedSpaceRatio is ignored: did you mean diskMaxUsedSpaceRatio?",
		":70: unknown key storeCheckPoint is ignored: did you mean storeCheckpoint?",
	}},
	"002-2m-2s-async-broker-a-s.properties": {warnings: []string{
		":34: unknown key nameServerAddr is ignored: did you mean namesrvAddr?",
		":55: unknown key disMaxUsedSpaceRatio is ignored: did you mean diskMaxUsedSpaceRatio?",
		":70: unknown key storeCheckPoint is ignored: did you mean storeCheckpoint?",
	}},
	"002-2m-2s-async-broker-b.properties": {warnings: []string{
		":34: unknown key nameServerAddr is ignored: did you mean namesrvAddr?",
		":55: unknown key disMaxUsedSpaceRatio is ignored: did you mean diskMaxUsedSpaceRatio?",
		":70: unknown key storeCheckPoint is ignored: did you mean storeCheckpoint?",
	}},
	"002-2m-2s-async-broker-b-s.properties": {warnings: []string{
		":34: unknown key nameServerAddr is ignored: did you mean namesrvAddr?",
		":55: unknown key disMaxUsedSpaceRatio is ignored: did you mean diskMaxUsedSpaceRatio?",
		":70: unknown key storeCheckPoint is ignored: did you mean storeCheckpoint?",
	}},
	"002-problem-nameServerAddr.properties": {warnings: []string{
		":2: unknown key nameServerAddr is ignored: did you mean namesrvAddr?",
	}},
	"003-broker-transaction.conf": {warnings: []string{
		":4: unknown key transactionTimeout is ignored: did you mean transactionTimeOut?",
	}},
	// This example lost its line breaks when it was published: comments ran
	// into the values on lines 2 and 8.
	"003-2m-2s-async-broker-a.properties": {
		warnings: []string{
			":2: the value of brokerClusterName contains '#'",
			":8: the value of flushDiskType contains '#'",
		},
		invalid: []string{"flushDiskType"},
	},
}

func TestSeedExamples(t *testing.T) {
	dir := filepath.Join("testdata", "seeds")
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, path := range files {
		name := filepath.Base(path)
		if name == "README.md" || strings.Contains(name, "console") {
			continue
		}
		seen++
		want, ok := seedFiles[name]
		if !ok {
			t.Errorf("%s has no expectation in seedFiles", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			c := testBroker()
			warns, err := LoadFile(path, &c)
			if err != nil {
				t.Fatalf("LoadFile: %v", err)
			}
			if len(warns) != len(want.warnings) {
				t.Errorf("got %d warnings, want %d:\n%s", len(warns), len(want.warnings), joinWarnings(warns))
			}
			for i, w := range warns {
				if i < len(want.warnings) && !strings.Contains(w.String(), name+want.warnings[i]) {
					t.Errorf("warning %d = %q, want it to contain %q", i, w, name+want.warnings[i])
				}
			}
			var invalid []string
			for _, e := range Errors(c.Validate()) {
				invalid = append(invalid, e.Key)
			}
			if !slices.Equal(invalid, want.invalid) {
				t.Errorf("Validate rejected %v, want %v: %v", invalid, want.invalid, c.Validate())
			}
		})
	}
	if seen != len(seedFiles) {
		t.Errorf("found %d seed files, expectations for %d", seen, len(seedFiles))
	}
}

// The 2m-2s examples must mean what their authors meant where the keys are
// right: spot-check values, including ${} expansion from seed 002.
func TestSeedExampleValues(t *testing.T) {
	c := testBroker()
	if _, err := LoadFile("testdata/seeds/002-2m-2s-async-broker-b-s.properties", &c); err != nil {
		t.Fatal(err)
	}
	if c.BrokerName != "broker-b" || c.BrokerID != 1 || c.BrokerRole != Slave || c.ListenPort != 11911 ||
		c.FileReservedTime != 120 || c.MaxMessageSize != 65536 || c.MappedFileSizeConsumeQueue != 300000 {
		t.Errorf("loaded %+v", c)
	}
	p := c.Paths()
	if p.CommitLog != "/data/rocketMQ/store_b_s/commitLog" || p.ConsumeQueue != "/data/rocketMQ/store_b_s/consumerQueue" ||
		p.Abort != "/data/rocketMQ/store_b_s/abort" {
		t.Errorf("paths %+v", p)
	}
	// storeCheckPoint is misspelt in the example, so the checkpoint stays derived.
	if p.Checkpoint != "/data/rocketMQ/store_b_s/checkpoint" {
		t.Errorf("checkpoint %q", p.Checkpoint)
	}

	c = testBroker()
	if _, err := LoadFile("testdata/seeds/001-2m-2s-sync-broker-a.properties", &c); err != nil {
		t.Fatal(err)
	}
	addrs, warns := SplitAddrs(c.NamesrvAddr)
	if !slices.Equal(addrs, []string{"rocketmq-nameserver1:9876", "rocketmq-nameserver2:9876"}) || len(warns) != 0 {
		t.Errorf("namesrvAddr %q -> %v %v", c.NamesrvAddr, addrs, warns)
	}
	if c.BrokerRole != SyncMaster || c.FlushDiskType != SyncFlush || c.MappedFileSizeCommitLog != 1<<30 || c.DiskMaxUsedSpaceRatio != 88 {
		t.Errorf("loaded %+v", c)
	}
}

// The dashboard's application.properties lines are not broker files; they
// must still parse. Seed 002 put a comment after the value, which the
// console would take as part of the address: that is worth a warning.
func TestSeedConsoleProperties(t *testing.T) {
	for name, wantWarnings := range map[string]int{"001-console-application.properties": 0, "002-console-application.properties": 1} {
		src, err := os.ReadFile(filepath.Join("testdata", "seeds", name))
		if err != nil {
			t.Fatal(err)
		}
		p, warns, err := ParseProperties(src, name, ParseOptions{})
		if err != nil || len(warns) != wantWarnings || len(p.Entries) != 1 || p.Entries[0].Key != "rocketmq.config.namesrvAddr" {
			t.Errorf("%s: %v %v %v", name, p.Entries, warns, err)
		}
		for _, w := range warns {
			if !strings.Contains(w.String(), name+":1: the value of rocketmq.config.namesrvAddr contains '#'") {
				t.Errorf("warning %s", w)
			}
		}
	}
}

func joinWarnings(ws []Warning) string {
	var b strings.Builder
	for _, w := range ws {
		b.WriteString("  " + w.String() + "\n")
	}
	return b.String()
}

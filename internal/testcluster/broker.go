package testcluster

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// BrokerBootLine is the part of mqbroker's boot line that does not depend
// on its name and address.
const BrokerBootLine = "boot success. serializeType=JSON"

// StartBroker builds and starts mqbroker registered with the name servers
// nsAddrs, on a free port of 127.0.0.1 (listenPort; the fast port is
// listenPort-2), with its store under the test's temporary directory and
// small store files. props override or add keys. It returns once the
// broker printed its boot line; a port taken in the meantime is retried.
func StartBroker(t testing.TB, nsAddrs []string, props map[string]string) *Process {
	t.Helper()
	bin := Build(t, "mqbroker")
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		dir := t.TempDir()
		port := FreePort(t)
		if port < 1024 {
			continue
		}
		all := map[string]string{
			"brokerClusterName":          "DefaultCluster",
			"brokerName":                 "broker-a",
			"brokerId":                   "0",
			"brokerIP1":                  "127.0.0.1",
			"brokerIP2":                  "127.0.0.1",
			"bindAddress":                "127.0.0.1",
			"listenPort":                 strconv.Itoa(port),
			"namesrvAddr":                strings.Join(nsAddrs, ";"),
			"rocketmqHome":               dir,
			"storePathRootDir":           filepath.Join(dir, "store"),
			"mappedFileSizeCommitLog":    strconv.Itoa(16 << 20),
			"mappedFileSizeConsumeQueue": strconv.Itoa(20 * 30000),
			"maxHashSlotNum":             "10000",
			"maxIndexNum":                "40000",
		}
		for k, v := range props {
			all[k] = v
		}
		conf := WriteProperties(t, dir, "broker.properties", all)
		p, err := start(t, bin, dir, BrokerBootLine, "-c", conf)
		if err == nil {
			p.Addr = "127.0.0.1:" + all["listenPort"]
			return p
		}
		lastErr = err
	}
	t.Fatal(lastErr)
	return nil
}

// RestartBroker stops a broker started by StartBroker (SIGTERM, waiting for
// a clean exit) and starts it again with the same configuration, port and
// store, as an operator restart would.
func RestartBroker(t testing.TB, old *Process) *Process {
	t.Helper()
	if err := old.Stop(BootTimeout); err != nil {
		t.Fatalf("stop broker before restart: %v\n%s", err, old.Output())
	}
	p, err := start(t, old.Cmd.Path, old.Dir, BrokerBootLine, "-c", filepath.Join(old.Dir, "broker.properties"))
	if err != nil {
		t.Fatal(err)
	}
	p.Addr = old.Addr
	return p
}

package testcluster

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// BrokerBootLine is the part of mqbroker's boot line that does not depend
// on its name and address.
const BrokerBootLine = "boot success. serializeType=JSON"

// StartBroker builds and starts mqbroker registered with the name servers
// nsAddrs, on free ports of 127.0.0.1 (BrokerPorts: listenPort, the fast
// port listenPort-2 and the HA port listenPort+1), with its store under the test's temporary directory and
// small store files. props override or add keys. It returns once the
// broker printed its boot line; a port taken in the meantime is retried.
func StartBroker(t testing.TB, nsAddrs []string, props map[string]string) *Process {
	t.Helper()
	bin := Build(t, "mqbroker")
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		dir := t.TempDir()
		port := BrokerPorts(t)
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

// BrokerPorts returns a broker listenPort on 127.0.0.1 that was free a moment
// ago together with its companions: the fast port listenPort-2, which the
// broker binds too, and listenPort+1, the default haListenPort a master
// advertises (and will listen on). A free main port alone let the broker
// fail to start on a taken fast port.
func BrokerPorts(t testing.TB) int {
	t.Helper()
	port, err := pickBrokerPort(func() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }, 50)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// pickBrokerPort takes candidate ports from next until one whose companions
// can be bound too; all are closed again before it returns.
func pickBrokerPort(next func() (net.Listener, error), tries int) (int, error) {
	var errs []error
	for range tries {
		main, err := next()
		if err != nil {
			return 0, fmt.Errorf("pick broker port: %w", err)
		}
		port := main.Addr().(*net.TCPAddr).Port
		err = companionsFree(port)
		main.Close()
		if err == nil {
			return port, nil
		}
		errs = append(errs, err)
	}
	return 0, fmt.Errorf("pick broker port: no free port with free companions in %d tries: %w", tries, errors.Join(errs...))
}

// companionsFree binds and releases listenPort-2 and listenPort+1.
func companionsFree(port int) error {
	if port-2 < 1024 || port+1 > 65535 {
		return fmt.Errorf("port %d: companions %d and %d out of range", port, port-2, port+1)
	}
	for _, p := range []int{port - 2, port + 1} {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			return fmt.Errorf("port %d: companion %d: %w", port, p, err)
		}
		l.Close()
	}
	return nil
}

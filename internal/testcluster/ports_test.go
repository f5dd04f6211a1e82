package testcluster

import (
	"net"
	"strconv"
	"strings"
	"testing"
)

func listenLocal(t *testing.T, port int) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestBrokerPortsAreFree(t *testing.T) {
	port := BrokerPorts(t)
	if port-2 < 1024 || port+1 > 65535 {
		t.Fatalf("port %d leaves no room for its companions", port)
	}
	// A moment later all three can still be bound (nothing here holds them).
	for _, p := range []int{port, port - 2, port + 1} {
		listenLocal(t, p)
	}
}

// A candidate whose fast or HA port is taken is passed over.
func TestPickBrokerPortSkipsTakenCompanions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		offset int // the taken companion, relative to the candidate
	}{{"fast port taken", -2}, {"HA port taken", +1}} {
		t.Run(tc.name, func(t *testing.T) {
			// Find a candidate port c with its companion c+offset held by
			// the test.
			var cand net.Listener
			for cand == nil {
				held := listenLocal(t, 0)
				c := held.Addr().(*net.TCPAddr).Port - tc.offset
				if c-2 < 1024 || c+1 > 65535 {
					continue
				}
				if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(c)); err == nil {
					cand = l
				}
			}
			bad := cand.Addr().(*net.TCPAddr).Port
			calls := 0
			port, err := pickBrokerPort(func() (net.Listener, error) {
				calls++
				if calls == 1 {
					return cand, nil
				}
				return net.Listen("tcp", "127.0.0.1:0")
			}, 20)
			if err != nil {
				t.Fatal(err)
			}
			if port == bad || calls < 2 {
				t.Fatalf("picked %d after %d candidates; %d has a taken companion", port, calls, bad)
			}
		})
	}
}

func TestPickBrokerPortGivesUp(t *testing.T) {
	// A port c whose fast port c-2 the test holds, offered every time.
	c := 0
	for c == 0 {
		held := listenLocal(t, 0)
		p := held.Addr().(*net.TCPAddr).Port + 2
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p)); err == nil {
			l.Close()
			c = p
		}
	}
	_, err := pickBrokerPort(func() (net.Listener, error) {
		return net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(c))
	}, 3)
	if err == nil || !strings.Contains(err.Error(), "in 3 tries") {
		t.Fatalf("want an error after 3 tries, got %v", err)
	}
}

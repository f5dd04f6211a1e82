package broker

import (
	"strconv"
	"testing"

	"github.com/rocketgo/rocketgo/protocol"
)

// FuzzTimerDeliverAt: timer properties from the network give a delivery
// time or an error, never a panic; TIMER_DELIVER_MS is taken as it is.
func FuzzTimerDeliverAt(f *testing.F) {
	f.Add(protocol.PropertyTimerDelaySec, "10")
	f.Add(protocol.PropertyTimerDelayMS, "-5")
	f.Add(protocol.PropertyTimerDeliverMS, "1700000000000")
	f.Add(protocol.PropertyTimerDelaySec, "9223372036854775807")
	f.Add("x", "\x02\x01")
	const now = 1_700_000_000_000
	f.Fuzz(func(t *testing.T, name, value string) {
		props := protocol.AppendProperty(nil, name, value)
		at, err := timerDeliverAt(props, now)
		if !hasTimerProperty(props) {
			if err == nil {
				t.Fatalf("%q=%q: a delivery time without a timer property", name, value)
			}
			return
		}
		v, stored := protocol.LookupProperty(props, name)
		n, perr := strconv.ParseInt(value, 10, 64)
		if name == protocol.PropertyTimerDeliverMS && stored && string(v) == value && perr == nil && n > -(1<<62) && n < 1<<62 {
			if err != nil || at != n {
				t.Fatalf("TIMER_DELIVER_MS %q read as %d, %v", value, at, err)
			}
		}
	})
}

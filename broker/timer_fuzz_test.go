package broker

import (
	"strconv"
	"strings"
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

// FuzzTimerCancelKey: whatever TIMER_DEL_UNIQKEY a client sends to a legal
// topic, the key
// is refused with a reason or becomes "<topic>+<UNIQ_KEY>" naming the
// topic it was sent to, which is what a message of that topic and
// UNIQ_KEY is looked up by.
func FuzzTimerCancelKey(f *testing.F) {
	f.Add("Orders+7F0000010001", "Orders")
	f.Add("7F0000010001", "Orders")
	f.Add("Other+K", "Orders")
	f.Add("Orders+", "Orders")
	f.Add("+K", "Orders")
	f.Add("Orders+a+b", "Orders")
	f.Add("", "Orders")
	f.Add("\x00\x01\x02", "%RETRY%g")
	f.Fuzz(func(t *testing.T, value, topic string) {
		if protocol.ValidateTopicName(topic) != "" {
			return // the send is refused before
		}
		key, err := normalCancelKey(value, topic)
		if err != nil {
			if key != "" || err.Error() == "" {
				t.Fatalf("%q to %q: key %q with error %v", value, topic, key, err)
			}
			return
		}
		uniq, ok := strings.CutPrefix(key, topic+"+")
		if !ok || uniq == "" || key != cancelKey(topic, uniq) {
			t.Fatalf("%q to %q became %q", value, topic, key)
		}
		if uniq != value && topic+"+"+uniq != value {
			t.Fatalf("%q to %q names UNIQ_KEY %q", value, topic, uniq)
		}
		if again, err := normalCancelKey(key, topic); err != nil || again != key {
			t.Fatalf("%q is not kept as it is: %q, %v", key, again, err)
		}
	})
}

// FuzzTimerProperties: the timer's one-pass read of a record's properties
// (bytes from the commit log) finds what protocol.LookupProperty finds.
func FuzzTimerProperties(f *testing.F) {
	f.Add([]byte("TIMER_OUT_MS\x011700000000000\x02REAL_TOPIC\x01T\x02"))
	f.Add([]byte("TIMER_DEL_UNIQKEY\x01T+K\x02TIMER_OUT_MS\x011\x02TIMER_OUT_MS\x012"))
	f.Add([]byte("TIMER_OUT_MS\x01\x02TIMER_DEL_UNIQKEY\x02\x01"))
	f.Add([]byte("TIMER_OUT_MSX\x011\x02"))
	f.Fuzz(func(t *testing.T, props []byte) {
		out, cancel := timerProperties(props)
		wantOut, _ := protocol.LookupProperty(props, propertyTimerOutMS)
		wantCancel, _ := protocol.LookupProperty(props, propertyTimerDelUniqKey)
		if string(out) != string(wantOut) || string(cancel) != string(wantCancel) || (out == nil) != (wantOut == nil) || (cancel == nil) != (wantCancel == nil) {
			t.Fatalf("%q: read %q %q, LookupProperty %q %q", props, out, cancel, wantOut, wantCancel)
		}
	})
}

package broker

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// isTimerProperty reports whether name asks for a 5.x timed delivery.
func isTimerProperty(name string) bool {
	return name == protocol.PropertyTimerDeliverMS || name == protocol.PropertyTimerDelaySec || name == protocol.PropertyTimerDelayMS
}

// hasTimerProperty reports whether an encoded properties string asks for a
// timed delivery.
func hasTimerProperty(props []byte) bool {
	for _, name := range []string{protocol.PropertyTimerDeliverMS, protocol.PropertyTimerDelaySec, protocol.PropertyTimerDelayMS} {
		if _, ok := protocol.LookupProperty(props, name); ok {
			return true
		}
	}
	return false
}

// checkTimer applies 5.x's timer rules to a send (HookUtils
// handleScheduleMessage): a message with TIMER_DELAY_SEC, TIMER_DELAY_MS or
// TIMER_DELIVER_MS (looked at in that order) whose time is ahead is marked
// for the timer topic (sr.timer) with TIMER_OUT_MS and REAL_TOPIC/REAL_QID
// added; one already due is stored as a plain message. A DELAY level wins
// over the timer properties, which are then dropped. Only plain and
// committed messages are timed.
//
// TIMER_OUT_MS is the start of the timerPrecisionMs tick before the asked
// time, as 5.x writes it; the message goes out when that tick ends, at the
// asked time or up to one tick later.
//
// A cancel (TIMER_DEL_UNIQKEY) is a timer message like the others; its
// delivery time must be ahead, and should be that of the message it
// cancels. Deviations from 5.x, which stores these as they come: a cancel
// without a delivery time, or with a delay level, is refused rather than
// delivered as a plain message, and its key is checked (see
// normalCancelKey).
func (b *Broker) checkTimer(req *remoting.Command, sr *sendRequest, props *[]byte) *remoting.Command {
	if sr.h.Topic == timerTopic {
		return remoting.NewResponse(req, protocol.RespNoPermission, "Sending message to topic["+timerTopic+"] is forbidden.")
	}
	p := *props
	switch sr.h.SysFlag & protocol.SysFlagTransactionMask {
	case protocol.SysFlagTransactionNotType, protocol.SysFlagTransactionCommit:
	default:
		return nil
	}
	cancel, cancels := protocol.LookupProperty(p, propertyTimerDelUniqKey)
	if !hasTimerProperty(p) {
		if cancels {
			return remoting.NewResponse(req, protocol.RespMessageIllegal,
				"timer message illegal: a cancel (TIMER_DEL_UNIQKEY) needs TIMER_DELIVER_MS, the delivery time of the message it cancels")
		}
		return nil
	}
	if v, ok := protocol.LookupProperty(p, protocol.PropertyDelayTimeLevel); ok {
		if level, err := strconv.Atoi(string(v)); err == nil && level > 0 {
			if cancels {
				return remoting.NewResponse(req, protocol.RespMessageIllegal,
					"timer message illegal: a cancel (TIMER_DEL_UNIQKEY) cannot have a delay level")
			}
			m := protocol.ParseProperties(p)
			for name := range m {
				if isTimerProperty(name) {
					delete(m, name)
				}
			}
			*props = protocol.AppendProperties(nil, m)
			return nil
		}
	}
	if _, ok := protocol.LookupProperty(p, propertyTimerOutMS); ok {
		return nil // already timed once: 5.x's double check
	}
	cfg := b.conf()
	if !cfg.TimerWheelEnable {
		return remoting.NewResponse(req, protocol.RespSystemError, "accurate timer message is not enabled, timerWheelEnable is false")
	}
	now := b.now().UnixMilli()
	at, err := timerDeliverAt(p, now)
	if err != nil {
		return remoting.NewResponse(req, protocol.RespMessageIllegal, "timer message illegal: "+err.Error())
	}
	if at <= now {
		if cancels {
			return remoting.NewResponse(req, protocol.RespMessageIllegal,
				"timer message illegal: a cancel (TIMER_DEL_UNIQKEY) must have a delivery time ahead, the delivery time of the message it cancels")
		}
		return nil
	}
	if maxMs := cfg.TimerMaxDelay().Milliseconds(); at-now > maxMs {
		return remoting.NewResponse(req, protocol.RespMessageIllegal,
			fmt.Sprintf("timer message illegal, the delay time should not be bigger than the max delay %dms (timerMaxDelaySec=%d)", maxMs, cfg.TimerMaxDelaySec))
	}
	m := protocol.ParseProperties(p)
	if cancels {
		key, err := normalCancelKey(string(cancel), sr.h.Topic)
		if err != nil {
			return remoting.NewResponse(req, protocol.RespMessageIllegal, "timer message illegal: "+err.Error())
		}
		m[propertyTimerDelUniqKey] = key
	}
	m[propertyTimerOutMS] = strconv.FormatInt(tickStart(at, b.timer.precision.Milliseconds()), 10)
	m[protocol.PropertyRealTopic] = sr.h.Topic
	m[protocol.PropertyRealQueueID] = strconv.Itoa(int(sr.h.QueueID))
	*props = protocol.AppendProperties(nil, m)
	sr.timer = true
	return nil
}

// cancelKey is what a cancel's TIMER_DEL_UNIQKEY holds for the message
// of topic with UNIQ_KEY uniq (5.x's TimerMessageStore.buildDeleteKey).
func cancelKey(topic, uniq string) string { return topic + "+" + uniq }

// normalCancelKey checks a cancel's TIMER_DEL_UNIQKEY sent to topic and
// returns it as 5.x writes it, "<topic>+<UNIQ_KEY>". A bare UNIQ_KEY (no
// '+', which topic names cannot hold) names a message of topic. Unlike
// 5.x, a key naming another topic is refused: a cancel goes to the topic
// of the message it cancels, as 5.x's recall sends it.
func normalCancelKey(v, topic string) (string, error) {
	t, uniq, found := strings.Cut(v, "+")
	if !found {
		t, uniq = topic, v
	}
	switch {
	case uniq == "":
		return "", fmt.Errorf("TIMER_DEL_UNIQKEY %q names no UNIQ_KEY (want <topic>+<UNIQ_KEY>)", v)
	case t != topic:
		return "", fmt.Errorf("TIMER_DEL_UNIQKEY %q names topic %q: a cancel must be sent to the topic of the message it cancels (%q)", v, t, topic)
	}
	return cancelKey(t, uniq), nil
}

// timerDeliverAt reads the delivery time (ms) a message asks for.
func timerDeliverAt(props []byte, now int64) (int64, error) {
	for _, p := range []struct {
		name, unit  string
		scale, base int64
	}{
		{protocol.PropertyTimerDelaySec, "seconds", 1000, now},
		{protocol.PropertyTimerDelayMS, "milliseconds", 1, now},
		{protocol.PropertyTimerDeliverMS, "milliseconds since the epoch", 1, 0},
	} {
		v, ok := protocol.LookupProperty(props, p.name)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil || n > (1<<62)/p.scale || n < -(1<<62)/p.scale {
			return 0, fmt.Errorf("%s %q is not a number of %s", p.name, v, p.unit)
		}
		return p.base + n*p.scale, nil
	}
	return 0, fmt.Errorf("no timer property")
}

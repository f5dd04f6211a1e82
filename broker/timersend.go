package broker

import (
	"fmt"
	"strconv"

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
// Deviation: TIMER_OUT_MS is the asked time to the millisecond; 5.x rounds
// it down to its 1 s precision and so may deliver up to a second early.
func (b *Broker) checkTimer(req *remoting.Command, sr *sendRequest, props *[]byte) *remoting.Command {
	if sr.h.Topic == timerTopic {
		return remoting.NewResponse(req, protocol.RespNoPermission, "Sending message to topic["+timerTopic+"] is forbidden.")
	}
	p := *props
	if !hasTimerProperty(p) {
		return nil
	}
	switch sr.h.SysFlag & protocol.SysFlagTransactionMask {
	case protocol.SysFlagTransactionNotType, protocol.SysFlagTransactionCommit:
	default:
		return nil
	}
	if v, ok := protocol.LookupProperty(p, protocol.PropertyDelayTimeLevel); ok {
		if level, err := strconv.Atoi(string(v)); err == nil && level > 0 {
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
	if _, ok := protocol.LookupProperty(p, propertyTimerDelUniqKey); ok {
		return remoting.NewResponse(req, protocol.RespMessageIllegal,
			"cancelling timer messages (TIMER_DEL_UNIQKEY) not implemented yet in RocketGo")
	}
	now := b.now().UnixMilli()
	at, err := timerDeliverAt(p, now)
	if err != nil {
		return remoting.NewResponse(req, protocol.RespMessageIllegal, "timer message illegal: "+err.Error())
	}
	if at <= now {
		return nil
	}
	if maxMs := b.timer.maxDelay.Milliseconds(); at-now > maxMs {
		return remoting.NewResponse(req, protocol.RespMessageIllegal,
			fmt.Sprintf("timer message illegal, the delay time should not be bigger than the max delay %dms", maxMs))
	}
	m := protocol.ParseProperties(p)
	m[propertyTimerOutMS] = strconv.FormatInt(at, 10)
	m[protocol.PropertyRealTopic] = sr.h.Topic
	m[protocol.PropertyRealQueueID] = strconv.Itoa(int(sr.h.QueueID))
	*props = protocol.AppendProperties(nil, m)
	sr.timer = true
	return nil
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

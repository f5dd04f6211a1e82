package config

import (
	"slices"
	"time"
)

// Timer holds the timer* keys of RocketMQ 5.x's MessageStoreConfig that
// change what RocketGo's timer does (messages with TIMER_DELIVER_MS,
// TIMER_DELAY_SEC or TIMER_DELAY_MS). 5.x's other timer keys tune its
// time wheel and thread pools, which RocketGo does not have; they stay
// unknown keys.
type Timer struct {
	// TimerWheelEnable false refuses new timer messages, as 5.x does.
	TimerWheelEnable bool `key:"timerWheelEnable"`
	// TimerMaxDelaySec is how far ahead a timer message may ask to be
	// delivered; a send asking for more is refused.
	TimerMaxDelaySec int `key:"timerMaxDelaySec"`
	// TimerPrecisionMs is the tick of the timer: a message is delivered at
	// the first tick at or after its delivery time. 5.x takes 100, 200,
	// 500 or 1000 and rounds other values down to one of them; RocketGo
	// refuses other values instead.
	TimerPrecisionMs int `key:"timerPrecisionMs"`
	// TimerRollWindowSlot, in ticks, is how long a record waits in the
	// commit log before it is copied forward ("rolled"), so a long delay
	// outlives fileReservedTime.
	TimerRollWindowSlot int `key:"timerRollWindowSlot"`
}

// timerPrecisions are the ticks 5.x's setTimerPrecisionMs keeps.
var timerPrecisions = []int{100, 200, 500, 1000}

// maxTimerRollWindowSlot is 5.x's bound: the wheel's 7 days less its 60
// blank slots (TimerMessageStore clamps to it).
const maxTimerRollWindowSlot = 7*24*3600 - 60

// DefaultTimer is 5.x's defaults.
func DefaultTimer() Timer {
	return Timer{
		TimerWheelEnable:    true,
		TimerMaxDelaySec:    3 * 24 * 3600,
		TimerPrecisionMs:    1000,
		TimerRollWindowSlot: 2 * 24 * 3600,
	}
}

// TimerPrecision is timerPrecisionMs as a duration.
func (t *Timer) TimerPrecision() time.Duration {
	return time.Duration(t.TimerPrecisionMs) * time.Millisecond
}

// TimerRollWindow is timerRollWindowSlot ticks of timerPrecisionMs (2
// days by default).
func (t *Timer) TimerRollWindow() time.Duration {
	return time.Duration(t.TimerRollWindowSlot) * t.TimerPrecision()
}

// TimerMaxDelay is timerMaxDelaySec as a duration.
func (t *Timer) TimerMaxDelay() time.Duration {
	return time.Duration(t.TimerMaxDelaySec) * time.Second
}

func (t *Timer) validate(p *problems) {
	atLeast(p, "timerMaxDelaySec", t.TimerMaxDelaySec, 1) // at most a Java int, as every int key
	if !slices.Contains(timerPrecisions, t.TimerPrecisionMs) {
		p.add("timerPrecisionMs", "%d is not one of 100, 200, 500, 1000", t.TimerPrecisionMs)
	}
	inRange(p, "timerRollWindowSlot", t.TimerRollWindowSlot, 2, maxTimerRollWindowSlot)
}

package config

import (
	"strings"
	"testing"
	"time"
)

func TestTimerDefaults(t *testing.T) {
	c := DefaultBroker()
	if c.TimerMaxDelay() != 72*time.Hour || c.TimerPrecision() != time.Second ||
		c.TimerRollWindow() != 48*time.Hour || !c.TimerWheelEnable {
		t.Fatalf("timer defaults: max delay %v, precision %v, roll window %v, wheel %v (5.x: 3 days, 1 s, 2 days, true)",
			c.TimerMaxDelay(), c.TimerPrecision(), c.TimerRollWindow(), c.TimerWheelEnable)
	}
}

func TestTimerKeys(t *testing.T) {
	c := testBroker()
	for _, kv := range [][2]string{
		{"timerMaxDelaySec", "3456000"}, {"timerPrecisionMs", "100"},
		{"timerRollWindowSlot", "36000"}, {"timerWheelEnable", "false"},
	} {
		if err := Set(&c, kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.TimerMaxDelay() != 40*24*time.Hour || c.TimerRollWindow() != time.Hour || c.TimerWheelEnable {
		t.Fatalf("max delay %v, roll window %v, wheel %v", c.TimerMaxDelay(), c.TimerRollWindow(), c.TimerWheelEnable)
	}
}

func TestTimerValidate(t *testing.T) {
	for _, tc := range []struct {
		key, value, msg string
	}{
		{"timerMaxDelaySec", "0", "0 is below the minimum 1"},
		{"timerPrecisionMs", "300", "300 is not one of 100, 200, 500, 1000"},
		{"timerPrecisionMs", "0", "0 is not one of"},
		{"timerRollWindowSlot", "1", "1 is not in 2..604740"},
		{"timerRollWindowSlot", "604741", "is not in 2..604740"},
	} {
		c := testBroker()
		if err := Set(&c, tc.key, tc.value); err != nil {
			t.Fatalf("%s=%s: %v", tc.key, tc.value, err)
		}
		errs := Errors(c.Validate())
		if len(errs) != 1 || errs[0].Key != tc.key || !strings.Contains(errs[0].Msg, tc.msg) {
			t.Errorf("%s=%s: errors %v, want one for the key containing %q", tc.key, tc.value, errs, tc.msg)
		}
	}
}

package protocol

import (
	"math"
	"testing"
)

func TestBrokerStatsDataRoundTrip(t *testing.T) {
	d := BrokerStatsData{
		StatsMinute: BrokerStatsItem{Sum: 60, Tps: 1, Avgpt: 2.5},
		StatsHour:   BrokerStatsItem{Sum: 3600, Tps: 1.0000001, Avgpt: 1},
		StatsDay:    BrokerStatsItem{Sum: 86400},
	}
	b, err := d.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"statsDay":{"avgpt":0,"sum":86400,"tps":0},"statsHour":{"avgpt":1,"sum":3600,"tps":1.0000001},"statsMinute":{"avgpt":2.5,"sum":60,"tps":1}}`
	if string(b) != want {
		t.Fatalf("encoded\n%s\nwant\n%s", b, want)
	}
	got, err := DecodeBrokerStatsData(b)
	if err != nil {
		t.Fatal(err)
	}
	if *got != d {
		t.Fatalf("round trip: %+v, want %+v", *got, d)
	}
	// What fastjson writes on the Java side decodes too.
	java := `{"statsDay":{"avgpt":0.0,"sum":0,"tps":0.0},"statsHour":{"avgpt":1.0,"sum":12,"tps":0.02},"statsMinute":{"avgpt":1.0,"sum":12,"tps":0.2}}`
	got, err = DecodeBrokerStatsData([]byte(java))
	if err != nil {
		t.Fatal(err)
	}
	if got.StatsMinute.Sum != 12 || got.StatsMinute.Tps != 0.2 || got.StatsHour.Tps != 0.02 {
		t.Fatalf("java body: %+v", got)
	}
	if _, err := DecodeBrokerStatsData([]byte(`{"statsDay":[]}`)); err == nil {
		t.Fatal("an array for statsDay decoded")
	}
	d.StatsDay.Tps = math.NaN()
	if _, err := d.Encode(); err == nil {
		t.Fatal("NaN encoded")
	}
}

func FuzzDecodeBrokerStatsData(f *testing.F) {
	f.Add([]byte(`{"statsDay":{"avgpt":0.0,"sum":0,"tps":0.0},"statsHour":{"avgpt":1.0,"sum":12,"tps":0.02},"statsMinute":{"avgpt":1.0,"sum":12,"tps":0.2}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{statsDay:{sum:1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := DecodeBrokerStatsData(data)
		if err != nil {
			return
		}
		b, err := d.Encode()
		if err != nil {
			return // a figure such as 1e400 decodes to no finite number
		}
		again, err := DecodeBrokerStatsData(b)
		if err != nil {
			t.Fatalf("re-decode %s: %v", b, err)
		}
		if *again != *d {
			t.Fatalf("round trip %+v != %+v", *again, *d)
		}
	})
}

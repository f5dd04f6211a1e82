package protocol

import (
	"encoding/json"
	"fmt"
	"time"
)

// DataVersion stamps a broker's topic (or group) configuration. The name
// server compares the version a broker registers with the one it holds to
// decide whether the broker's topic table has changed.
//
// JSON: {"counter":3,"timestamp":1700000000000}. Java keeps the counter in
// an AtomicLong, which fastjson writes as a plain number; decoding also
// accepts the bean form {"value":3} some serializers produce.
type DataVersion struct {
	Counter   int64 `json:"counter"`
	Timestamp int64 `json:"timestamp"` // ms since the epoch of the last change
}

// NewDataVersion returns counter 0 stamped with now, as a fresh Java
// DataVersion is.
func NewDataVersion(now time.Time) DataVersion {
	return DataVersion{Timestamp: now.UnixMilli()}
}

// Next moves the version on after a change.
func (v *DataVersion) Next(now time.Time) {
	v.Counter++
	v.Timestamp = now.UnixMilli()
}

// String formats the version for logs.
func (v DataVersion) String() string {
	return fmt.Sprintf("DataVersion[timestamp=%d, counter=%d]", v.Timestamp, v.Counter)
}

// Encode returns the JSON body.
func (v DataVersion) Encode() []byte {
	b, _ := jsonMarshal(v) // two int64 fields cannot fail
	return b
}

// DecodeDataVersion decodes a DataVersion body.
func DecodeDataVersion(data []byte) (DataVersion, error) {
	var v DataVersion
	if err := DecodeJSON(data, &v); err != nil {
		return DataVersion{}, fmt.Errorf("decode DataVersion: %w", err)
	}
	return v, nil
}

// UnmarshalJSON accepts the counter as a number or as {"value":n}.
func (v *DataVersion) UnmarshalJSON(data []byte) error {
	var raw struct {
		Counter   json.RawMessage `json:"counter"`
		Timestamp int64           `json:"timestamp"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	v.Timestamp = raw.Timestamp
	v.Counter = 0
	if len(raw.Counter) == 0 || string(raw.Counter) == "null" {
		return nil
	}
	if raw.Counter[0] == '{' {
		var boxed struct {
			Value int64 `json:"value"`
		}
		if err := json.Unmarshal(raw.Counter, &boxed); err != nil {
			return fmt.Errorf("dataVersion.counter: %w", err)
		}
		v.Counter = boxed.Value
		return nil
	}
	if err := json.Unmarshal(raw.Counter, &v.Counter); err != nil {
		return fmt.Errorf("dataVersion.counter: %w", err)
	}
	return nil
}

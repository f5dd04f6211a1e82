package protocol

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Permission bits of a topic or a broker (upstream PermName).
const (
	PermPriority int32 = 0x8
	PermRead     int32 = 0x4
	PermWrite    int32 = 0x2
	PermInherit  int32 = 0x1 // TBW102's bit: new topics may be created from it
)

// PermReadable reports whether perm allows reading.
func PermReadable(perm int32) bool { return perm&PermRead == PermRead }

// PermWritable reports whether perm allows writing.
func PermWritable(perm int32) bool { return perm&PermWrite == PermWrite }

// PermInherited reports whether perm has the inherit bit.
func PermInherited(perm int32) bool { return perm&PermInherit == PermInherit }

// PermString formats perm the way mqadmin prints it: "RW-", "R--", "RWX".
func PermString(perm int32) string {
	b := []byte("---")
	if PermReadable(perm) {
		b[0] = 'R'
	}
	if PermWritable(perm) {
		b[1] = 'W'
	}
	if PermInherited(perm) {
		b[2] = 'X'
	}
	return string(b)
}

// Topic system flag bits (upstream TopicSysFlag).
const (
	TopicSysFlagUnit    int32 = 0x1
	TopicSysFlagUnitSub int32 = 0x2
)

// TopicFilterType is how a topic's tags are matched; written by name in JSON.
type TopicFilterType string

const (
	SingleTag TopicFilterType = "SINGLE_TAG"
	MultiTag  TopicFilterType = "MULTI_TAG"
)

// Valid reports whether t is a filter type Java knows.
func (t TopicFilterType) Valid() bool { return t == SingleTag || t == MultiTag }

// Defaults of a TopicConfig built without explicit values.
const (
	DefaultTopicQueueNums int32 = 16
	DefaultTopicPerm            = PermRead | PermWrite
)

// TopicConfig is one topic of a broker (upstream TopicConfig).
// Fields are in alphabetical order, the order fastjson writes them.
type TopicConfig struct {
	Order           bool            `json:"order"`
	Perm            int32           `json:"perm"`
	ReadQueueNums   int32           `json:"readQueueNums"`
	TopicFilterType TopicFilterType `json:"topicFilterType"`
	TopicName       string          `json:"topicName"`
	TopicSysFlag    int32           `json:"topicSysFlag"`
	WriteQueueNums  int32           `json:"writeQueueNums"`
}

// NewTopicConfig returns a config with Java's defaults: 16 read and 16 write
// queues, perm RW, SINGLE_TAG.
func NewTopicConfig(name string) TopicConfig {
	return TopicConfig{
		TopicName:       name,
		ReadQueueNums:   DefaultTopicQueueNums,
		WriteQueueNums:  DefaultTopicQueueNums,
		Perm:            DefaultTopicPerm,
		TopicFilterType: SingleTag,
	}
}

// UnmarshalJSON starts from Java's defaults, so keys absent from the JSON
// keep the values a Java peer would assume.
func (c *TopicConfig) UnmarshalJSON(data []byte) error {
	type plain TopicConfig
	p := plain(NewTopicConfig(""))
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	if !p.TopicFilterType.Valid() {
		return fmt.Errorf("topic %q: unknown topicFilterType %q", p.TopicName, truncate(string(p.TopicFilterType), 64))
	}
	*c = TopicConfig(p)
	return nil
}

// compactText is the one-line form used inside compressed registrations:
// "name readQueueNums writeQueueNums perm filterType" (no sysFlag, no order).
func (c TopicConfig) compactText() string {
	return c.TopicName + " " + strconv.Itoa(int(c.ReadQueueNums)) + " " + strconv.Itoa(int(c.WriteQueueNums)) +
		" " + strconv.Itoa(int(c.Perm)) + " " + string(c.TopicFilterType)
}

// parseTopicCompactText parses compactText's output.
func parseTopicCompactText(s string) (TopicConfig, error) {
	parts := strings.Split(s, " ")
	if len(parts) != 5 {
		return TopicConfig{}, fmt.Errorf("topic config %q: want 5 space-separated fields, got %d", truncate(s, 200), len(parts))
	}
	c := NewTopicConfig(parts[0])
	for i, dst := range []*int32{&c.ReadQueueNums, &c.WriteQueueNums, &c.Perm} {
		n, err := strconv.ParseInt(parts[i+1], 10, 32)
		if err != nil {
			return TopicConfig{}, fmt.Errorf("topic config %q: field %d: %w", truncate(s, 200), i+2, err)
		}
		*dst = int32(n)
	}
	c.TopicFilterType = TopicFilterType(parts[4])
	if !c.TopicFilterType.Valid() {
		return TopicConfig{}, fmt.Errorf("topic config %q: unknown filter type %q", truncate(s, 200), truncate(parts[4], 64))
	}
	return c, nil
}

// TopicConfigSerializeWrapper is a broker's whole topic table with its
// version: the GET_ALL_TOPIC_CONFIG body and the heart of a registration.
type TopicConfigSerializeWrapper struct {
	DataVersion      DataVersion            `json:"dataVersion"`
	TopicConfigTable map[string]TopicConfig `json:"topicConfigTable"`
}

// Encode returns the JSON body.
func (w *TopicConfigSerializeWrapper) Encode() ([]byte, error) {
	if w.TopicConfigTable == nil {
		cp := *w
		cp.TopicConfigTable = map[string]TopicConfig{}
		w = &cp
	}
	return jsonMarshal(w)
}

// DecodeTopicConfigSerializeWrapper decodes a topic table body.
func DecodeTopicConfigSerializeWrapper(data []byte) (*TopicConfigSerializeWrapper, error) {
	var w TopicConfigSerializeWrapper
	if err := DecodeJSON(data, &w); err != nil {
		return nil, fmt.Errorf("decode TopicConfigSerializeWrapper: %w", err)
	}
	if w.TopicConfigTable == nil {
		w.TopicConfigTable = map[string]TopicConfig{}
	}
	return &w, nil
}

package client

import (
	"context"
	"strings"
	"testing"

	"github.com/rocketgo/rocketgo/remoting"
)

func TestSerializeTypeOption(t *testing.T) {
	cases := []struct {
		option, env string
		want        remoting.SerializeType
		err         string // substring of the error; "" = none
	}{
		{"", "", remoting.SerializeJSON, ""},
		{"JSON", "", remoting.SerializeJSON, ""},
		{"ROCKETMQ", "", remoting.SerializeRocketMQ, ""},
		{"rocketmq", "", remoting.SerializeRocketMQ, ""},
		{"", "ROCKETMQ", remoting.SerializeRocketMQ, ""},
		{"", "json", remoting.SerializeJSON, ""},
		{"JSON", "ROCKETMQ", remoting.SerializeJSON, ""}, // the option wins
		{"ROCKETMQ", "JSON", remoting.SerializeRocketMQ, ""},
		{"PROTOBUF", "", 0, `SerializeType "PROTOBUF"`},
		{"", "BINARY", 0, `ROCKETMQ_SERIALIZE_TYPE "BINARY"`},
		{"PROTOBUF", "ROCKETMQ", 0, `SerializeType "PROTOBUF"`},
	}
	for _, tc := range cases {
		t.Setenv(serializeTypeEnv, tc.env)
		o, err := ClientOptions{NameServers: []string{"127.0.0.1:9876"}, SerializeType: tc.option}.resolve()
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("option %q env %q: error %v, want one naming %s", tc.option, tc.env, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("option %q env %q: %v", tc.option, tc.env, err)
			continue
		}
		if o.serialize != tc.want {
			t.Errorf("option %q env %q: %v, want %v", tc.option, tc.env, o.serialize, tc.want)
		}
	}
}

// Producers, consumers and Admin share the option, so each refuses a bad
// value when it is made, before it connects anywhere.
func TestSerializeTypeRejectedByConstructors(t *testing.T) {
	t.Setenv(serializeTypeEnv, "")
	opts := ClientOptions{NameServers: []string{"127.0.0.1:9876"}, SerializeType: "XML"}
	if _, err := NewProducer(ProducerOptions{ClientOptions: opts, Group: "g"}); err == nil || !strings.Contains(err.Error(), `"XML"`) {
		t.Errorf("NewProducer: %v", err)
	}
	if _, err := NewAdmin(opts); err == nil || !strings.Contains(err.Error(), `"XML"`) {
		t.Errorf("NewAdmin: %v", err)
	}
	if _, err := NewPushConsumer(PushConsumerOptions{ClientOptions: opts, Group: "g",
		Listener: func(_ context.Context, _ []*MessageExt) (ConsumeResult, error) { return ConsumeSuccess, nil }}); err == nil || !strings.Contains(err.Error(), `"XML"`) {
		t.Errorf("NewPushConsumer: %v", err)
	}
}

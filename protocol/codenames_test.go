package protocol

import "testing"

func TestCodeNames(t *testing.T) {
	cases := []struct {
		code     int32
		response bool
		want     string
	}{
		{ReqSendMessage, false, "SEND_MESSAGE"},
		{RespFlushDiskTimeout, true, "FLUSH_DISK_TIMEOUT"},
		{ReqGetRouteInfoByTopic, false, "GET_ROUTEINFO_BY_TOPIC"},
		{RespTopicNotExist, true, "TOPIC_NOT_EXIST"},
		{ReqPopMessage, false, "POP_MESSAGE"},
		{9999, false, "9999"},
		{-5, true, "-5"},
	}
	for _, c := range cases {
		if got := CodeName(c.code, c.response); got != c.want {
			t.Errorf("CodeName(%d, %v) = %q, want %q", c.code, c.response, got, c.want)
		}
	}
	// Values the reference sheet pins down.
	pinned := map[int32]int32{
		ReqSendMessage: 10, ReqPullMessage: 11, ReqRegisterBroker: 103, ReqGetRouteInfoByTopic: 105,
		ReqSendMessageV2: 310, ReqSendBatchMessage: 320, ReqQueryDataVersion: 322, ReqAddWritePermOfBroker: 327,
		RespTopicNotExist: 17, RespQueryNotFound: 22, RespFlowControl: 215, RespNoPermission: 16,
	}
	for got, want := range pinned {
		if got != want {
			t.Errorf("code %d, want %d", got, want)
		}
	}
	if !KnownRequestCode(ReqHeartBeat) || KnownRequestCode(16) {
		t.Error("KnownRequestCode disagrees with the table")
	}
}

package client

import (
	"context"
	"strings"
	"testing"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// ViewBrokerStats sends the name and key and decodes the windows; the
// broker's "not exist" answer and a body that is not BrokerStatsData are
// errors.
func TestViewBrokerStats(t *testing.T) {
	s := startServer(t)
	s.Handle(protocol.ReqViewBrokerStatsData, nil, func(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
		var h protocol.ViewBrokerStatsDataRequestHeader
		if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
			return remoting.NewResponse(req, protocol.RespSystemError, err.Error()), nil
		}
		resp := remoting.NewResponse(req, protocol.RespSuccess, "")
		switch h.StatsKey {
		case "T@G":
			resp.Body = []byte(`{"statsDay":{"avgpt":1.0,"sum":7,"tps":0.0},"statsHour":{"avgpt":1.0,"sum":7,"tps":0.0},"statsMinute":{"avgpt":1.0,"sum":5,"tps":0.5}}`)
		case "Bad":
			resp.Body = []byte(`[1,2]`)
		default:
			return remoting.NewResponse(req, protocol.RespSystemError, "The stats <"+h.StatsName+"> <"+h.StatsKey+"> not exist"), nil
		}
		return resp, nil
	})
	addr := runServer(t, s)
	a, err := NewAdmin(ClientOptions{NameServers: []string{"127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	d, err := a.ViewBrokerStats(ctx, addr, protocol.StatsGroupGetNums, "T@G")
	if err != nil {
		t.Fatal(err)
	}
	if d.StatsMinute.Sum != 5 || d.StatsMinute.Tps != 0.5 || d.StatsDay.Sum != 7 {
		t.Fatalf("decoded %+v", d)
	}
	if _, err := a.ViewBrokerStats(ctx, addr, protocol.StatsGroupGetNums, "X@Y"); err == nil || !strings.Contains(err.Error(), "The stats <GROUP_GET_NUMS> <X@Y> not exist") {
		t.Fatalf("missing key: %v", err)
	}
	if _, err := a.ViewBrokerStats(ctx, addr, protocol.StatsGroupGetNums, "Bad"); err == nil || !strings.Contains(err.Error(), "BrokerStatsData") {
		t.Fatalf("bad body: %v", err)
	}
}

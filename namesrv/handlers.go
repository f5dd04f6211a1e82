package namesrv

import (
	"fmt"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// faqSuffix is what upstream appends to "topic not found" remarks.
const faqSuffix = "\nSee http://rocketmq.apache.org/docs/faq/ for further details."

// registerHandlers routes every request a 4.x name server serves. Route
// lookups, the bulk of the traffic (every client, every 30 s per topic),
// get their own pool so broker registrations never wait behind them.
// Codes without a handler are answered REQUEST_CODE_NOT_SUPPORTED by
// remoting (a Java name server stays silent and lets the client time out).
func (s *Server) registerHandlers(clientPool *remoting.Pool) {
	s.remote.Handle(protocol.ReqGetRouteInfoByTopic, clientPool, s.getRouteInfoByTopic)
	for code, h := range map[int32]remoting.Handler{
		protocol.ReqRegisterBroker:                s.registerBroker,
		protocol.ReqUnregisterBroker:              s.unregisterBroker,
		protocol.ReqQueryDataVersion:              s.queryDataVersion,
		protocol.ReqGetBrokerClusterInfo:          s.getBrokerClusterInfo,
		protocol.ReqGetAllTopicListFromNameServer: s.getAllTopicList,
		protocol.ReqGetTopicsByCluster:            s.getTopicsByCluster,
		protocol.ReqGetSystemTopicListFromNs:      s.getSystemTopicList,
		protocol.ReqGetUnitTopicList:              s.unitTopicList(isUnit),
		protocol.ReqGetHasUnitSubTopicList:        s.unitTopicList(hasUnitSub),
		protocol.ReqGetHasUnitSubUnunitTopicList:  s.unitTopicList(hasUnitSubNotUnit),
		protocol.ReqWipeWritePermOfBroker:         s.wipeWritePerm,
		protocol.ReqAddWritePermOfBroker:          s.addWritePerm,
		protocol.ReqDeleteTopicInNamesrv:          s.deleteTopic,
		protocol.ReqPutKVConfig:                   s.putKVConfig,
		protocol.ReqGetKVConfig:                   s.getKVConfig,
		protocol.ReqDeleteKVConfig:                s.deleteKVConfig,
		protocol.ReqGetKVListByNamespace:          s.getKVListByNamespace,
		protocol.ReqUpdateNamesrvConfig:           s.updateConfig,
		protocol.ReqGetNamesrvConfig:              s.getConfig,
	} {
		s.remote.Handle(code, nil, h)
	}
}

func ok(req *remoting.Command, body []byte) *remoting.Command {
	resp := remoting.NewResponse(req, protocol.RespSuccess, "")
	resp.Body = body
	return resp
}

func (s *Server) registerBroker(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.RegisterBrokerRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return nil, err
	}
	if h.BodyCRC32 != 0 && protocol.RegisterBodyCRC32(req.Body) != h.BodyCRC32 {
		s.log.Warn("register broker: body crc32 does not match", "broker", h.BrokerAddr, "remote", c.RemoteAddr())
		return remoting.NewResponse(req, protocol.RespSystemError, "crc32 not match"), nil
	}
	reg := registration{
		cluster: h.ClusterName, brokerAddr: h.BrokerAddr, brokerName: h.BrokerName,
		haServerAddr: h.HAServerAddr, brokerID: h.BrokerID, conn: c,
		topics: &protocol.TopicConfigSerializeWrapper{TopicConfigTable: map[string]protocol.TopicConfig{}},
	}
	// Brokers since V3_0_11 wrap the topic table in a RegisterBrokerBody
	// (optionally compressed); older ones send the bare table.
	if req.Version >= protocol.VersionV3_0_11 {
		reg.filterServers = []string{}
		if len(req.Body) > 0 {
			body, err := protocol.DecodeRegisterBrokerBody(req.Body, h.Compressed)
			if err != nil {
				return nil, err
			}
			reg.topics = &body.TopicConfigSerializeWrapper
			if body.FilterServerList != nil {
				reg.filterServers = body.FilterServerList
			}
		}
	} else if len(req.Body) > 0 {
		w, err := protocol.DecodeTopicConfigSerializeWrapper(req.Body)
		if err != nil {
			return nil, err
		}
		reg.topics = w
	}

	res := s.routes.register(reg)
	s.log.Debug("broker registered", "cluster", h.ClusterName, "broker", h.BrokerName, "id", h.BrokerID,
		"addr", h.BrokerAddr, "topics", len(reg.topics.TopicConfigTable), "version", reg.topics.DataVersion.String())

	resp := ok(req, nil)
	resp.ExtFields = protocol.EncodeHeader(&protocol.RegisterBrokerResponseHeader{
		HAServerAddr: res.haServerAddr, MasterAddr: res.masterAddr,
	})
	if s.config().ReturnOrderTopicConfigToBroker {
		if kv, found := s.kv.list(protocol.KVNamespaceOrderTopicConfig); found {
			resp.Body = (&protocol.KVTable{Table: kv}).Encode()
		}
	}
	return resp, nil
}

func (s *Server) unregisterBroker(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.UnRegisterBrokerRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return nil, err
	}
	s.routes.unregister(h.ClusterName, h.BrokerAddr, h.BrokerName, h.BrokerID)
	s.log.Info("broker unregistered", "cluster", h.ClusterName, "broker", h.BrokerName, "id", h.BrokerID, "addr", h.BrokerAddr)
	return ok(req, nil), nil
}

func (s *Server) queryDataVersion(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.QueryDataVersionRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return nil, err
	}
	v, err := protocol.DecodeDataVersion(req.Body)
	if err != nil {
		return nil, err
	}
	changed, stored := s.routes.queryDataVersion(h.BrokerAddr, v)
	resp := ok(req, nil)
	if stored != nil {
		resp.Body = stored.Encode()
	}
	resp.ExtFields = protocol.EncodeHeader(&protocol.QueryDataVersionResponseHeader{Changed: changed})
	return resp, nil
}

func (s *Server) getRouteInfoByTopic(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.GetRouteInfoRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return nil, err
	}
	route, found := s.routes.route(h.Topic)
	if !found {
		return remoting.NewResponse(req, protocol.RespTopicNotExist,
			"No topic route info in name server for the topic: "+h.Topic+faqSuffix), nil
	}
	if s.config().OrderMessageEnable {
		route.OrderTopicConf, _ = s.kv.get(protocol.KVNamespaceOrderTopicConfig, h.Topic)
	}
	standard := h.AcceptStandardJSONOnly != nil && *h.AcceptStandardJSONOnly
	return ok(req, route.Encode(protocol.RouteFormFor(req.Version, standard))), nil
}

func (s *Server) getBrokerClusterInfo(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	return ok(req, s.routes.clusterInfo().Encode(protocol.FastjsonForm)), nil
}

// disabled answers list requests a config switch turned off, as upstream.
func disabled(req *remoting.Command) *remoting.Command {
	return remoting.NewResponse(req, protocol.RespSystemError, "disable")
}

func (s *Server) getAllTopicList(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	if !s.config().EnableAllTopicList {
		return disabled(req), nil
	}
	return ok(req, (&protocol.TopicList{TopicList: s.routes.allTopics()}).Encode()), nil
}

func (s *Server) getTopicsByCluster(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	if !s.config().EnableTopicList {
		return disabled(req), nil
	}
	var h protocol.GetTopicsByClusterRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return nil, err
	}
	return ok(req, (&protocol.TopicList{TopicList: s.routes.topicsOfCluster(h.Cluster)}).Encode()), nil
}

func (s *Server) getSystemTopicList(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	topics, addr := s.routes.systemTopics()
	return ok(req, (&protocol.TopicList{TopicList: topics, BrokerAddr: addr}).Encode()), nil
}

func isUnit(flag int32) bool     { return flag&protocol.TopicSysFlagUnit != 0 }
func hasUnitSub(flag int32) bool { return flag&protocol.TopicSysFlagUnitSub != 0 }
func hasUnitSubNotUnit(flag int32) bool {
	return !isUnit(flag) && hasUnitSub(flag)
}

func (s *Server) unitTopicList(pick func(int32) bool) remoting.Handler {
	return func(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
		if !s.config().EnableTopicList {
			return disabled(req), nil
		}
		return ok(req, (&protocol.TopicList{TopicList: s.routes.topicsWhere(pick)}).Encode()), nil
	}
}

func (s *Server) wipeWritePerm(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.WipeWritePermOfBrokerRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return nil, err
	}
	n := s.routes.wipeWritePerm(h.BrokerName)
	s.log.Info("wiped write permission of broker", "broker", h.BrokerName, "topics", n, "client", c.RemoteAddr())
	resp := ok(req, nil)
	resp.ExtFields = protocol.EncodeHeader(&protocol.WipeWritePermOfBrokerResponseHeader{WipeTopicCount: int32(n)})
	return resp, nil
}

func (s *Server) addWritePerm(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.AddWritePermOfBrokerRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return nil, err
	}
	n := s.routes.addWritePerm(h.BrokerName)
	s.log.Info("added write permission of broker", "broker", h.BrokerName, "topics", n, "client", c.RemoteAddr())
	resp := ok(req, nil)
	resp.ExtFields = protocol.EncodeHeader(&protocol.AddWritePermOfBrokerResponseHeader{AddTopicCount: int32(n)})
	return resp, nil
}

func (s *Server) deleteTopic(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.DeleteTopicFromNamesrvRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return nil, err
	}
	s.routes.deleteTopic(h.Topic, h.ClusterName)
	s.log.Info("topic deleted", "topic", h.Topic, "cluster", h.ClusterName, "client", c.RemoteAddr())
	return ok(req, nil), nil
}

func (s *Server) putKVConfig(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.PutKVConfigRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return nil, err
	}
	if err := s.kv.put(h.Namespace, h.Key, h.Value); err != nil {
		return nil, err
	}
	s.log.Info("kv config put", "namespace", h.Namespace, "key", h.Key, "value", h.Value)
	return ok(req, nil), nil
}

func (s *Server) getKVConfig(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.GetKVConfigRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return nil, err
	}
	v, found := s.kv.get(h.Namespace, h.Key)
	if !found {
		return remoting.NewResponse(req, protocol.RespQueryNotFound,
			fmt.Sprintf("No config item, Namespace: %s Key: %s", h.Namespace, h.Key)), nil
	}
	resp := ok(req, nil)
	resp.ExtFields = protocol.EncodeHeader(&protocol.GetKVConfigResponseHeader{Value: &v})
	return resp, nil
}

func (s *Server) deleteKVConfig(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.DeleteKVConfigRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return nil, err
	}
	if err := s.kv.delete(h.Namespace, h.Key); err != nil {
		return nil, err
	}
	s.log.Info("kv config deleted", "namespace", h.Namespace, "key", h.Key)
	return ok(req, nil), nil
}

func (s *Server) getKVListByNamespace(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.GetKVListByNamespaceRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return nil, err
	}
	kv, found := s.kv.list(h.Namespace)
	if !found {
		return remoting.NewResponse(req, protocol.RespQueryNotFound, "No config item, Namespace: "+h.Namespace), nil
	}
	return ok(req, (&protocol.KVTable{Table: kv}).Encode()), nil
}

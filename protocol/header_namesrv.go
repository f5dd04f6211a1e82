package protocol

// Name server request and response headers (extFields keys as upstream's
// header/namesrv classes name them).

// RegisterBrokerRequestHeader is the header of REGISTER_BROKER (103).
type RegisterBrokerRequestHeader struct {
	BrokerName   string `ext:"brokerName,required"`
	BrokerAddr   string `ext:"brokerAddr,required"` // ip:port of the main listener
	ClusterName  string `ext:"clusterName,required"`
	HAServerAddr string `ext:"haServerAddr,required"` // ip:haPort
	BrokerID     int64  `ext:"brokerId,required"`     // 0 = master
	// Compressed says the body is the zlib form of RegisterBrokerBody.
	Compressed bool `ext:"compressed"`
	// BodyCRC32 is the masked CRC32 of the body; 0 means "not checked".
	BodyCRC32 int32 `ext:"bodyCrc32"`
}

// RegisterBrokerResponseHeader is the header of the REGISTER_BROKER reply.
// Both fields are set only for a slave whose master is alive.
type RegisterBrokerResponseHeader struct {
	HAServerAddr string `ext:"haServerAddr,omitempty"` // the master's HA address
	MasterAddr   string `ext:"masterAddr,omitempty"`   // the master's main address
}

// UnRegisterBrokerRequestHeader is the header of UNREGISTER_BROKER (104).
type UnRegisterBrokerRequestHeader struct {
	BrokerName  string `ext:"brokerName,required"`
	BrokerAddr  string `ext:"brokerAddr,required"`
	ClusterName string `ext:"clusterName,required"`
	BrokerID    int64  `ext:"brokerId,required"`
}

// GetRouteInfoRequestHeader is the header of GET_ROUTEINFO_BY_TOPIC (105).
type GetRouteInfoRequestHeader struct {
	Topic string `ext:"topic,required"`
	// AcceptStandardJSONOnly (4.9.4+) asks for quoted map keys in the body.
	AcceptStandardJSONOnly *bool `ext:"acceptStandardJsonOnly"`
}

// PutKVConfigRequestHeader is the header of PUT_KV_CONFIG (100).
type PutKVConfigRequestHeader struct {
	Namespace string `ext:"namespace,required"`
	Key       string `ext:"key,required"`
	Value     string `ext:"value,required"`
}

// GetKVConfigRequestHeader is the header of GET_KV_CONFIG (101).
type GetKVConfigRequestHeader struct {
	Namespace string `ext:"namespace,required"`
	Key       string `ext:"key,required"`
}

// GetKVConfigResponseHeader is the header of the GET_KV_CONFIG reply.
type GetKVConfigResponseHeader struct {
	Value *string `ext:"value"`
}

// DeleteKVConfigRequestHeader is the header of DELETE_KV_CONFIG (102).
type DeleteKVConfigRequestHeader struct {
	Namespace string `ext:"namespace,required"`
	Key       string `ext:"key,required"`
}

// GetKVListByNamespaceRequestHeader is the header of GET_KVLIST_BY_NAMESPACE (219).
type GetKVListByNamespaceRequestHeader struct {
	Namespace string `ext:"namespace,required"`
}

// WipeWritePermOfBrokerRequestHeader is the header of WIPE_WRITE_PERM_OF_BROKER (205).
type WipeWritePermOfBrokerRequestHeader struct {
	BrokerName string `ext:"brokerName,required"`
}

// WipeWritePermOfBrokerResponseHeader is the header of the WIPE_WRITE_PERM_OF_BROKER reply.
type WipeWritePermOfBrokerResponseHeader struct {
	WipeTopicCount int32 `ext:"wipeTopicCount,required"`
}

// AddWritePermOfBrokerRequestHeader is the header of ADD_WRITE_PERM_OF_BROKER (327).
type AddWritePermOfBrokerRequestHeader struct {
	BrokerName string `ext:"brokerName,required"`
}

// AddWritePermOfBrokerResponseHeader is the header of the ADD_WRITE_PERM_OF_BROKER reply.
type AddWritePermOfBrokerResponseHeader struct {
	AddTopicCount int32 `ext:"addTopicCount,required"`
}

// DeleteTopicFromNamesrvRequestHeader is the header of DELETE_TOPIC_IN_NAMESRV (216).
// An empty ClusterName removes the topic from every cluster.
type DeleteTopicFromNamesrvRequestHeader struct {
	Topic       string `ext:"topic,required"`
	ClusterName string `ext:"clusterName,omitempty"`
}

// GetTopicsByClusterRequestHeader is the header of GET_TOPICS_BY_CLUSTER (224).
type GetTopicsByClusterRequestHeader struct {
	Cluster string `ext:"cluster,required"`
}

// QueryDataVersionRequestHeader is the header of QUERY_DATA_VERSION (322); the
// body is the broker's DataVersion.
type QueryDataVersionRequestHeader struct {
	BrokerName  string `ext:"brokerName,required"`
	BrokerAddr  string `ext:"brokerAddr,required"`
	ClusterName string `ext:"clusterName,required"`
	BrokerID    int64  `ext:"brokerId,required"`
}

// QueryDataVersionResponseHeader is the header of the QUERY_DATA_VERSION reply.
type QueryDataVersionResponseHeader struct {
	Changed bool `ext:"changed,required"`
}

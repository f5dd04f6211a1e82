package protocol

import (
	"fmt"
	"maps"
	"slices"
)

// ClusterInfo is the GET_BROKER_CLUSTER_INFO body: every broker name with
// its addresses, and which broker names make up each cluster.
type ClusterInfo struct {
	BrokerAddrTable  map[string]BrokerData `json:"brokerAddrTable"`
	ClusterAddrTable map[string][]string   `json:"clusterAddrTable"`
}

// Encode writes the cluster info in the given form. Java name servers
// always use FastjsonForm for this body.
func (c *ClusterInfo) Encode(form JSONForm) []byte {
	dst := make([]byte, 0, 256)
	dst = append(dst, `{"brokerAddrTable":{`...)
	for i, name := range slices.Sorted(maps.Keys(c.BrokerAddrTable)) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonAppendKey(dst, name)
		bd := c.BrokerAddrTable[name]
		dst = bd.appendJSON(dst, form)
	}
	dst = append(dst, `},"clusterAddrTable":{`...)
	for i, name := range slices.Sorted(maps.Keys(c.ClusterAddrTable)) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonAppendKey(dst, name)
		dst = jsonAppendStrings(dst, slices.Sorted(slices.Values(c.ClusterAddrTable[name])))
	}
	return append(dst, "}}"...)
}

// DecodeClusterInfo decodes a cluster info body in either form.
func DecodeClusterInfo(data []byte) (*ClusterInfo, error) {
	var c ClusterInfo
	if err := DecodeJSON(data, &c); err != nil {
		return nil, fmt.Errorf("decode ClusterInfo: %w", err)
	}
	if c.BrokerAddrTable == nil {
		c.BrokerAddrTable = map[string]BrokerData{}
	}
	if c.ClusterAddrTable == nil {
		c.ClusterAddrTable = map[string][]string{}
	}
	return &c, nil
}

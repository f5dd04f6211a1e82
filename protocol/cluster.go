package protocol

import (
	"fmt"
	"slices"
	"sort"
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
	names := make([]string, 0, len(c.BrokerAddrTable))
	for name := range c.BrokerAddrTable {
		names = append(names, name)
	}
	sort.Strings(names)
	for i, name := range names {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonAppendKey(dst, name)
		bd := c.BrokerAddrTable[name]
		dst = bd.appendJSON(dst, form)
	}
	dst = append(dst, `},"clusterAddrTable":{`...)
	clusters := make([]string, 0, len(c.ClusterAddrTable))
	for name := range c.ClusterAddrTable {
		clusters = append(clusters, name)
	}
	sort.Strings(clusters)
	for i, name := range clusters {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonAppendKey(dst, name)
		members := slices.Clone(c.ClusterAddrTable[name])
		sort.Strings(members)
		dst = jsonAppendStrings(dst, members)
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

package commitlog

import (
	"unsafe"

	"github.com/rocketgo/rocketgo/protocol"
)

// DispatchRequest is what the dispatcher needs from one record to build the
// consume queue and the index. The byte fields alias the record's views.
type DispatchRequest struct {
	Topic                     []byte
	QueueID                   int32
	PhyOffset                 int64
	Size                      int32
	Tags                      []byte // TAGS property, nil when absent
	TagsCode                  int64  // Java hash of TAGS, 0 without tags
	StoreTimestamp            int64
	BornTimestamp             int64
	QueueOffset               int64
	Keys                      []byte // KEYS property: space-separated keys
	UniqKey                   []byte // UNIQ_KEY property
	SysFlag                   int32
	PreparedTransactionOffset int64
	Properties                []byte
}

// Dispatch extracts the dispatch fields of r, found at phyOffset. It does
// not allocate.
func (r *Record) Dispatch(phyOffset int64) DispatchRequest {
	d := DispatchRequest{
		Topic:                     r.Topic,
		QueueID:                   r.QueueID,
		PhyOffset:                 phyOffset,
		Size:                      r.Size,
		StoreTimestamp:            r.StoreTimestamp,
		BornTimestamp:             r.BornTimestamp,
		QueueOffset:               r.QueueOffset,
		SysFlag:                   r.SysFlag,
		PreparedTransactionOffset: r.PreparedTransactionOffset,
		Properties:                r.Properties,
	}
	if tags, ok := protocol.LookupProperty(r.Properties, protocol.PropertyTags); ok {
		d.Tags = tags
		d.TagsCode = TagsCode(tags)
	}
	if keys, ok := protocol.LookupProperty(r.Properties, protocol.PropertyKeys); ok {
		d.Keys = keys
	}
	if uniq, ok := protocol.LookupProperty(r.Properties, protocol.PropertyUniqClientMessageID); ok {
		d.UniqKey = uniq
	}
	return d
}

// TagsCode is the consume-queue tags code of a TAGS value held in a view,
// computed without copying it.
func TagsCode(tags []byte) int64 {
	if len(tags) == 0 {
		return 0
	}
	// The hash only reads the string during the call, so aliasing the view
	// is safe and saves a copy per dispatched message.
	return protocol.TagsCode(unsafe.String(unsafe.SliceData(tags), len(tags)))
}

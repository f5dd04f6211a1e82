package consumequeue

import (
	"encoding/binary"
	"sync/atomic"
	"unsafe"
)

// Unit is one consume queue entry.
type Unit struct {
	PhyOffset int64 // commit log offset of the record
	Size      int32 // record size
	TagsCode  int64 // tags hash, delivery time for the schedule topic
}

// IsBlank reports whether u is the filler upstream writes before the first
// real unit of a queue that starts mid-way.
func (u Unit) IsBlank() bool {
	return u.PhyOffset == 0 && u.Size == blankSize && u.TagsCode == 0
}

// IsMessage reports whether u points at a message: not blank, not a unit of
// zeros (not yet written), not negative.
func (u Unit) IsMessage() bool {
	return u.PhyOffset >= 0 && u.Size > 0 && !u.IsBlank()
}

// valid is upstream's recovery test: a unit ends the queue when it fails it.
func (u Unit) valid() bool { return u.PhyOffset >= 0 && u.Size > 0 }

func decodeUnit(b []byte) Unit {
	return Unit{
		PhyOffset: int64(binary.BigEndian.Uint64(b)),
		Size:      int32(binary.BigEndian.Uint32(b[8:])),
		TagsCode:  int64(binary.BigEndian.Uint64(b[12:])),
	}
}

func encodeUnit(b []byte, u Unit) {
	binary.BigEndian.PutUint64(b, uint64(u.PhyOffset))
	binary.BigEndian.PutUint32(b[8:], uint32(u.Size))
	binary.BigEndian.PutUint64(b[12:], uint64(u.TagsCode))
}

// writeUnit writes u into zeroed bytes of a mapped file so that a process
// killed at any point leaves either u or a unit recovery rejects: tags code
// and offset first, then the size, the field that makes a unit valid, with
// one store instruction (a kill cannot split it).
func writeUnit(b []byte, u Unit) {
	b = b[:UnitSize]
	binary.BigEndian.PutUint64(b[12:], uint64(u.TagsCode))
	afterWrite()
	binary.BigEndian.PutUint64(b, uint64(u.PhyOffset))
	afterWrite()
	var size [4]byte
	binary.BigEndian.PutUint32(size[:], uint32(u.Size))
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&b[8])), *(*uint32)(unsafe.Pointer(&size)))
	afterWrite()
}

// killAfterWrite, when a test sets it, runs after each write of writeUnit; a
// test panics in it to stop the write where a killed process would.
var killAfterWrite func()

func afterWrite() {
	if killAfterWrite != nil {
		killAfterWrite()
	}
}

// torn reports whether have is want with its first or last 4, 8, 12 or 16
// bytes zero: what a power failure leaves of a unit written over zeros when
// the unit straddles a page (or sector) boundary and only one side reached
// the disk. Units are 20 bytes at multiples of 20 and pages and sectors are
// multiples of 512, so the boundary always falls on a multiple of 4 bytes.
func torn(have, want Unit) bool {
	if have == want {
		return false
	}
	var h, w [UnitSize]byte
	encodeUnit(h[:], have)
	encodeUnit(w[:], want)
	for cut := 4; cut < UnitSize; cut += 4 {
		if isZero(h[:cut]) && string(h[cut:]) == string(w[cut:]) {
			return true
		}
		if isZero(h[cut:]) && string(h[:cut]) == string(w[:cut]) {
			return true
		}
	}
	return false
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

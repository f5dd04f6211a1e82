// Package commitlog owns the commit log's record format and the log itself:
// appending records to memory-mapped segments, reading a record at a physical
// offset, and scanning forward for recovery and dispatch.
//
// # Records
//
// The format is RocketMQ 4.x's, byte for byte, big-endian throughout:
// TOTALSIZE, MAGICCODE, BODYCRC, QUEUEID, FLAG, QUEUEOFFSET, PHYSICALOFFSET,
// SYSFLAG, BORNTIMESTAMP, BORNHOST, STORETIMESTAMP, STOREHOST,
// RECONSUMETIMES, PREPARED TRANSACTION OFFSET, then the body, topic and
// properties each behind its length. A host is 4 address bytes and a 4-byte
// port, or 16+4 for IPv6, flagged by SYSFLAG bits 0x10 (born host) and 0x20
// (store host); Encode sets those bits from the addresses. Magic v1 has a
// one-byte topic length; v2 (used only for topics longer than 127 bytes) a
// two-byte one. The body CRC is CRC32-IEEE masked to 31 bits.
//
// # Segments and the blank rule
//
// A record never straddles two segments. When a record plus an 8-byte blank
// header does not fit what is left of the tail segment, Append writes a blank
// record (TOTALSIZE = the remainder, BlankMagic) there, which marks the
// segment full, and appends to a new segment. So every full segment ends with
// a blank, and a reader that meets one continues at the next segment's base.
// A batch is encoded as consecutive records in one segment, never split.
//
// Append encodes straight into the mapping (segment.File.AppendWith): no
// intermediate buffer and no heap allocation per record. The caller (the
// store's put lock) serialises appends and supplies the queue offset and
// store time, which are only known under that lock.
//
// # Reading
//
// Read, Slice and Chunk return views into mapped memory and hold the segment
// they come from; the caller releases it, after which the views must not be
// used. Chunk never crosses a segment, like upstream's "read from offset".
//
// A Scanner walks records from a boundary. With CRC checks it is the recovery
// scan: it stops at the first record that does not decode (zeros, a bad
// magic, lengths that disagree with TOTALSIZE, a CRC mismatch, a torn tail)
// and Offset is then the end of valid data. Without CRC checks it is the
// dispatcher's reader: Next returns false at the readable end with a nil Err
// and picks up new records on the next call. Record.Dispatch extracts the
// fields the consume queue and index need (topic, queue, offsets, size, tags
// code, keys, unique key, store time, sysflag) without allocating.
//
// Decode and the Scanner never panic on any input (FuzzScanRecords).
package commitlog

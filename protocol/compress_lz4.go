package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// A 4.9.4+ Java producer started with -Drocketmq.message.compressType=LZ4
// sends bodies as LZ4 frames (lz4-java's LZ4FrameOutputStream). This is a
// decoder for the frame format (lz4 spec, frame format 1.6): block
// checksums, content checksum, content size, linked or independent
// blocks, concatenated and skippable frames. Dictionary frames are refused.

const (
	lz4FrameMagic        = 0x184D2204
	lz4SkippableMagic    = 0x184D2A50 // low 4 bits are free
	lz4SkippableMask     = 0xFFFFFFF0
	lz4FlagBlockChecksum = 0x10
	lz4FlagContentSize   = 0x08
	lz4FlagContentCheck  = 0x04
	lz4FlagDictID        = 0x01
	lz4MinMatch          = 4
	lz4UncompressedBit   = 0x80000000
)

var errLZ4Truncated = errors.New("truncated")

// decodeLZ4Frame decodes one or more LZ4 frames, refusing output past limit.
func decodeLZ4Frame(src []byte, limit int) ([]byte, error) {
	var out []byte
	for frame := 0; len(src) > 0; frame++ {
		var err error
		out, src, err = decodeOneLZ4Frame(out, src, limit)
		if err != nil {
			return nil, fmt.Errorf("decompress LZ4 body: frame %d: %w", frame, err)
		}
	}
	if out == nil {
		return nil, errors.New("decompress LZ4 body: no frame")
	}
	return out, nil
}

func decodeOneLZ4Frame(out, src []byte, limit int) ([]byte, []byte, error) {
	le := binary.LittleEndian
	if len(src) < 7 {
		return out, nil, errLZ4Truncated
	}
	magic := le.Uint32(src)
	if magic&lz4SkippableMask == lz4SkippableMagic {
		n := uint64(le.Uint32(src[4:]))
		if n > uint64(len(src)-8) {
			return out, nil, fmt.Errorf("skippable frame of %d bytes: %w", n, errLZ4Truncated)
		}
		return out, src[8+n:], nil
	}
	if magic != lz4FrameMagic {
		return out, nil, fmt.Errorf("magic %#08x is not an LZ4 frame", magic)
	}
	flg, bd := src[4], src[5]
	if flg>>6 != 1 || flg&0x02 != 0 || bd&0x8F != 0 {
		return out, nil, fmt.Errorf("unsupported frame descriptor FLG=%#02x BD=%#02x", flg, bd)
	}
	if flg&lz4FlagDictID != 0 {
		return out, nil, errors.New("frames that need a dictionary are not supported")
	}
	blockMax := 1 << (8 + 2*int(bd>>4)) // ids 4..7: 64 KiB .. 4 MiB
	if bd>>4 < 4 {
		return out, nil, fmt.Errorf("block size id %d is not defined", bd>>4)
	}
	descEnd := 6
	if flg&lz4FlagContentSize != 0 {
		descEnd += 8
	}
	if len(src) < descEnd+1 {
		return out, nil, errLZ4Truncated
	}
	if hc := byte(xxh32(src[4:descEnd], 0) >> 8); hc != src[descEnd] {
		return out, nil, fmt.Errorf("header checksum %#02x, want %#02x", src[descEnd], hc)
	}
	var contentSize uint64
	if flg&lz4FlagContentSize != 0 {
		contentSize = le.Uint64(src[6:])
		if contentSize > uint64(limit-len(out)) {
			return out, nil, fmt.Errorf("content size %d is past the %d-byte limit", contentSize, limit)
		}
	}
	src = src[descEnd+1:]
	start := len(out)
	for {
		if len(src) < 4 {
			return out, nil, errLZ4Truncated
		}
		size := le.Uint32(src)
		src = src[4:]
		if size == 0 {
			break // end mark
		}
		raw := size&lz4UncompressedBit != 0
		size &^= lz4UncompressedBit
		if int(size) > blockMax || int(size) > len(src) {
			return out, nil, fmt.Errorf("block of %d bytes (max %d, %d left): %w", size, blockMax, len(src), errLZ4Truncated)
		}
		block := src[:size]
		src = src[size:]
		if flg&lz4FlagBlockChecksum != 0 {
			if len(src) < 4 {
				return out, nil, errLZ4Truncated
			}
			if got, want := le.Uint32(src), xxh32(block, 0); got != want {
				return out, nil, fmt.Errorf("block checksum %#08x, want %#08x", got, want)
			}
			src = src[4:]
		}
		var err error
		if raw {
			if len(block) > limit-len(out) {
				return out, nil, fmt.Errorf("output passes the %d-byte limit", limit)
			}
			out = append(out, block...)
		} else if out, err = lz4DecodeBlock(out, block, start, limit); err != nil {
			return out, nil, err
		}
	}
	if flg&lz4FlagContentCheck != 0 {
		if len(src) < 4 {
			return out, nil, errLZ4Truncated
		}
		if got, want := le.Uint32(src), xxh32(out[start:], 0); got != want {
			return out, nil, fmt.Errorf("content checksum %#08x, want %#08x", got, want)
		}
		src = src[4:]
	}
	if flg&lz4FlagContentSize != 0 && uint64(len(out)-start) != contentSize {
		return out, nil, fmt.Errorf("decoded %d bytes, the header says %d", len(out)-start, contentSize)
	}
	return out, src, nil
}

// lz4DecodeBlock appends the decoded block to out. Matches may reach back
// into earlier blocks of the same frame (which starts at out[frameStart]).
func lz4DecodeBlock(out, src []byte, frameStart, limit int) ([]byte, error) {
	for i := 0; ; {
		if i >= len(src) {
			return out, fmt.Errorf("block ends inside a sequence: %w", errLZ4Truncated)
		}
		token := src[i]
		i++
		litLen, ok := lz4Length(src, &i, int(token>>4))
		if !ok || litLen > len(src)-i {
			return out, fmt.Errorf("literal run at block byte %d: %w", i, errLZ4Truncated)
		}
		if litLen > limit-len(out) {
			return out, fmt.Errorf("output passes the %d-byte limit", limit)
		}
		out = append(out, src[i:i+litLen]...)
		i += litLen
		if i == len(src) {
			return out, nil // the last sequence has literals only
		}
		if len(src)-i < 2 {
			return out, fmt.Errorf("match offset at block byte %d: %w", i, errLZ4Truncated)
		}
		offset := int(src[i]) | int(src[i+1])<<8
		i += 2
		if offset == 0 || offset > len(out)-frameStart {
			return out, fmt.Errorf("match offset %d reaches before the frame (%d bytes decoded)", offset, len(out)-frameStart)
		}
		matchLen, ok := lz4Length(src, &i, int(token&0xF))
		if !ok {
			return out, fmt.Errorf("match length at block byte %d: %w", i, errLZ4Truncated)
		}
		matchLen += lz4MinMatch
		if matchLen > limit-len(out) {
			return out, fmt.Errorf("output passes the %d-byte limit", limit)
		}
		// Copy in runs of at most offset bytes so overlapping matches
		// repeat the pattern, as the format requires.
		for matchLen > 0 {
			from := len(out) - offset
			n := min(matchLen, offset)
			out = append(out, out[from:from+n]...)
			matchLen -= n
		}
	}
}

// lz4Length reads the 255-continued extension of a 4-bit length field.
func lz4Length(src []byte, i *int, n int) (int, bool) {
	if n != 15 {
		return n, true
	}
	for {
		if *i >= len(src) {
			return 0, false
		}
		b := src[*i]
		*i++
		n += int(b)
		if b != 255 {
			return n, true
		}
	}
}

const (
	xxhPrime1 uint32 = 2654435761
	xxhPrime2 uint32 = 2246822519
	xxhPrime3 uint32 = 3266489917
	xxhPrime4 uint32 = 668265263
	xxhPrime5 uint32 = 374761393
)

// xxh32 is the 32-bit xxHash the LZ4 frame format uses for its checksums.
func xxh32(b []byte, seed uint32) uint32 {
	le := binary.LittleEndian
	n := uint32(len(b))
	var h uint32
	if len(b) >= 16 {
		v1 := seed + xxhPrime1 + xxhPrime2
		v2 := seed + xxhPrime2
		v3 := seed
		v4 := seed - xxhPrime1
		for ; len(b) >= 16; b = b[16:] {
			v1 = bits.RotateLeft32(v1+le.Uint32(b)*xxhPrime2, 13) * xxhPrime1
			v2 = bits.RotateLeft32(v2+le.Uint32(b[4:])*xxhPrime2, 13) * xxhPrime1
			v3 = bits.RotateLeft32(v3+le.Uint32(b[8:])*xxhPrime2, 13) * xxhPrime1
			v4 = bits.RotateLeft32(v4+le.Uint32(b[12:])*xxhPrime2, 13) * xxhPrime1
		}
		h = bits.RotateLeft32(v1, 1) + bits.RotateLeft32(v2, 7) + bits.RotateLeft32(v3, 12) + bits.RotateLeft32(v4, 18)
	} else {
		h = seed + xxhPrime5
	}
	h += n
	for ; len(b) >= 4; b = b[4:] {
		h = bits.RotateLeft32(h+le.Uint32(b)*xxhPrime3, 17) * xxhPrime4
	}
	for _, c := range b {
		h = bits.RotateLeft32(h+uint32(c)*xxhPrime5, 11) * xxhPrime1
	}
	h ^= h >> 15
	h *= xxhPrime2
	h ^= h >> 13
	h *= xxhPrime3
	h ^= h >> 16
	return h
}

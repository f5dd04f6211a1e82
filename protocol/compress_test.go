package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lz4TestInput is the input of the frames in testdata/compress_lz4, made
// with the lz4 command-line tool (see TestLZ4Frames): compressible text
// over two 64 KiB blocks, then 3000 bytes of noise that stay literal.
func lz4TestInput() []byte {
	var b bytes.Buffer
	for i := range 3000 {
		fmt.Fprintf(&b, "line %05d: the quick brown fox jumps over the lazy dog %d\n", i, i%7)
	}
	x := uint32(1)
	for range 3000 {
		x = x*1664525 + 1013904223
		b.WriteByte(byte(x >> 24))
	}
	return b.Bytes()
}

func TestCompressionTypeOf(t *testing.T) {
	tests := []struct {
		sysFlag int32
		want    CompressionType
		err     bool
	}{
		{SysFlagCompressed, CompressionZlib, false}, // before 4.9.4: no type bits
		{SysFlagCompressed | SysFlagCompressionZlib, CompressionZlib, false},
		{SysFlagCompressed | SysFlagCompressionLZ4, CompressionLZ4, false},
		{SysFlagCompressed | SysFlagCompressionZSTD, CompressionZSTD, false},
		{SysFlagCompressed | 0x400, 0, true},
	}
	for _, tt := range tests {
		got, err := CompressionTypeOf(tt.sysFlag)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("CompressionTypeOf(%#x) = %v, %v", tt.sysFlag, got, err)
		}
	}
}

func TestZlibRoundTripAndLimit(t *testing.T) {
	plain := lz4TestInput()
	z, err := CompressBody(plain, DefaultCompressLevel)
	if err != nil {
		t.Fatal(err)
	}
	// RFC 1950 header: CM=8 (deflate), and FCHECK makes it a multiple of 31.
	if z[0]&0x0F != 8 || (uint16(z[0])<<8|uint16(z[1]))%31 != 0 {
		t.Fatalf("not a zlib stream: % X", z[:2])
	}
	got, err := DecompressBody(SysFlagCompressed, z, 0)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := DecompressBody(SysFlagCompressed, z, len(plain)-1); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("limit: %v", err)
	}
	if _, err := DecompressBody(SysFlagCompressed, z[:len(z)/2], 0); err == nil {
		t.Fatal("truncated zlib stream decoded")
	}
	if _, err := DecompressBody(SysFlagCompressed, []byte("not zlib"), 0); err == nil {
		t.Fatal("garbage decoded")
	}
}

func TestLZ4Frames(t *testing.T) {
	// Made with: lz4 -c <flags> input > testdata/compress_lz4/<name>.lz4
	// where input is lz4TestInput().
	plain := lz4TestInput()
	files, _ := filepath.Glob("testdata/compress_lz4/*.lz4")
	if len(files) < 4 {
		t.Fatalf("found %d LZ4 test frames", len(files))
	}
	for _, f := range files {
		frame, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecompressBody(SysFlagCompressed|SysFlagCompressionLZ4, frame, 0)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if !bytes.Equal(got, plain) {
			t.Errorf("%s: decoded %d bytes that differ from the %d-byte input", f, len(got), len(plain))
		}
		if _, err := DecompressBody(SysFlagCompressed|SysFlagCompressionLZ4, frame, len(plain)-1); err == nil {
			t.Errorf("%s: limit not enforced", f)
		}
		for _, cut := range []int{5, 7, 20, len(frame) / 2, len(frame) - 1} {
			if _, err := decodeLZ4Frame(frame[:cut], 1<<20); err == nil {
				t.Errorf("%s: cut at %d decoded", f, cut)
			}
		}
	}
}

func TestLZ4Corruption(t *testing.T) {
	frame, err := os.ReadFile("testdata/compress_lz4/block_checksums.lz4")
	if err != nil {
		t.Fatal(err)
	}
	for _, pos := range []int{4, 6, 40, len(frame) - 2} {
		c := append([]byte(nil), frame...)
		c[pos] ^= 0x40
		if _, err := decodeLZ4Frame(c, 1<<20); err == nil {
			t.Errorf("flipped byte %d decoded", pos)
		}
	}
	// A skippable frame before the data is passed over.
	skip := append([]byte{0x5A, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 'a', 'b', 'c'}, frame...)
	if got, err := decodeLZ4Frame(skip, 1<<20); err != nil || !bytes.Equal(got, lz4TestInput()) {
		t.Errorf("skippable frame: %v", err)
	}
}

func TestXXH32(t *testing.T) {
	// Reference values of XXH32 with seed 0.
	tests := []struct {
		in   string
		want uint32
	}{
		{"", 0x02CC5D05},
		{"a", 0x550D7456},
		{"abc", 0x32D153FF},
		{"Nobody inspects the spammish repetition", 0xE2293B2F},
	}
	for _, tt := range tests {
		if got := xxh32([]byte(tt.in), 0); got != tt.want {
			t.Errorf("xxh32(%q) = %#08x, want %#08x", tt.in, got, tt.want)
		}
	}
}

func TestDecompressUnsupported(t *testing.T) {
	_, err := DecompressBody(SysFlagCompressed|SysFlagCompressionZSTD, []byte{1, 2, 3}, 0)
	if !errors.Is(err, ErrUnsupportedCompression) || !strings.Contains(err.Error(), "ZSTD") {
		t.Fatalf("ZSTD: %v", err)
	}
}

func FuzzDecompressBody(f *testing.F) {
	// lz4 -c -BX -BD --content-size, and plain lz4 -c, of the same text.
	small := "hello hello hello hello hello, world world world"
	f.Add(int32(SysFlagCompressed|SysFlagCompressionLZ4), unhex(f,
		"04224d187c403000000000000000cf1a0000006f68656c6c6f20060004732c20776f726c64060050776f726c64b8c074e200000000597182ce"))
	f.Add(int32(SysFlagCompressed|SysFlagCompressionLZ4), unhex(f,
		"04224d186440a71a0000006f68656c6c6f20060004732c20776f726c64060050776f726c6400000000597182ce"))
	z, _ := CompressBody([]byte(small), DefaultCompressLevel)
	f.Add(int32(SysFlagCompressed), z)
	f.Fuzz(func(t *testing.T, sysFlag int32, b []byte) {
		out, err := DecompressBody(sysFlag, b, 1<<20)
		if err == nil && len(out) > 1<<20 {
			t.Fatalf("output of %d bytes passes the limit", len(out))
		}
	})
}

func TestLZ4SmallSeeds(t *testing.T) {
	want := "hello hello hello hello hello, world world world"
	for _, h := range []string{
		"04224d187c403000000000000000cf1a0000006f68656c6c6f20060004732c20776f726c64060050776f726c64b8c074e200000000597182ce",
		"04224d186440a71a0000006f68656c6c6f20060004732c20776f726c64060050776f726c6400000000597182ce",
	} {
		got, err := DecompressBody(SysFlagCompressed|SysFlagCompressionLZ4, unhex(t, h), 0)
		if err != nil || string(got) != want {
			t.Errorf("got %q, %v", got, err)
		}
	}
}

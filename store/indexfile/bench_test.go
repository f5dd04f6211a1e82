package indexfile

import (
	"strconv"
	"testing"
)

var benchOpts = Options{Slots: 500_000, MaxEntries: 2_000_000}

func benchKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "BenchTopic#order-" + strconv.Itoa(i)
	}
	return keys
}

// BenchmarkKeyHashBaseline is the hash alone: the floor for Put and Query in
// the same run.
func BenchmarkKeyHashBaseline(b *testing.B) {
	keys := benchKeys(1024)
	var sink int32
	for i := 0; i < b.N; i++ {
		sink += KeyHash(keys[i%len(keys)])
	}
	_ = sink
}

func BenchmarkPut(b *testing.B) {
	x, err := OpenDir(b.TempDir(), benchOpts)
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	keys := benchKeys(1 << 16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := x.Put(keys[i%len(keys)], int64(i), 1_700_000_000_000+int64(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQuery looks up one key among 200,000 indexed ones (10 keys per
// slot on average, as with upstream's 4 entries per slot at full load).
func BenchmarkQuery(b *testing.B) {
	x, err := OpenDir(b.TempDir(), Options{Slots: 20_000, MaxEntries: 400_000})
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	keys := benchKeys(200_000)
	for i, k := range keys {
		if err := x.Put(k, int64(i), 1_700_000_000_000+int64(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, _ := x.Query(keys[(i*7919)%len(keys)], 32, 0, 1<<62)
		if len(got) == 0 {
			b.Fatal("key not found")
		}
	}
}

package consumequeue

import "testing"

// BenchmarkEncodeUnitBaseline encodes a unit into a heap buffer: the floor a
// Put can be compared with in the same run.
func BenchmarkEncodeUnitBaseline(b *testing.B) {
	buf := make([]byte, UnitSize*1024)
	for i := 0; i < b.N; i++ {
		encodeUnit(buf[(i%1024)*UnitSize:], Unit{PhyOffset: int64(i) * 100, Size: 50, TagsCode: int64(i)})
	}
}

func BenchmarkPut(b *testing.B) {
	q, err := Open(b.TempDir(), "Bench", 0, DefaultUnitsPerFile)
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := q.Put(int64(i), int64(i)*100, 50, int64(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRange reads 32 units per call (a pull batch); ns/op is per unit.
func BenchmarkRange(b *testing.B) {
	q, err := Open(b.TempDir(), "Bench", 0, 100_000)
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	const units = 200_000
	for i := int64(0); i < units; i++ {
		if err := q.Put(i, i*100, 50, i); err != nil {
			b.Fatal(err)
		}
	}
	var sum int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += 32 {
		q.Range(int64(i%units), 32, func(_ int64, u Unit) bool {
			sum += u.PhyOffset
			return true
		})
	}
	_ = sum
}

package store

import "math"

// IndexOffsets returns every commit log offset the index holds for
// topic#key, newest first, as the index answers it: duplicates and offsets
// of other keys with the same hash included, nothing checked against the log.
func (s *Store) IndexOffsets(topic, key string) []int64 {
	offs, _ := s.index.Query(topic+"#"+key, math.MaxInt32, 0, math.MaxInt64)
	return offs
}

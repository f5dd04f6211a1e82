package store

// InDiskByConsumeOffset says whether the message at a queue offset has
// probably left the page cache: it lies further behind the end of the
// commit log than accessMessageInMemoryMaxRatio percent of RAM (upstream's
// checkInDiskByConsumeOffset). The broker asks it before telling a new
// group to start a queue at 0. A missing queue or offset is not in disk.
func (s *Store) InDiskByConsumeOffset(topic string, queueID int32, offset int64) bool {
	q := s.queues.Get(topic, queueID)
	if q == nil {
		return false
	}
	u, ok := q.Get(offset)
	if !ok {
		return false
	}
	return s.inDisk(u.PhyOffset, s.commitLog.MaxOffset())
}

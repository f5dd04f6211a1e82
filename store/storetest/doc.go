// Package storetest opens message stores for tests and checks, when the
// test ends, that the consume queues and the index agree with the commit
// log.
//
// MustOpen (and Open) register a cleanup that waits for the dispatcher to
// catch up, runs store.CheckConsistency (every record of the commit log has
// exactly one consume queue unit at its queue offset with its offset, size
// and tags code; every unit points at such a record; the index finds every
// record under each of its keys) and closes the store. A test that closed
// the store itself gets it reopened, which also checks that recovery left a
// consistent store. Stores live in t.TempDir() with small files (1 MiB
// commit log segments, 1000-unit consume queue files, small index files)
// and a quiet logger; expiry never runs on its own.
package storetest

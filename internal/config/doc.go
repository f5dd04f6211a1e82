// Package config loads the .properties files that mqnamesrv and mqbroker read
// with -c, into typed structs that carry upstream RocketMQ's key names.
//
// # File format
//
// ParseProperties reads the java.util.Properties format: key=value,
// key: value or key value; '#' and '!' comment lines; a line ending in an odd
// number of backslashes continues on the next; the escapes \t \n \r \f
// \uXXXX, and a backslash before any other character for that character.
// Three things differ from Java, all in the user's favour: text is UTF-8, not
// Latin-1; trailing whitespace of a value is dropped (Java keeps it, then
// fails to parse "10911 " as a number and ignores the key); and ${name} in a
// value expands to the key name of the same file, else the environment
// variable name, else the target struct's default for key name (so
// ${storePathRootDir} works when the file does not set it). Write \${ for a
// literal "${". An undefined or cyclic reference is an error naming the key
// and line. A '#' after a value is part of the value, as in Java; the loader
// warns about it because it is almost always a comment that was meant.
//
// # Structs, defaults, loading, validation
//
// Each process has one struct, Namesrv or Broker, whose fields carry their
// key as a tag (`key:"namesrvAddr"`), with `alias:"..."` for older spellings
// (mapedFileSizeCommitLog before 4.6). Defaults live in one place:
// DefaultNamesrv and DefaultBroker. LoadFile overwrites them with the file's
// keys by reflection, converting to each field's type (string, bool, int,
// int64, float64; numbers are plain decimal, intervals are milliseconds as
// upstream writes them), and returns every problem at once, each an *Error
// with file, line and key. Keys the struct does not know are not errors,
// since upstream ignores them too, but each gets a Warning that suggests the
// closest known key: "unknown key nameServerAddr is ignored: did you mean
// namesrvAddr?". Set applies one key=value, for command-line flags.
//
// Validate, which the command calls after applying its flags, checks ranges,
// enums (brokerRole, flushDiskType), ports, ratios, name server lists and
// derived values (deleteWhen, messageDelayLevel), and again reports every
// problem together, each naming its key. Port 0 is accepted everywhere and
// means "pick a free port", for tests.
//
// # RocketGo differences in meaning
//
//   - storePathConsumeQueue, storePathIndex, storeCheckpoint and abortFile
//     are honoured (upstream ignores them and always derives these from
//     storePathRootDir). Store.Paths resolves every path; unset ones derive
//     from storePathRootDir with upstream's names.
//   - haListenPort, when set, is honoured; unset (0) it is listenPort+1 as
//     upstream always makes it. Broker.HAPort resolves it.
//   - enablePropertyFilter defaults to true.
//   - brokerChannelExpiredTime is a name server key (upstream: fixed 120 s).
//
// Print writes every key=value in declaration order, as upstream's -p does;
// Encode writes the same with escapes, so that Load reads back exactly what
// was written (use it to persist a configuration).
// RewriteProperties and UpdateFile change keys of an existing file in place,
// keeping its comments, order and untouched lines and appending new keys;
// WriteFileAtomic writes it through a synced temporary file and a rename,
// keeping the old content as FILE.bak (the broker persists runtime config
// updates this way).
// SplitAddrs splits a ';'-separated name server list and checks each
// host:port; a ',' list is split too, with a warning.
package config

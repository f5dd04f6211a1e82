// Package config loads the .properties files that mqnamesrv and mqbroker read
// with -c, into typed structs that carry upstream RocketMQ's key names.
//
// The file format is java.util.Properties (key=value, key: value or
// key value; # and ! comments; a trailing backslash continues a line; \t \n
// \uXXXX escapes) read as UTF-8, with surrounding whitespace trimmed and
// ${name} expanded from the file's other keys, then the environment, then the
// target struct's defaults (so ${storePathRootDir} works unset). Write \${ for
// a literal "${". A reference that is undefined or cyclic is an error naming
// the key and line.
//
// Each process has one struct (Namesrv, Broker) whose fields are tagged with
// their upstream key (`key:"namesrvAddr"`). Defaults live in one place,
// DefaultNamesrv and DefaultBroker; LoadFile overwrites them with the file's
// keys by reflection, converting to each field's type, and returns every
// problem at once: a bad line, a value that is not a number, an undefined
// ${}. Keys the struct does not know are not errors (upstream ignores them
// too) but each gets a Warning that suggests the closest known key, so
// nameServerAddr says "did you mean namesrvAddr?". Validate, called by the
// command after flags are applied, checks ranges and enums and again reports
// all problems together, each naming its key.
//
// Print writes every key=value, as upstream's -p does. SplitAddrs splits
// and checks a ';'-separated name server list, warning about ','.
package config

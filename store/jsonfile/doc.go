// Package jsonfile persists the broker's small JSON config files
// (topics.json, subscriptionGroup.json, consumerOffset.json,
// delayOffset.json, ...) so that a crash at any moment leaves a readable
// copy behind.
//
// Write marshals the value, writes it to "<path>.tmp" and fsyncs it, renames
// the current file to "<path>.bak" (so exactly one backup is kept), renames
// the tmp file to path and fsyncs the directory. Whatever step a crash
// interrupts, either path or path.bak holds a complete document:
//
//	crash while writing .tmp    path is the old version; .tmp is ignored
//	after path -> .bak          path is missing; .bak is the old version
//	after .tmp -> path          path is the new version
//
// Read loads path and falls back to path.bak when path is missing, empty or
// does not decode, as upstream's ConfigManager does; ReadFrom also reports
// which file it used. A leftover .tmp is never read: it may be half written.
//
// Files written by a Java broker come from fastjson, which writes maps with
// integer keys without quotes ({"offsetTable":{"t@g":{0:12,1:30}}}). Before
// decoding, a tolerant pre-pass (QuoteIntKeys) quotes bare integer object
// keys outside strings, so encoding/json reads such files into
// map[int32]int64 and similar. Standard JSON passes through unchanged.
package jsonfile

// Package protocol holds RocketMQ's wire-level types: everything that gives
// meaning to the bytes the remoting layer moves, and nothing that does I/O.
//
// # Codes
//
// Request codes (ReqSendMessage, ReqGetRouteInfoByTopic, ...) and response
// codes (RespSuccess, RespTopicNotExist, ...) are int32 constants generated
// from codes.txt, the one table of upstream names and numbers. The two sets
// overlap in value (10 is SEND_MESSAGE and FLUSH_DISK_TIMEOUT), so CodeName
// needs to know which one it names.
//
// # Headers
//
// A command's extFields map is its "custom header". Header types are plain
// structs with `ext:"key,required"` tags; EncodeHeader and DecodeHeader
// convert them with Java's rules (decimal numbers, true/false, nil pointers
// omitted) and name the key when a required one is missing or a value does
// not parse. Hot paths may hand-write converters for their headers.
//
// # JSON bodies
//
// Bodies are JSON written and read by fastjson on the Java side, whose
// dialect writes maps with number keys without quotes: {0:"10.0.0.1:10911"}.
// DecodeJSON accepts that and standard JSON alike (NormalizeJSON rewrites
// the dialect first). Encoders of bodies with number-keyed maps take a
// JSONForm: FastjsonForm for Java's default output, StandardForm for quoted
// keys, chosen per request by RouteFormFor exactly as a 4.9.4+ name server
// chooses. Struct fields are declared in alphabetical order because fastjson
// writes them that way, so encoded bodies compare byte for byte with what a
// Java peer sends.
//
// The types cover topic configuration (TopicConfig, permission bits,
// TopicConfigSerializeWrapper, DataVersion), broker registration
// (RegisterBrokerBody, plain or zlib-compressed), routing (TopicRouteData,
// QueueData, BrokerData), ClusterInfo, KVTable, TopicList and the built-in
// topic names.
//
// # Messages
//
// One record layout serves the commit log and the pull, query and view
// bodies: TOTALSIZE, magic, body CRC, queue and offset fields, SYSFLAG, born
// and store hosts (4 or 16 address bytes, by the SysFlagBornHostV6 and
// SysFlagStoreHostV6 bits), body, a 1-byte topic length (2 bytes under the
// 5.x v2 magic) and the properties string. ParseMessageRecord gives a
// zero-copy view of one record and AppendMessageRecord writes one; the
// RecordPos* functions and MessageRecordSize let the store patch offsets and
// times in place. DecodeMessages builds MessageExt values for clients
// (bodies copied, zlib and LZ4 bodies expanded) and never panics on bad
// bytes: it reports the record's index, offset and field.
//
// Properties are name 0x01 value pairs joined by 0x02. ParseProperties
// accepts the pre-4.9.1 trailing separator; AppendProperties writes the
// current form without allocating; LookupProperty reads one value in place.
// TagsCode is Java's String.hashCode over UTF-16 code units. Offset message
// ids (store host + commit log offset in hex) and client UNIQ_KEYs
// (UniqIDGenerator) are in msgid*.go; SEND_BATCH_MESSAGE bodies
// (ParseBatchRecord, EncodeBatch, CheckBatch) in batch.go.
package protocol

package protocol

// Bits of a stored message's SYSFLAG field (upstream MessageSysFlag).
const (
	SysFlagCompressed = 0x1 // body is compressed; the type is in SysFlagCompressionMask
	SysFlagMultiTags  = 0x2 // set when the topic's filter type is MULTI_TAG; tagsCode is unchanged

	SysFlagTransactionMask     = 0xC // the two transaction-type bits
	SysFlagTransactionNotType  = 0x0
	SysFlagTransactionPrepared = 0x4 // half message: not dispatched to consume queues
	SysFlagTransactionCommit   = 0x8
	SysFlagTransactionRollback = 0xC // not dispatched

	SysFlagBornHostV6  = 0x10 // BORNHOST is 16 address bytes + port
	SysFlagStoreHostV6 = 0x20 // STOREHOST is 16 address bytes + port

	SysFlagNeedUnwrap = 0x40 // 5.x inner batch; never set for 4.x clients
	SysFlagInnerBatch = 0x80 // 5.x inner batch

	// Compression type, 4.9.4+: 0 (older producers) and 3 mean zlib.
	SysFlagCompressionMask = 0x700
	SysFlagCompressionLZ4  = 0x100
	SysFlagCompressionZSTD = 0x200
	SysFlagCompressionZlib = 0x300
)

// WithTransactionType replaces the transaction-type bits of sysFlag.
func WithTransactionType(sysFlag, txType int32) int32 {
	return sysFlag&^SysFlagTransactionMask | txType&SysFlagTransactionMask
}

// Dispatchable reports whether a record with this sysFlag goes into a
// consume queue: plain and committed messages do, half and rolled-back
// ones do not.
func Dispatchable(sysFlag int32) bool {
	t := sysFlag & SysFlagTransactionMask
	return t == SysFlagTransactionNotType || t == SysFlagTransactionCommit
}

package protocol

// MQVersion ordinals carried in the version field of every command. The
// field holds the position of a release in upstream's MQVersion enum, which
// starts at V3_0_0_SNAPSHOT = 0 and lists every snapshot and release.
// Only the versions that change behaviour on the wire are named here.
const (
	// VersionV3_0_7Snapshot is the oldest client a broker pushes offset resets to.
	VersionV3_0_7Snapshot int32 = 28
	// VersionV3_0_11 is the first broker that sends RegisterBrokerBody on
	// REGISTER_BROKER; older ones send a bare TopicConfigSerializeWrapper.
	VersionV3_0_11 int32 = 37
	// VersionV3_4_9 is the first client whose maxReconsumeTimes header is honoured.
	VersionV3_4_9 int32 = 121
	// VersionV4_1_0Snapshot is the lowest broker version Java SQL92 consumers accept.
	VersionV4_1_0Snapshot int32 = 232
	// VersionV4_5_2 is the version the Go client stamps on every request.
	VersionV4_5_2 int32 = 317
	// VersionV4_9_4 is the first client that is sent route data in standard
	// JSON (quoted broker-id keys).
	VersionV4_9_4 int32 = 401
	// VersionV4_9_8 is the last 4.x release; our servers stamp it on responses.
	VersionV4_9_8 int32 = 409
	// VersionV5_0_0 is the first 5.x release.
	VersionV5_0_0 int32 = 413
)

// CurrentVersion is the version our servers and clients announce.
const CurrentVersion = VersionV4_9_8

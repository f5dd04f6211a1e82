package protocol

//go:generate go test -run TestCodesGenerated -update

import "strconv"

// RequestCodeName returns the upstream name of a request code, such as
// "GET_ROUTEINFO_BY_TOPIC", or the decimal number when the code is unknown.
func RequestCodeName(code int32) string {
	if name, ok := requestCodeNames[code]; ok {
		return name
	}
	return strconv.FormatInt(int64(code), 10)
}

// ResponseCodeName returns the upstream name of a response code, such as
// "TOPIC_NOT_EXIST", or the decimal number when the code is unknown.
func ResponseCodeName(code int32) string {
	if name, ok := responseCodeNames[code]; ok {
		return name
	}
	return strconv.FormatInt(int64(code), 10)
}

// CodeName names a code for logs. Request and response codes share numbers
// (10 is SEND_MESSAGE and FLUSH_DISK_TIMEOUT), so the caller says which one it
// holds.
func CodeName(code int32, isResponse bool) string {
	if isResponse {
		return ResponseCodeName(code)
	}
	return RequestCodeName(code)
}

// KnownRequestCode reports whether code is a request code of RocketMQ 4.x or 5.x.
func KnownRequestCode(code int32) bool {
	_, ok := requestCodeNames[code]
	return ok
}

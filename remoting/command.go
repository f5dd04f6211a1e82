package remoting

import (
	"errors"
	"fmt"
)

// SerializeType says how a frame's header is encoded. A response uses the
// serialize type of the request it answers.
type SerializeType byte

const (
	SerializeJSON     SerializeType = 0 // fastjson-style JSON object
	SerializeRocketMQ SerializeType = 1 // the compact ROCKETMQ binary layout
)

func (t SerializeType) String() string {
	switch t {
	case SerializeJSON:
		return "JSON"
	case SerializeRocketMQ:
		return "ROCKETMQ"
	}
	return fmt.Sprintf("SerializeType(%d)", byte(t))
}

// LanguageCode names the implementation language of the sender. It travels as
// one byte in the binary header and as the enum name in the JSON header.
type LanguageCode byte

const (
	LanguageJava   LanguageCode = 0
	LanguageCPP    LanguageCode = 1
	LanguageDotNet LanguageCode = 2
	LanguagePython LanguageCode = 3
	LanguageDelphi LanguageCode = 4
	LanguageErlang LanguageCode = 5
	LanguageRuby   LanguageCode = 6
	LanguageOther  LanguageCode = 7
	LanguageHTTP   LanguageCode = 8
	LanguageGo     LanguageCode = 9
	LanguagePHP    LanguageCode = 10
	LanguageOMS    LanguageCode = 11
	LanguageRust   LanguageCode = 12
	LanguageNodeJS LanguageCode = 13 // 5.x only
)

var languageNames = [...]string{
	LanguageJava:   "JAVA",
	LanguageCPP:    "CPP",
	LanguageDotNet: "DOTNET",
	LanguagePython: "PYTHON",
	LanguageDelphi: "DELPHI",
	LanguageErlang: "ERLANG",
	LanguageRuby:   "RUBY",
	LanguageOther:  "OTHER",
	LanguageHTTP:   "HTTP",
	LanguageGo:     "GO",
	LanguagePHP:    "PHP",
	LanguageOMS:    "OMS",
	LanguageRust:   "RUST",
	LanguageNodeJS: "NODE_JS",
}

// String returns the JSON (Java enum) name. Codes no Java enum knows are
// reported as "OTHER", which every peer can parse.
func (l LanguageCode) String() string {
	if int(l) < len(languageNames) {
		return languageNames[l]
	}
	return "OTHER"
}

// ParseLanguage maps a JSON language name to its code; unknown names give
// LanguageOther rather than an error, as the Go client does.
func ParseLanguage(name string) LanguageCode {
	for i, n := range languageNames {
		if n == name {
			return LanguageCode(i)
		}
	}
	return LanguageOther
}

// Flag bits of Command.Flag.
const (
	FlagResponse int32 = 1 // set on responses
	FlagOneway   int32 = 2 // set on requests that must never be answered
)

// System response codes (RemotingSysResponseCode). Package protocol holds the
// full response code table.
const (
	CodeSuccess                 int32 = 0
	CodeSystemError             int32 = 1
	CodeSystemBusy              int32 = 2
	CodeRequestCodeNotSupported int32 = 3
)

// DefaultMaxFrameSize is the Java decoder's limit (frameMaxLength).
const DefaultMaxFrameSize = 16 << 20

var (
	// ErrFrameTooLarge: the length prefix announces a frame above the limit, or
	// a command to send does not fit in one.
	ErrFrameTooLarge = errors.New("remoting: frame too large")
	// ErrMalformedFrame: the bytes do not form a valid frame or header.
	ErrMalformedFrame = errors.New("remoting: malformed frame")
	// ErrTimeout: no response arrived before the deadline.
	ErrTimeout = errors.New("remoting: request timed out")
	// ErrConnClosed: the connection died before the request was answered.
	ErrConnClosed = errors.New("remoting: connection closed")
	// ErrWriteQueueFull: TryRespond found the connection's write queue full.
	ErrWriteQueueFull = errors.New("remoting: write queue full")
	// ErrClientClosed: the client was closed.
	ErrClientClosed = errors.New("remoting: client closed")
)

// Command is one RocketMQ remoting command: a request, or the response to one.
// A Command handed to Invoke*, Respond or returned by a Handler belongs to the
// connection until it is written; the sender must not change it meanwhile.
type Command struct {
	Code      int32 // request or response code; the binary header holds only int16
	Language  LanguageCode
	Version   int32 // MQVersion ordinal of the sender
	Opaque    int32 // request id, echoed by the response
	Flag      int32 // FlagResponse, FlagOneway
	Remark    string
	ExtFields map[string]string // the "custom header"; values are strings
	Body      []byte

	// BodyParts, when non-nil, is sent after Body with writev (net.Buffers) so
	// the broker can send mapped store memory without copying. The slices must
	// stay valid until Release is called. Decoding never fills it.
	BodyParts [][]byte
	// Release, when non-nil, is called exactly once after the frame has been
	// written, or dropped because it could not be.
	Release func()

	SerializeType SerializeType
}

// NewRequest builds a JSON request as the Go client sends it. The opaque is
// assigned when the request is sent.
func NewRequest(code int32, ext map[string]string, body []byte) *Command {
	return &Command{Code: code, Language: LanguageGo, ExtFields: ext, Body: body}
}

// NewResponse builds the response to req: same opaque and serialize type,
// FlagResponse set. A server stamps its own language and version on it.
func NewResponse(req *Command, code int32, remark string) *Command {
	return &Command{
		Code:          code,
		Language:      LanguageJava,
		Opaque:        req.Opaque,
		Flag:          FlagResponse,
		Remark:        remark,
		SerializeType: req.SerializeType,
	}
}

// IsResponse reports whether c answers a request.
func (c *Command) IsResponse() bool { return c.Flag&FlagResponse != 0 }

// IsOneway reports whether c is a request that must not be answered.
func (c *Command) IsOneway() bool { return c.Flag&FlagOneway != 0 }

// BodyLen is the number of body bytes on the wire: Body plus all BodyParts.
func (c *Command) BodyLen() int {
	n := len(c.Body)
	for _, p := range c.BodyParts {
		n += len(p)
	}
	return n
}

// String gives a short description for logs (no body).
func (c *Command) String() string {
	kind := "request"
	if c.IsResponse() {
		kind = "response"
	} else if c.IsOneway() {
		kind = "oneway"
	}
	return fmt.Sprintf("%s code=%d opaque=%d lang=%s version=%d remark=%q ext=%v body=%dB",
		kind, c.Code, c.Opaque, c.Language, c.Version, c.Remark, c.ExtFields, c.BodyLen())
}

// release runs and clears c.Release.
func (c *Command) release() {
	if f := c.Release; f != nil {
		c.Release = nil
		f()
	}
}

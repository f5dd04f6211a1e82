package client

import (
	"errors"
	"fmt"

	"github.com/rocketgo/rocketgo/protocol"
)

var (
	// ErrNoRoute: the name servers know no route for the topic.
	ErrNoRoute = errors.New("client: no route for topic")
	// ErrShutdown: the producer or consumer was shut down.
	ErrShutdown = errors.New("client: shut down")
	// ErrNotStarted: Start has not been called (or failed).
	ErrNotStarted = errors.New("client: not started")
)

// ResponseError is a refusal from a name server or broker: the response
// code and remark it sent, with the call and address that got them.
type ResponseError struct {
	Op     string // what was asked, e.g. "send", "pull"
	Addr   string
	Code   int32
	Remark string
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("client: %s at %s: %s (code %d): %s", e.Op, e.Addr, protocol.ResponseCodeName(e.Code), e.Code, e.Remark)
}

// responseError builds a *ResponseError from a response.
func responseError(op, addr string, code int32, remark string) error {
	return &ResponseError{Op: op, Addr: addr, Code: code, Remark: remark}
}

// ResponseCode returns the code of the *ResponseError in err's chain, and
// whether there is one.
func ResponseCode(err error) (int32, bool) {
	var re *ResponseError
	if errors.As(err, &re) {
		return re.Code, true
	}
	return 0, false
}

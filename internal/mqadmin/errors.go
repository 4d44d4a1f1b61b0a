package mqadmin

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors for broker and name server response codes. A *BrokerError unwraps to the
// sentinel of its code, so callers test with errors.Is(err, mqadmin.ErrConsumerNotOnline).
var (
	ErrSystemError               = errors.New("system error")                      // 1
	ErrSystemBusy                = errors.New("system busy")                       // 2
	ErrNotSupported              = errors.New("request code not supported")        // 3
	ErrServiceNotAvailable       = errors.New("service not available")             // 14
	ErrVersionNotSupported       = errors.New("version not supported")             // 15
	ErrNoPermission              = errors.New("no permission")                     // 16
	ErrTopicNotExist             = errors.New("topic does not exist")              // 17
	ErrTopicExistAlready         = errors.New("topic exists already")              // 18
	ErrQueryNotFound             = errors.New("not found")                         // 22
	ErrSubscriptionNotExist      = errors.New("subscription does not exist")       // 24
	ErrSubscriptionGroupNotExist = errors.New("subscription group does not exist") // 26
	ErrInvalidParameter          = errors.New("invalid parameter")                 // 29
	ErrConsumerNotOnline         = errors.New("consumer not online")               // 206
	ErrConsumeMsgTimeout         = errors.New("consume message timeout")           // 207
	ErrBroadcastConsumption      = errors.New("broadcast consumption")             // 213
	ErrNotLeader                 = errors.New("not leader for queue")              // 501
	ErrGoAway                    = errors.New("server is shutting down")           // 1500
)

// ErrClientClosed is returned by calls on a closed Client and by calls that were pending when
// it was closed.
var ErrClientClosed = errors.New("mqadmin: client closed")

// ErrEmptyBody is returned (wrapped) when a successful response lacks the body it should
// carry.
var ErrEmptyBody = errors.New("empty response body")

// ErrConnectionLost is returned (wrapped, with the cause) when the connection a call was
// using broke before its response arrived.
var ErrConnectionLost = errors.New("connection lost")

var codeErrors = map[int32]error{
	1:    ErrSystemError,
	2:    ErrSystemBusy,
	3:    ErrNotSupported,
	14:   ErrServiceNotAvailable,
	15:   ErrVersionNotSupported,
	16:   ErrNoPermission,
	17:   ErrTopicNotExist,
	18:   ErrTopicExistAlready,
	22:   ErrQueryNotFound,
	24:   ErrSubscriptionNotExist,
	26:   ErrSubscriptionGroupNotExist,
	29:   ErrInvalidParameter,
	206:  ErrConsumerNotOnline,
	207:  ErrConsumeMsgTimeout,
	213:  ErrBroadcastConsumption,
	501:  ErrNotLeader,
	1500: ErrGoAway,
}

// BrokerError is a non-success response from a broker or name server.
type BrokerError struct {
	Addr        string // address the request went to
	RequestCode int32  // request code, e.g. 208
	Request     string // request name and arguments, e.g. "GET_CONSUME_STATS group=g"
	Code        int32  // response code
	Remark      string // the server's remark, verbatim
}

// Error formats the error as
// "mqadmin: GET_CONSUME_STATS group=g at 127.0.0.1:10911: consumer not online: <remark>".
func (e *BrokerError) Error() string {
	var b strings.Builder
	b.WriteString("mqadmin: ")
	b.WriteString(e.Request)
	b.WriteString(" at ")
	b.WriteString(e.Addr)
	b.WriteString(": ")
	if s := codeErrors[e.Code]; s != nil {
		b.WriteString(s.Error())
	} else {
		b.WriteString("response code ")
		b.WriteString(strconv.Itoa(int(e.Code)))
	}
	if r := strings.TrimSpace(e.Remark); r != "" {
		b.WriteString(": ")
		b.WriteString(r)
	}
	return b.String()
}

// Unwrap returns the sentinel error for the response code, or nil for an unmapped code.
func (e *BrokerError) Unwrap() error { return codeErrors[e.Code] }

// ResponseCode returns the response code carried by err if it is (or wraps) a *BrokerError.
func ResponseCode(err error) (int32, bool) {
	var be *BrokerError
	if errors.As(err, &be) {
		return be.Code, true
	}
	return 0, false
}

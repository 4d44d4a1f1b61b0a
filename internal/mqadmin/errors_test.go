package mqadmin

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

func TestBrokerErrorCodes(t *testing.T) {
	tests := []struct {
		code int32
		want error
	}{
		{1, ErrSystemError}, {2, ErrSystemBusy}, {3, ErrNotSupported}, {14, ErrServiceNotAvailable},
		{16, ErrNoPermission}, {17, ErrTopicNotExist}, {22, ErrQueryNotFound}, {24, ErrSubscriptionNotExist},
		{26, ErrSubscriptionGroupNotExist}, {29, ErrInvalidParameter}, {206, ErrConsumerNotOnline},
		{207, ErrConsumeMsgTimeout}, {213, ErrBroadcastConsumption}, {501, ErrNotLeader}, {1500, ErrGoAway},
	}
	srv := newFaultServer(t, nil, func(fc *faultConn, req *Command) {
		code, _ := strconv.Atoi(req.ExtFields["topic"])
		fc.reply(req, int32(code), "remark for "+req.ExtFields["topic"], nil, nil)
	})
	c := newTestClient(t, Options{})
	for _, tt := range tests {
		t.Run(strconv.Itoa(int(tt.code)), func(t *testing.T) {
			_, err := c.TopicStats(ctxTimeout(t, 2*time.Second), srv.addr(), strconv.Itoa(int(tt.code)))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if code, ok := ResponseCode(err); !ok || code != tt.code {
				t.Fatalf("ResponseCode %d %v", code, ok)
			}
		})
	}
}

func TestBrokerErrorMessage(t *testing.T) {
	srv := newFaultServer(t, nil, func(fc *faultConn, req *Command) {
		switch req.Code {
		case codeGetConsumeStats:
			fc.reply(req, 206, "the consumer group[g] not online", nil, nil)
		default:
			fc.reply(req, 777, "", nil, nil)
		}
	})
	c := newTestClient(t, Options{})
	_, err := c.ConsumeStats(ctxTimeout(t, 2*time.Second), srv.addr(), "g", "")
	want := "mqadmin: GET_CONSUME_STATS group=g at " + srv.addr() + ": consumer not online: the consumer group[g] not online"
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
	_, err = c.BrokerRuntimeInfo(ctxTimeout(t, 2*time.Second), srv.addr())
	want = "mqadmin: GET_BROKER_RUNTIME_INFO at " + srv.addr() + ": response code 777"
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
	var be *BrokerError
	if !errors.As(err, &be) || be.RequestCode != codeGetBrokerRuntimeInfo || errors.Unwrap(err) != nil {
		t.Fatalf("%#v", err)
	}
}

func TestSignature(t *testing.T) {
	// The vector from a captured signed request: secret 12345678.
	ext := map[string]string{"topic": "TBW102", "AccessKey": "rocketmq2"}
	if got := signature(ext, nil, "12345678"); got != "/u5P/wZUbhjanu4LM/UzEdo2u2I=" {
		t.Fatalf("signature %s", got)
	}
	signed := signExtFields(map[string]string{"topic": "TBW102"}, nil, Credentials{AccessKey: "rocketmq2", SecretKey: "12345678"})
	if signed["Signature"] != "/u5P/wZUbhjanu4LM/UzEdo2u2I=" || signed["AccessKey"] != "rocketmq2" {
		t.Fatalf("signed %v", signed)
	}
	// A stale Signature is not part of the content, the token and the body are.
	a := signature(map[string]string{"a": "1", "Signature": "old"}, []byte("body"), "k")
	b := signature(map[string]string{"a": "1"}, []byte("body"), "k")
	if a != b {
		t.Fatal("Signature field was signed")
	}
	withToken := signExtFields(map[string]string{"a": "1"}, nil, Credentials{AccessKey: "ak", SecretKey: "k", SecurityToken: "tok"})
	if withToken["SecurityToken"] != "tok" ||
		withToken["Signature"] != signature(map[string]string{"a": "1", "AccessKey": "ak", "SecurityToken": "tok"}, nil, "k") {
		t.Fatalf("token not signed: %v", withToken)
	}
}

func TestSignedRequestsOnTheWire(t *testing.T) {
	seen := make(chan map[string]string, 1)
	srv := newFaultServer(t, nil, func(fc *faultConn, req *Command) {
		seen <- req.ExtFields
		fc.reply(req, 0, "", map[string]string{"offset": "5"}, nil)
	})
	c := newTestClient(t, Options{Credentials: Credentials{AccessKey: "rocketmq2", SecretKey: "12345678"}})
	if _, err := c.MaxOffset(ctxTimeout(t, 2*time.Second), srv.addr(), "T", 0); err != nil {
		t.Fatal(err)
	}
	ext := <-seen
	if ext["AccessKey"] != "rocketmq2" || ext["Signature"] != signature(ext, nil, "12345678") {
		t.Fatalf("ext %v", ext)
	}
}

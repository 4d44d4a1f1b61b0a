package stacktest

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

// ClientFault is how a HostileClient answers the requests a broker forwards to it.
type ClientFault int

const (
	// AnswerGarbage answers every request with success and a body that is not JSON.
	AnswerGarbage ClientFault = iota
	// AnswerNothing never answers: the broker's forwarded request runs out its time.
	AnswerNothing
)

// Remoting codes a HostileClient speaks.
const (
	codeHeartbeat = 34
	codeSuccess   = 0
)

// garbageBody is what an AnswerGarbage client sends back: bytes no decoder should take for
// an answer, a NUL, invalid UTF-8 and an unterminated object among them.
var garbageBody = []byte("\x00\xff\xfe{\"mqTable\":{\"{\"topic\":")

// HostileOptions say how a HostileClient misbehaves.
type HostileOptions struct {
	// Fault is how it answers the requests the broker forwards to it.
	Fault ClientFault
	// ConsumeType is the consume type its heartbeat claims; CONSUME_PASSIVELY (push) when
	// empty. CONSUME_POP on a 4.x broker claims what the broker does not have.
	ConsumeType string
}

// HostileClient registers, on the real broker of r, a consumer client of group subscribed
// to topic, with the heartbeat a real client sends, and then answers whatever the broker
// forwards to it (the running-info requests of an admin tool) as o.Fault says. It never
// pulls: the queues a real client's rebalance leaves to it stand still. It heartbeats every
// 10 s until the test ends, and returns its client ID.
func HostileClient(t testing.TB, r RocketMQ, group, topic string, o HostileOptions) string {
	t.Helper()
	if o.ConsumeType == "" {
		o.ConsumeType = "CONSUME_PASSIVELY"
	}
	nc, err := net.DialTimeout("tcp", r.BrokerAddr, 5*time.Second)
	if err != nil {
		t.Fatalf("hostile client: %v", err)
	}
	clientID := "127.0.0.1@" + Name(t, "hostile")
	var (
		wmu    sync.Mutex
		opaque int32
	)
	send := func(c *mqadmin.Command) error {
		frame, err := mqadmin.EncodeFrame(c, 0)
		if err != nil {
			return err
		}
		wmu.Lock()
		defer wmu.Unlock()
		nc.SetWriteDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck // the write reports it
		_, err = nc.Write(frame)
		return err
	}
	heartbeat := func() error {
		body, err := json.Marshal(map[string]any{
			"clientID": clientID,
			"consumerDataSet": []map[string]any{{
				"groupName": group, "consumeType": o.ConsumeType, "messageModel": "CLUSTERING",
				"consumeFromWhere": "CONSUME_FROM_LAST_OFFSET", "unitMode": false,
				"subscriptionDataSet": []map[string]any{{
					"classFilterMode": false, "topic": topic, "subString": "*", "tagsSet": []string{},
					"codeSet": []int{}, "subVersion": time.Now().UnixMilli(), "expressionType": "TAG",
				}},
			}},
			"producerDataSet": []any{},
		})
		if err != nil {
			return err
		}
		wmu.Lock()
		opaque++
		o := opaque
		wmu.Unlock()
		return send(&mqadmin.Command{Code: codeHeartbeat, Language: "GO", Version: 317, Opaque: o, Body: body})
	}
	registered := make(chan error, 1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() {
		close(done)
		nc.Close()
		wg.Wait()
	})
	if err := heartbeat(); err != nil {
		t.Fatalf("hostile client: heartbeat: %v", err)
	}
	wg.Go(func() {
		first := true
		for {
			c, err := mqadmin.ReadFrame(nc, 0)
			if err != nil {
				if first {
					registered <- err
				}
				return
			}
			if c.IsResponse() {
				if first {
					first = false
					if c.Code != codeSuccess {
						registered <- errors.New("broker refused the heartbeat: " + c.Remark)
					} else {
						registered <- nil
					}
				}
				continue
			}
			if c.IsOneway() || o.Fault == AnswerNothing {
				continue
			}
			send(&mqadmin.Command{Code: codeSuccess, Language: "GO", Version: 317, Opaque: c.Opaque, //nolint:errcheck // a closed connection ends the loop
				Flag: mqadmin.FlagResponse, Body: garbageBody})
		}
	})
	wg.Go(func() {
		tick := time.NewTicker(10 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if heartbeat() != nil {
					return
				}
			}
		}
	})
	select {
	case err := <-registered:
		if err != nil && !errors.Is(err, io.EOF) {
			t.Fatalf("hostile client: %v", err)
		} else if err != nil {
			t.Fatal("hostile client: the broker closed the connection")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("hostile client: no answer to the heartbeat")
	}
	return clientID
}

package poller

import (
	"fmt"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

func popRecord(tag, body string) mqadmin.Message {
	return mqadmin.Message{Body: []byte(body), Properties: map[string]string{
		mqadmin.PropRealTopic: "rmq_sys_REVIVE_LOG_DefaultCluster", mqadmin.PropTags: tag}}
}

func TestPopLog(t *testing.T) {
	pt := time.Date(2026, 12, 4, 5, 0, 0, 0, time.UTC).UnixMilli()
	ck := func(group string, so int64, diffs string, popTime, invisible int64) mqadmin.Message {
		return popRecord("ck", fmt.Sprintf(`{"bm":0,"bn":"b","c":%q,"d":%s,"it":%d,"n":3,"pt":%d,"q":1,"ro":0,"so":%d,"t":"orders"}`,
			group, diffs, invisible, popTime, so))
	}
	ack := func(group string, so, ao, popTime int64) mqadmin.Message {
		return popRecord("ack", fmt.Sprintf(`{"ao":%d,"bn":"b","c":%q,"pt":%d,"q":1,"so":%d,"t":"orders"}`, ao, group, popTime, so))
	}
	l := newPopLog("broker-a")
	l.apply(ck("g", 10, "[0,1,2]", pt, 60000))
	l.apply(ack("g", 10, 11, pt))
	// An ack read before its checkpoint (records of one pop can be far apart) still counts.
	l.apply(ack("g", 20, 21, pt+5))
	l.apply(ck("g", 20, "[0,1,3]", pt+5, 30000))
	l.apply(popRecord("bAck", fmt.Sprintf(`{"aol":[20,23],"bn":"b","c":"g","pt":%d,"q":1,"so":20,"t":"orders"}`, pt+5)))
	l.apply(ck("other", 10, "[0]", pt, 60000))
	// A delayed message waiting in the timer topic is no pop record.
	l.apply(mqadmin.Message{Body: []byte("x"), Properties: map[string]string{mqadmin.PropRealTopic: "orders"}})

	in := l.inflightOf("g")[queueRef{topic: "orders", broker: "broker-a", queue: 1}]
	if in.count != 2 || !in.first.Equal(time.UnixMilli(pt+60000)) || !in.last.Equal(time.UnixMilli(pt+60000)) {
		t.Fatalf("in flight %+v, want 2 (offsets 10 and 12) visible again at +60 s", in)
	}
	if got := l.groups(); len(got) != 2 {
		t.Fatalf("groups %v", got)
	}
	l.expire(time.UnixMilli(pt + 60000))
	if len(l.cks) != 0 {
		t.Fatalf("checkpoints left after their invisible time: %+v", l.cks)
	}
}

func FuzzPopLogApply(f *testing.F) {
	f.Add("ck", `{"c":"g","d":[0,1],"it":1000,"n":2,"pt":1,"q":0,"so":5,"t":"t"}`)
	f.Add("bAck", `{"aol":[5],"c":"g","pt":1,"q":0,"so":5,"t":"t"}`)
	f.Fuzz(func(t *testing.T, tag, body string) {
		l := newPopLog("b")
		l.apply(popRecord("ck", `{"c":"g","d":[0,1],"it":1000,"n":2,"pt":1,"q":0,"so":5,"t":"t"}`))
		l.apply(popRecord(tag, body))
		l.apply(popRecord(tag, body))
		for _, g := range l.groups() {
			for _, in := range l.inflightOf(g) {
				if in.count < 0 {
					t.Fatalf("negative in flight %d", in.count)
				}
			}
		}
	})
}

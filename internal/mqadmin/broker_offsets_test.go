package mqadmin

import (
	"errors"
	"reflect"
	"testing"
)

func TestDecodeBrokerOffsets(t *testing.T) {
	tests := []struct {
		name string
		body string
		want BrokerOffsets
		bad  bool
	}{
		{
			name: "5.x with pull offsets and a retry topic",
			body: `{"dataVersion":{"counter":3,"stateVersion":0,"timestamp":1700000000000},` +
				`"offsetTable":{"orders@billing":{0:12,1:10},"%RETRY%billing@billing":{0:0},"audit@all@broadcast":{0:7}},` +
				`"pullOffsetTable":{"orders@billing":{0:14}}}`,
			want: BrokerOffsets{
				Committed: map[GroupTopic]map[int]int64{
					{Group: "billing", Topic: "orders"}:         {0: 12, 1: 10},
					{Group: "billing", Topic: "%RETRY%billing"}: {0: 0},
				},
				Pull:      map[GroupTopic]map[int]int64{{Group: "billing", Topic: "orders"}: {0: 14}},
				Broadcast: map[GroupTopic]map[int]int64{{Group: "all", Topic: "audit"}: {0: 7}},
			},
		},
		{
			name: "4.x without pull offsets",
			body: `{"offsetTable":{"T@g":{3:7}}}`,
			want: BrokerOffsets{
				Committed: map[GroupTopic]map[int]int64{{Group: "g", Topic: "T"}: {3: 7}},
				Pull:      map[GroupTopic]map[int]int64{},
				Broadcast: map[GroupTopic]map[int]int64{},
			},
		},
		{name: "key without a group", body: `{"offsetTable":{"T@":{0:1}}}`, bad: true},
		{name: "key without @", body: `{"offsetTable":{"T":{0:1}}}`, bad: true},
		{name: "queue id not a number", body: `{"offsetTable":{"T@g":{"x":1}}}`, bad: true},
		{name: "negative queue id", body: `{"offsetTable":{"T@g":{-1:1}}}`, bad: true},
		{name: "not json", body: `{"offsetTable":`, bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeBrokerOffsets([]byte(tt.body))
			if tt.bad {
				if !errors.Is(err, ErrBadJSON) {
					t.Fatalf("err = %v, want ErrBadJSON", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func FuzzDecodeBrokerOffsets(f *testing.F) {
	f.Add([]byte(`{"offsetTable":{"orders@billing":{0:12,1:10}},"pullOffsetTable":{"orders@billing":{0:14}}}`))
	f.Add([]byte(`{"offsetTable":{"%RETRY%g@g":{0:0}},"dataVersion":{"counter":1}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		o, err := DecodeBrokerOffsets(in)
		if err != nil {
			return
		}
		for gt, qs := range o.Committed {
			if gt.Group == "" || gt.Topic == "" {
				t.Fatalf("empty name in %+v", gt)
			}
			for id := range qs {
				if id < 0 || id > maxQueueID {
					t.Fatalf("queue id %d accepted", id)
				}
			}
		}
	})
}

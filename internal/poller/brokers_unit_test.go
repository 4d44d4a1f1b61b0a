package poller

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

// TestBrokerPoolBlamesOnlyMissingAnswers: a broker that answers, even with an error code, a
// missing statistic or a body that cannot be read, is up; only no answer marks it down for
// the cycle, and never a client's failure to answer through it.
func TestBrokerPoolBlamesOnlyMissingAnswers(t *testing.T) {
	be := &mqadmin.BrokerError{Addr: "b:1", Code: 1, Remark: "The stats <GROUP_ACK_NUMS> <t@g> not exist"}
	tests := []struct {
		name      string
		err       error
		forClient bool
		aside     bool
		down      bool
	}{
		{"error code", be, false, false, false},
		{"statistic not kept", fmt.Errorf("%w: %w", be, mqadmin.ErrStatsNotFound), false, false, false},
		{"empty body", fmt.Errorf("x: %w", mqadmin.ErrEmptyBody), false, false, false},
		{"unreadable body", fmt.Errorf("x: %w", mqadmin.ErrBadJSON), false, false, false},
		{"no answer", context.DeadlineExceeded, false, false, true},
		{"connection lost", fmt.Errorf("x: %w", mqadmin.ErrConnectionLost), false, false, true},
		{"a client not answering", context.DeadlineExceeded, true, false, false},
		{"no answer for a figure aside", context.DeadlineExceeded, false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBrokerPool("broker-a", "b:1", 1, time.Second)
			call := b.do
			if tt.forClient {
				call = b.doForClient
			}
			if tt.aside {
				call = b.doAside
			}
			if err := call(context.Background(), func(context.Context) error { return tt.err }); !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if got := b.failure() != nil; got != tt.down {
				t.Fatalf("broker down = %v, want %v", got, tt.down)
			}
		})
	}
}

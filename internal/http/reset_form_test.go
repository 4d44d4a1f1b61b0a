package http

import (
	"net/url"
	"testing"

	"github.com/lagboard/lagboard/internal/reset"
)

// TestResetFormExactOffsetsCoverTheirQueues: "to exact offsets" covers the queues given an
// offset, so the form shows those queues chosen, whatever scope was sent.
func TestResetFormExactOffsetsCoverTheirQueues(t *testing.T) {
	in := parseResetForm(url.Values{"cluster": {"prod"}, "group": {"orders"}, "topic": {"payments"}, "kind": {"exact"},
		"scope": {"all"}, "queue": {"broker-a/0"}, "offset.broker-a/1": {"5"}, "offset.broker-a/2": {""}})
	if in.err != nil {
		t.Fatal(in.err)
	}
	if !in.form.Chosen() {
		t.Error("the form still says every queue")
	}
	if !in.checked["broker-a/1"] || in.checked["broker-a/0"] || in.checked["broker-a/2"] {
		t.Errorf("ticked %v, want the queue given an offset alone", in.checked)
	}
	if len(in.spec.Offsets) != 1 || in.spec.Offsets[reset.QueueRef{Broker: "broker-a", QueueID: 1}] != 5 {
		t.Errorf("offsets %v", in.spec.Offsets)
	}
}

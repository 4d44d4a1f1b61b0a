package inspect

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/mqadmin"
)

// ResendGroup is the producer group dead letters are sent back as.
const ResendGroup = "LAGBOARD_RESEND"

// brokerOnly are properties the broker sets for its own bookkeeping; a message sent back
// does not carry them.
var brokerOnly = map[string]bool{
	"DELAY": true, "REAL_TOPIC": true, "REAL_QID": true, "MIN_OFFSET": true, "MAX_OFFSET": true,
	"CLUSTER": true, "WAIT": true, "TRAN_MSG": true, "PGROUP": true, "CONSUME_START_TIME": true,
	"TIMER_DELIVER_MS": true, "TIMER_OUT_MS": true, "TIMER_ENQUEUE_MS": true, "TIMER_DEQUEUE_MS": true,
	"POP_CK": true, "1ST_POP_TIME": true, "MSG_REGION": true, "TRACE_ON": true,
}

// Resend sends the dead letter at ref back to group's retry topic, where the group's
// consumers receive it again, on the same broker. Only dead letters of the group, and only
// on clusters that allow it. Success and failure are both recorded; the message stays in the
// dead-letter topic (RocketMQ has no delete).
func (s *Service) Resend(ctx context.Context, who audit.Entry, cluster, group string, ref Ref) (mqadmin.SendResult, error) {
	c, err := s.Cluster(cluster)
	if err != nil {
		return mqadmin.SendResult{}, err
	}
	entry := who
	entry.Action = audit.ActionMessageResent
	entry.Target = audit.Target{Cluster: cluster, Group: group, Topic: ref.Topic, Queues: []string{fmt.Sprintf("%s/%d", ref.Broker, ref.QueueID)}}
	fail := func(err error) (mqadmin.SendResult, error) {
		entry.Outcome, entry.Error = audit.Failure, errcode.Message(err)
		entry.Parameters = mustJSON(map[string]any{"offset": ref.Offset})
		if rerr := s.trail.Record(ctx, entry); rerr != nil {
			return mqadmin.SendResult{}, fmt.Errorf("%w (and recording the failure: %v)", err, rerr)
		}
		return mqadmin.SendResult{}, err
	}
	if !c.AllowResend {
		entry.Outcome = audit.Denied
		entry.Error = "cluster does not allow sending dead letters back"
		entry.Parameters = mustJSON(map[string]any{"offset": ref.Offset})
		err := errcode.Errorf(errcode.Forbidden, "Cluster %s does not allow sending dead letters back (LAGBOARD_CLUSTER_%s_RESEND_DEAD_LETTERS).",
			cluster, envName(cluster))
		if rerr := s.trail.Record(ctx, entry); rerr != nil {
			return mqadmin.SendResult{}, fmt.Errorf("%w (and recording the refusal: %v)", err, rerr)
		}
		return mqadmin.SendResult{}, err
	}
	if ref.Topic != DeadLetterTopic(group) {
		return fail(errcode.Errorf(errcode.Invalid, "Only the group's own dead letters (%s) can be sent back.", DeadLetterTopic(group)))
	}
	m, err := s.Read(ctx, cluster, ref)
	if err != nil {
		return fail(err)
	}
	if m.Body == nil && m.Compression != "" {
		return fail(errcode.Errorf(errcode.Invalid, "The message is compressed with %s, which Lagboard does not inflate, so it cannot be sent back as it was.", m.Compression))
	}
	props := map[string]string{}
	for k, v := range m.Properties {
		if !brokerOnly[k] {
			props[k] = v
		}
	}
	if props[mqadmin.PropOriginMsgID] == "" {
		props[mqadmin.PropOriginMsgID] = m.MsgID
	}
	retry := RetryTopic(group)
	addr, err := s.brokerAddr(ctx, c, retry, ref.Broker)
	if err != nil {
		return fail(err)
	}
	// The intent is recorded first: if it cannot be, nothing is sent; if Lagboard stops
	// between the send and its outcome, the trail still says the message may have gone.
	start := entry
	start.Action, start.Outcome = audit.ActionMessageResendStarted, audit.Success
	start.Parameters = mustJSON(map[string]any{"offset": ref.Offset, "msg_id": m.MsgID, "to": retry})
	if err := s.trail.Record(ctx, start); err != nil {
		return mqadmin.SendResult{}, fmt.Errorf("nothing was sent: recording the attempt failed: %w", err)
	}
	res, err := c.Admin.SendMessage(ctx, addr, ResendGroup, retry, 0, m.Body, props)
	if err != nil {
		return fail(errcode.Wrap(errcode.Unavailable, err, fmt.Sprintf("Broker %s did not take the message: %s", ref.Broker, answer(err))))
	}
	entry.Outcome = audit.Success
	entry.Parameters = mustJSON(map[string]any{"offset": ref.Offset, "msg_id": m.MsgID, "to": retry,
		"to_queue": res.QueueID, "to_offset": res.QueueOffset})
	if err := s.trail.Record(ctx, entry); err != nil {
		return res, fmt.Errorf("the message was sent back, but recording it failed: %w", err)
	}
	return res, nil
}

// envName is a cluster name as it appears in environment variable names.
func envName(cluster string) string { return strings.ToUpper(strings.ReplaceAll(cluster, "-", "_")) }

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// Package mqadmin is an admin client for Apache RocketMQ name servers and brokers, 4.9.x and
// 5.x. It speaks the remoting protocol itself, because rocketmq-client-go has no admin API
// for consume stats, offsets or resets.
//
// On the wire a frame is a big-endian length, a header length word whose top byte is the
// serialize type, the header and the body. Requests go out with JSON headers; responses and
// server-initiated requests are accepted with JSON or ROCKETMQ binary headers. Bodies are
// fastjson output, which is not always JSON: NormalizeFastJSON rewrites object and bare
// numeric map keys into strings before encoding/json sees them.
//
// A Client keeps a small pool of connections per address and multiplexes calls over each
// by opaque. Every call has a deadline (the context's, or Options.Timeout), requests signed
// with Options.Credentials pass 4.x ACL and 5.3 authentication, and Options.TLS enables TLS.
// Broker response codes surface as *BrokerError values that match sentinel errors such as
// ErrConsumerNotOnline with errors.Is.
//
// Behaviour seen on real brokers that callers should expect:
//   - GET_BROKER_RUNTIME_INFO fails with ErrSystemError for a moment after a broker starts;
//   - SearchOffsetByTimestamp past the tail is max on 5.x but max-1 on 4.9.x;
//   - QueryConsumerOffset on 4.9.x answers 0 for a group that never committed;
//   - UpdateConsumerOffset on 5.3 needs the group to exist (CreateSubscriptionGroup);
//   - ResetOffset is server side on 5.2+ and goes through online clients on 4.x;
//   - a 4.9.x name server never answers a request code it does not serve (5.x answers
//     ErrNotSupported), so only the deadline ends such a call.
package mqadmin

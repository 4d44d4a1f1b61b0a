package mqadmin_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/stack"
)

// authBroker describes, per major version, how to start a broker that checks request
// signatures, and how it refuses an unsigned request.
type authBroker struct {
	conf      map[string]string
	homeFiles map[string]string
	refusal   error // the sentinel an unsigned or badly signed request fails with
}

func authBrokerFor(version string) authBroker {
	if strings.HasPrefix(version, "4.") {
		// ACL 1.0: accounts in $ROCKETMQ_HOME/conf/plain_acl.yml; failures are SYSTEM_ERROR.
		return authBroker{
			conf: map[string]string{"aclEnable": "true", "serverChannelMaxIdleTimeSeconds": "3"},
			homeFiles: map[string]string{"conf/plain_acl.yml": "globalWhiteRemoteAddresses: []\n" +
				"accounts:\n  - accessKey: rocketmq2\n    secretKey: \"12345678\"\n    admin: true\n"},
			refusal: mqadmin.ErrSystemError,
		}
	}
	// 5.3 authentication: failures are NO_PERMISSION.
	return authBroker{
		conf: map[string]string{
			"authenticationEnabled":                "true",
			"authenticationProvider":               "org.apache.rocketmq.auth.authentication.provider.DefaultAuthenticationProvider",
			"authenticationMetadataProvider":       "org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider",
			"initAuthenticationUser":               `{"username":"rocketmq2","password":"12345678"}`,
			"innerClientAuthenticationCredentials": `{"accessKey":"rocketmq2","secretKey":"12345678"}`,
			"serverChannelMaxIdleTimeSeconds":      "3",
		},
		refusal: mqadmin.ErrNoPermission,
	}
}

// TestSignedRequestsAndIdleClose starts a broker of each version that checks signatures and
// closes connections idle for 3 s. Signed requests pass, unsigned and wrongly signed ones
// are refused, and a connection the broker closed for idling is replaced transparently.
func TestSignedRequestsAndIdleClose(t *testing.T) {
	for _, v := range []string{"5.3.3", "4.9.7"} {
		t.Run(v, func(t *testing.T) {
			ab := authBrokerFor(v)
			startCtx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			r, err := stack.StartRocketMQ(startCtx, stack.RocketMQOptions{
				Version: v, ExtraBrokerConf: ab.conf, HomeFiles: ab.homeFiles,
			})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if t.Failed() {
					t.Logf("logs:\n%s", r.LogTail(40))
				}
				r.Stop() //nolint:errcheck // test teardown
			}()
			ctx := testCtx(t)
			good := mqadmin.Credentials{AccessKey: "rocketmq2", SecretKey: "12345678"}
			for name, cred := range map[string]mqadmin.Credentials{
				"unsigned":     {},
				"wrong secret": {AccessKey: "rocketmq2", SecretKey: "wrong"},
			} {
				c := mqadmin.New(mqadmin.Options{Credentials: cred})
				_, err := c.TopicStats(ctx, r.BrokerAddr, "TBW102")
				c.Close()
				if !errors.Is(err, ab.refusal) {
					t.Errorf("%s: %v, want %v", name, err, ab.refusal)
				}
				t.Logf("%s: %v", name, err)
			}

			rec := &recordHandler{}
			c := mqadmin.New(mqadmin.Options{Credentials: good, IdleTimeout: -1, PoolSize: 1, Logger: slog.New(rec)})
			defer c.Close()
			if err := c.CreateTopic(ctx, r.BrokerAddr, mqadmin.TopicConfig{Topic: "signed-topic"}); err != nil {
				t.Fatalf("signed create topic: %v", err)
			}
			if _, err := c.TopicStats(ctx, r.BrokerAddr, "signed-topic"); err != nil {
				t.Fatalf("signed topic stats: %v", err)
			}
			time.Sleep(5 * time.Second) // past the broker's 3 s idle limit
			if !rec.has("mqadmin connection closed") {
				t.Fatalf("the broker did not close the idle connection; log: %v", rec.messages())
			}
			if _, err := c.TopicStats(ctx, r.BrokerAddr, "signed-topic"); err != nil {
				t.Fatalf("after the idle close: %v", err)
			}
			if n := rec.count("mqadmin connected"); n != 2 {
				t.Fatalf("%d connections made, want 2", n)
			}
		})
	}
}

// recordHandler is a slog.Handler that keeps every message.
type recordHandler struct {
	mu   sync.Mutex
	msgs []string
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recordHandler) WithGroup(string) slog.Handler            { return h }

func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msgs = append(h.msgs, r.Message)
	return nil
}

func (h *recordHandler) messages() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.msgs...)
}

func (h *recordHandler) count(msg string) int {
	n := 0
	for _, m := range h.messages() {
		if m == msg {
			n++
		}
	}
	return n
}

func (h *recordHandler) has(msg string) bool { return h.count(msg) > 0 }

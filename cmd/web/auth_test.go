package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/lagboard/lagboard/internal/auth/authtest"
	"github.com/lagboard/lagboard/internal/devidp"
	"github.com/lagboard/lagboard/internal/stack"
	"github.com/lagboard/lagboard/internal/stack/stacktest"

	"github.com/jackc/pgx/v5"
)

// devPolicyCopy copies deploy/dev/policy.yaml into a temporary file the test may change.
func devPolicyCopy(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "dev", "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// authEnv is the environment of a dashboard that signs in through a running dev provider.
func authEnv(t *testing.T, namesrv string) (env map[string]string, dashURL string) {
	t.Helper()
	port, err := stack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dashURL = fmt.Sprintf("http://127.0.0.1:%d", port)
	idpSrv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + idpSrv.Listener.Addr().String()
	idp, err := devidp.New(t.Context(), devidp.Config{Issuer: issuer, Users: devidp.DemoUsers(),
		Clients: []devidp.Client{devidp.DemoClient(dashURL + "/auth/callback")}})
	if err != nil {
		t.Fatal(err)
	}
	idpSrv.Config.Handler = idp
	idpSrv.Start()
	t.Cleanup(idpSrv.Close)
	return map[string]string{
		"DATABASE_URL":                stacktest.DatabaseURL(t),
		"LAGBOARD_CLUSTERS":           "local=" + namesrv,
		"LAGBOARD_ADDR":               fmt.Sprintf("127.0.0.1:%d", port),
		"LAGBOARD_OIDC_ISSUER":        issuer,
		"LAGBOARD_OIDC_CLIENT_ID":     devidp.DemoClientID,
		"LAGBOARD_OIDC_CLIENT_SECRET": devidp.DemoClientSecret,
		"LAGBOARD_OIDC_REDIRECT_URL":  dashURL + "/auth/callback",
		"LAGBOARD_COOKIE_SECURE":      "false",
		"LAGBOARD_POLICY_FILE":        devPolicyCopy(t),
	}, dashURL
}

// signInAs signs username in on the dev provider's form, as a browser without scripts.
func signInAs(t *testing.T, dashURL, username string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 15 * time.Second}
	resp := authtest.GetAndSignIn(t, c, dashURL+"/", username)
	doc, _ := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(doc.Find(`[data-testid="user-name"]`).Text()) == "" {
		t.Fatalf("sign-in of %s ended with %d at %s", username, resp.StatusCode, resp.Request.URL)
	}
	return c
}

func status(t *testing.T, c *http.Client, u string) int {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck // only the status matters
	resp.Body.Close()
	return resp.StatusCode
}

// TestSignInAndPolicyReloadOnSIGHUP runs the whole program with sign-in through the dev
// provider and the dev policy, then changes the policy file and sends the process SIGHUP.
func TestSignInAndPolicyReloadOnSIGHUP(t *testing.T) {
	rmq := stacktest.Broker(t, stacktest.Versions(t)[0])
	env, dashURL := authEnv(t, rmq.NamesrvAddr)
	startServer(t, env)
	c := signInAs(t, dashURL, "operator")

	policy := env["LAGBOARD_POLICY_FILE"]
	reload := func(content string, want int) {
		t.Helper()
		if err := os.WriteFile(policy, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for status(t, c, dashURL+"/") != want {
			if time.Now().After(deadline) {
				t.Fatalf("after SIGHUP / never answered %d", want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	original, err := os.ReadFile(policy)
	if err != nil {
		t.Fatal(err)
	}
	// Without the operator grant the same session is refused...
	reload(strings.Replace(string(original), "lagboard-operator", "lagboard-nobody", 1), http.StatusForbidden)
	// ...an invalid file leaves that in force: once the failed reload is on record...
	reload("grants:\n  - values: [lagboard-operator]\n    role: superuser\n", http.StatusForbidden)
	waitFailedReload(t, env["DATABASE_URL"])
	if got := status(t, c, dashURL+"/"); got != http.StatusForbidden {
		t.Fatalf("an invalid policy changed access: %d", got)
	}
	// ...and the original file brings access back, without signing in again.
	reload(string(original), http.StatusOK)
}

func TestAuthConfigurationStopsWithOneClearLine(t *testing.T) {
	rmq := stacktest.Broker(t, stacktest.Versions(t)[0])
	env, _ := authEnv(t, rmq.NamesrvAddr)
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()
	badPolicy := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(badPolicy, []byte("grants:\n  - values: [x]\n    role: superuser\n    clusters: [\"*\"]\n    consumer_groups: [\"*\"]\n"), 0o600) //nolint:errcheck // read back below
	anonWriter := filepath.Join(t.TempDir(), "anon.yaml")
	os.WriteFile(anonWriter, []byte("grants: []\nanonymous:\n  - {role: operator, clusters: [\"*\"], consumer_groups: [\"*\"]}\n"), 0o600) //nolint:errcheck // read back below

	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range env {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(m, kv[i])
			} else {
				m[kv[i]] = kv[i+1]
			}
		}
		return m
	}
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"no sign-in and no anonymous read", with("LAGBOARD_OIDC_ISSUER", "", "LAGBOARD_OIDC_CLIENT_ID", "", "LAGBOARD_OIDC_CLIENT_SECRET", "", "LAGBOARD_OIDC_REDIRECT_URL", ""),
			[]string{"LAGBOARD_OIDC_ISSUER: is required", "LAGBOARD_ANONYMOUS_READ=true"}},
		{"unreachable issuer", with("LAGBOARD_OIDC_ISSUER", "http://"+deadAddr),
			[]string{"LAGBOARD_OIDC_ISSUER: cannot discover the OpenID provider at http://" + deadAddr, "connection refused"}},
		{"policy error", with("LAGBOARD_POLICY_FILE", badPolicy),
			[]string{"LAGBOARD_POLICY_FILE: " + badPolicy + `:3: grants[0].role: "superuser" is not one of`}},
		{"missing policy", with("LAGBOARD_POLICY_FILE", badPolicy+".missing"), []string{"LAGBOARD_POLICY_FILE: read policy: open " + badPolicy + ".missing"}},
		{"anonymous writer", with("LAGBOARD_ANONYMOUS_READ", "true", "LAGBOARD_POLICY_FILE", anonWriter),
			[]string{"LAGBOARD_POLICY_FILE: " + anonWriter + ":3: anonymous[0].role: operator includes write permissions"}},
		{"insecure cookie off loopback", with("LAGBOARD_OIDC_REDIRECT_URL", "http://lagboard.example/auth/callback"),
			[]string{"LAGBOARD_COOKIE_SECURE: false is allowed only for a local dashboard"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantStartFailure(t, tt.env, tt.want...)
		})
	}
}

// waitFailedReload waits until the audit trail holds a failed policy reload: every reload
// is audited, so that entry is the proof the process read the invalid file.
func waitFailedReload(t *testing.T, databaseURL string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for {
		var n int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM audit_entry WHERE action = 'policy_reloaded' AND outcome = 'failure'`).Scan(&n)
		if err == nil && n > 0 {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("no failed policy reload in the audit trail after SIGHUP: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

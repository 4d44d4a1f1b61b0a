package audit

import (
	"encoding/json"
	"net/netip"
	"testing"
	"time"
)

// TestCanonicalForm pins the documented encoding: a change here breaks every stored chain.
func TestCanonicalForm(t *testing.T) {
	e, err := normalize(Entry{
		Seq: 7, ID: "3f0c1c2e-8a4b-4c3d-9e5f-0a1b2c3d4e5f",
		At:       time.Date(2026, 11, 21, 8, 30, 0, 123456789, time.FixedZone("CET", 3600)),
		Actor:    Actor{Subject: "u1", Issuer: "https://idp", Email: "a@b", Name: "Ann <admin>", Groups: []string{"ops", "sre"}},
		SourceIP: "10.0.0.9", Action: ActionResetApproved, Target: Target{Cluster: "prod", Group: "g", Topic: "t", Queues: []string{"broker-a/0"}},
		Parameters: json.RawMessage(`{"z": 1e2, "a": [true, null, "x"]}`),
		Outcome:    Success, PrevHash: GenesisHash,
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Canonical(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"action":"reset.approved","actor":{"email":"a@b","groups":["ops","sre"],"issuer":"https://idp","name":"Ann <admin>","subject":"u1"},` +
		`"after":null,"at":"2026-11-21T07:30:00.123456Z","before":null,"error":"","id":"3f0c1c2e-8a4b-4c3d-9e5f-0a1b2c3d4e5f","outcome":"success",` +
		`"parameters":{"a":[true,null,"x"],"z":1e2},"prev_hash":"` + GenesisHash + `","reason":"","request_id":"","seq":7,"session":"",` +
		`"source_ip":"10.0.0.9","target":{"cluster":"prod","group":"g","queues":["broker-a/0"],"topic":"t"},"user_agent":"","v":1}`
	if string(b) != want {
		t.Fatalf("canonical form\n got %s\nwant %s", b, want)
	}
	// Absent lists and documents encode the same as empty ones read back from Postgres.
	a, _ := Canonical(Entry{Actor: Actor{Groups: nil}})
	c, _ := Canonical(Entry{Actor: Actor{Groups: []string{}}, Parameters: nil})
	if string(a) != string(c) {
		t.Fatalf("nil and empty differ:\n%s\n%s", a, c)
	}
}

func TestNormalizeRefusesBadJSON(t *testing.T) {
	for _, bad := range []string{`{`, `{"a":1} {"b":2}`, `nope`} {
		if _, err := normalize(Entry{Parameters: json.RawMessage(bad)}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name, remote, xff string
		trusted           []netip.Prefix
		want              string
	}{
		{"no proxies: header ignored", "203.0.113.5:4000", "198.51.100.1", nil, "203.0.113.5"},
		{"untrusted peer: header ignored", "203.0.113.5:4000", "198.51.100.1", trusted, "203.0.113.5"},
		{"trusted proxy", "10.1.2.3:4000", "198.51.100.1", trusted, "198.51.100.1"},
		{"spoofed left part skipped", "10.1.2.3:4000", "6.6.6.6, 198.51.100.1, 10.9.9.9", trusted, "198.51.100.1"},
		{"all trusted: leftmost", "10.1.2.3:4000", "10.2.2.2", trusted, "10.2.2.2"},
		{"garbage stops at the proxy", "10.1.2.3:4000", "junk", trusted, "10.1.2.3"},
		{"ipv6 peer", "[fd00::1]:4000", "2001:db8::7", trusted, "2001:db8::7"},
		{"mapped ipv4", "[::ffff:10.0.0.1]:1", "198.51.100.2", trusted, "198.51.100.2"},
		{"no header", "10.1.2.3:4000", "", trusted, "10.1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClientIP(tt.remote, tt.xff, tt.trusted); got != tt.want {
				t.Errorf("ClientIP(%q, %q) = %q, want %q", tt.remote, tt.xff, got, tt.want)
			}
		})
	}
}

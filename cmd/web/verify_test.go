package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

func TestVerifySubcommand(t *testing.T) {
	url := stacktest.DatabaseURL(t)
	pool, err := storage.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for i := range 3 {
		err := pgx.BeginFunc(t.Context(), pool, func(tx pgx.Tx) error {
			return audit.Append(t.Context(), tx, audit.Entry{Actor: audit.Actor{Subject: "alice"},
				Action: audit.ActionConfigChanged, Reason: fmt.Sprint("change ", i), Outcome: audit.Success})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	verify := func(args ...string) (string, error) {
		var out strings.Builder
		err := run(context.Background(), append([]string{"verify"}, args...), func(k string) string {
			return map[string]string{"DATABASE_URL": url}[k]
		}, &out)
		return out.String(), err
	}

	out, err := verify()
	head := regexp.MustCompile(`head: seq 3 hash ([0-9a-f]{64})`).FindStringSubmatch(out)
	if err != nil || !strings.Contains(out, "audit chain intact: 3 entries") || head == nil {
		t.Fatalf("intact chain: %v\n%s", err, out)
	}
	if out, err := verify("-head", "3:"+head[1]); err != nil {
		t.Fatalf("intact chain with its recorded head: %v\n%s", err, out)
	}

	var id string
	if err := pool.QueryRow(t.Context(), `SELECT id::text FROM audit_entry WHERE seq = 2`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	cfg, _ := pgx.ParseConfig(url)
	dba, err := pgx.Connect(t.Context(), stacktest.SuperuserURL(t, cfg.Database))
	if err != nil {
		t.Fatal(err)
	}
	defer dba.Close(context.Background())
	for _, q := range []string{`ALTER TABLE audit_entry DISABLE TRIGGER USER`, `UPDATE audit_entry SET actor_subject = 'mallory' WHERE seq = 2`} {
		if _, err := dba.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	out, err = verify()
	want := "entry seq 2 id " + id + ": changed"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(out, "audit chain BROKEN") || !strings.Contains(out, want) {
		t.Fatalf("tampered chain: %v\n%s", err, out)
	}
	if line := errorLine(err); strings.Contains(line, "\n") {
		t.Errorf("error spans lines: %q", line)
	}

	if _, err := verify("-head", "nonsense"); err == nil {
		t.Error("a malformed -head was accepted")
	}
	if err := run(context.Background(), []string{"verify"}, func(string) string { return "" }, &strings.Builder{}); err == nil ||
		!strings.Contains(err.Error(), "DATABASE_URL: is required") {
		t.Errorf("verify without DATABASE_URL: %v", err)
	}
}

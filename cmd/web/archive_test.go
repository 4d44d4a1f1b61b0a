package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

func TestArchiveSubcommand(t *testing.T) {
	url := stacktest.DatabaseURL(t)
	pool, err := storage.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for i := range 4 {
		err := pgx.BeginFunc(t.Context(), pool, func(tx pgx.Tx) error {
			return audit.Append(t.Context(), tx, audit.Entry{Actor: audit.Actor{Subject: "alice"}, At: time.Date(2021, 3, 1+i, 9, 0, 0, 0, time.UTC),
				Action: audit.ActionConfigChanged, Reason: fmt.Sprint("change ", i), Outcome: audit.Success})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	cmd := func(args ...string) (string, error) {
		var out strings.Builder
		err := run(context.Background(), args, func(k string) string {
			return map[string]string{"DATABASE_URL": url}[k]
		}, &out)
		return out.String(), err
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "audit-2021-03.jsonl")

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-out", file}, "-before and -out are required"},
		{[]string{"-before", "2021-03-03"}, "-before and -out are required"},
		{[]string{"-before", "March", "-out", file}, "neither YYYY-MM-DD nor an RFC 3339 time"},
		{[]string{"-before", "2999-01-01", "-out", file}, "is in the future"},
		{[]string{"-before", "2021-03-01", "-out", file}, "no audit entry is older than the cut-off"},
		{[]string{"-before", "2021-03-03", "-out", file, "extra"}, `unexpected argument "extra"`},
	} {
		if out, err := cmd(append([]string{"archive"}, tt.args...)...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("archive %v: %v; want an error with %q\n%s", tt.args, err, tt.want, out)
		}
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("a refused archive left a file: %v", err)
	}

	out, err := cmd("archive", "-before", "2021-03-03T00:00:00Z", "-out", file)
	sum := regexp.MustCompile(`file sha256: ([0-9a-f]{64})`).FindStringSubmatch(out)
	if err != nil || !strings.Contains(out, "archived 2 entries, seq 1 to 2") || sum == nil ||
		!strings.Contains(out, "recorded as audit entry seq 5 (audit.archived)") {
		t.Fatalf("archive: %v\n%s", err, out)
	}
	if out, err := cmd("archive", "-before", "2021-03-04", "-out", file); err == nil || !strings.Contains(err.Error(), "file already exists") {
		t.Errorf("archive to an existing file: %v\n%s", err, out)
	}

	out, err = cmd("verify")
	if err != nil || !strings.Contains(out, "audit chain intact: 3 entries") ||
		!strings.Contains(out, "entries up to seq 2 are archived: file audit-2021-03.jsonl sha256 "+sum[1]) {
		t.Fatalf("verify after the archival: %v\n%s", err, out)
	}
	out, err = verifyArchiveFile(t, file)
	if err != nil || !strings.Contains(out, "archive intact: 2 entries, seq 1 to 2") || !strings.Contains(out, "file sha256: "+sum[1]) {
		t.Fatalf("verify -archive: %v\n%s", err, out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	tampered := filepath.Join(dir, "tampered.jsonl")
	if err := os.WriteFile(tampered, []byte(strings.Replace(string(data), "change 1", "change 7", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := verifyArchiveFile(t, tampered); err == nil || !strings.Contains(err.Error(), "entry seq 2") || !strings.Contains(out, "archive BROKEN") {
		t.Errorf("verify -archive of a tampered file: %v\n%s", err, out)
	}
}

// verifyArchiveFile runs web verify -archive without a database.
func verifyArchiveFile(t *testing.T, file string) (string, error) {
	t.Helper()
	var out strings.Builder
	err := run(context.Background(), []string{"verify", "-archive", file}, func(string) string { return "" }, &out)
	return out.String(), err
}

func TestVerifyArchiveFlag(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte(`{"hash":"`+strings.Repeat("0", 64)+`","entry":{"seq":1}}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := verifyArchiveFile(t, bad)
	if err == nil || !strings.Contains(out, "archive BROKEN") || !strings.Contains(err.Error(), "changed") {
		t.Errorf("a broken archive: %v\n%s", err, out)
	}
	if line := errorLine(err); strings.Contains(line, "\n") {
		t.Errorf("error spans lines: %q", line)
	}
	if _, err := verifyArchiveFile(t, filepath.Join(dir, "missing.jsonl")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("a missing archive: %v", err)
	}
}

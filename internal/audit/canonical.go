package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// CanonicalVersion is the version of the canonical form, itself part of the form, so a
// future encoding can be told apart from this one.
const CanonicalVersion = 1

// GenesisHash is the previous hash of the first entry.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// TimeLayout is how times appear in the canonical form: UTC, microseconds (Postgres's
// precision), always six digits.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// Canonical returns the canonical form of e, the bytes its hash covers: a JSON object of
// every field but Hash, with keys sorted at every level, no insignificant whitespace, no
// HTML escaping, times in TimeLayout, absent lists as [] and absent JSON documents as null.
// e must be normalized (Append does it) for the form to match what is stored.
func Canonical(e Entry) ([]byte, error) {
	doc := map[string]any{
		"v":   CanonicalVersion,
		"seq": e.Seq,
		"id":  e.ID,
		"at":  e.At.UTC().Format(TimeLayout),
		"actor": map[string]any{
			"subject": e.Actor.Subject,
			"issuer":  e.Actor.Issuer,
			"email":   e.Actor.Email,
			"name":    e.Actor.Name,
			"groups":  nonNil(e.Actor.Groups),
		},
		"session":    e.Session,
		"source_ip":  e.SourceIP,
		"user_agent": e.UserAgent,
		"request_id": e.RequestID,
		"action":     string(e.Action),
		"target": map[string]any{
			"cluster": e.Target.Cluster,
			"group":   e.Target.Group,
			"topic":   e.Target.Topic,
			"queues":  nonNil(e.Target.Queues),
		},
		"reason":     e.Reason,
		"parameters": rawOrNull(e.Parameters),
		"before":     rawOrNull(e.Before),
		"after":      rawOrNull(e.After),
		"outcome":    string(e.Outcome),
		"error":      e.Error,
		"prev_hash":  e.PrevHash,
	}
	return encode(doc)
}

// HashOf returns the hex SHA-256 of e's canonical form.
func HashOf(e Entry) (string, error) {
	b, err := Canonical(e)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// normalize makes e exactly what the database will give back: valid UTF-8 without NUL
// (Postgres text refuses both), UTC times at microsecond precision, canonical JSON.
func normalize(e Entry) (Entry, error) {
	for _, s := range []*string{&e.Actor.Subject, &e.Actor.Issuer, &e.Actor.Email, &e.Actor.Name,
		&e.Session, &e.SourceIP, &e.UserAgent, &e.RequestID, &e.Target.Cluster, &e.Target.Group,
		&e.Target.Topic, &e.Reason, &e.Error} {
		*s = cleanText(*s)
	}
	e.Actor.Groups = cleanList(e.Actor.Groups)
	e.Target.Queues = cleanList(e.Target.Queues)
	e.At = e.At.UTC().Truncate(time.Microsecond)
	for name, j := range map[string]*json.RawMessage{"parameters": &e.Parameters, "before": &e.Before, "after": &e.After} {
		c, err := canonicalJSON(*j)
		if err != nil {
			return e, fmt.Errorf("audit entry %s: %w", name, err)
		}
		*j = c
	}
	return e, nil
}

// canonicalJSON re-encodes a JSON document with sorted keys and numbers as written.
func canonicalJSON(raw json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if d.More() {
		return nil, fmt.Errorf("not one JSON document")
	}
	if v == nil {
		return nil, nil // a JSON null is the same as no document
	}
	return encode(cleanJSON(v))
}

// cleanJSON applies cleanText to every string of a decoded document, keys included.
func cleanJSON(v any) any {
	switch t := v.(type) {
	case string:
		return cleanText(t)
	case []any:
		for i := range t {
			t[i] = cleanJSON(t[i])
		}
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[cleanText(k)] = cleanJSON(x)
		}
		return out
	}
	return v
}

func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func cleanText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

func cleanList(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = cleanText(s)
	}
	return out
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func rawOrNull(r json.RawMessage) json.RawMessage {
	if r == nil {
		return json.RawMessage("null")
	}
	return r
}

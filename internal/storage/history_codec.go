package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// The packed history formats (migrations/0016_compact_history.sql). A chunk holds one
// series' points of one period in time order, each field stored as the varint difference
// from the same field of the point before, times as a difference of differences: polls are
// evenly spaced, so most fields take one or two bytes. Times keep Postgres's microseconds;
// lag in time is kept to the millisecond and consume rates to a thousandth of a message per
// second.

const codecVersion = 1

var errCorrupt = errors.New("corrupt history chunk")

// HourPoint is one hour of a group's topic as the hourly trend keeps it (see
// migrations/0011_history_truth.sql): when the hour's first and last minute points were
// taken, the offsets, lag and lag in time at the last, the highest lag and lag in time
// within the hour, and the mean consume rate.
type HourPoint struct {
	Hour           time.Time
	FirstAt        time.Time
	LastAt         time.Time
	MaxOffset      int64
	ConsumerOffset int64
	Lag            int64
	LagSeconds     *float64
	LastLag        int64
	LastLagSeconds *float64
	ConsumeTPS     *float64
}

type encoder struct{ b []byte }

func (e *encoder) varint(v int64) { e.b = binary.AppendVarint(e.b, v) }

// thousandths stores a float to three decimals; absent, NaN and infinite values are not
// stored (the flag bit says which are present).
func thousandths(v *float64) (int64, bool) {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		return 0, false
	}
	f := math.Round(*v * 1000)
	f = min(max(f, -(1<<62)), 1<<62)
	return int64(f), true
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.err = errCorrupt
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

// header reads the version and the point count, refusing counts the bytes cannot hold
// (every point takes at least one byte per field).
func (d *decoder) header(fields int) int {
	if d.byte() != codecVersion {
		d.err = errCorrupt
		return 0
	}
	n := d.varint()
	if d.err == nil && (n < 0 || n > int64(len(d.b)/fields)) {
		d.err = errCorrupt
	}
	if d.err != nil {
		return 0
	}
	return int(n)
}

func (d *decoder) done() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	return d.err
}

// clock encodes a point's time as the change in the interval since the point before.
type clock struct {
	prev, step int64 // microseconds since the chunk's start, and the last interval
}

func (c *clock) put(e *encoder, us int64) {
	step := us - c.prev
	e.varint(step - c.step)
	c.prev, c.step = us, step
}

func (c *clock) get(d *decoder) int64 {
	c.step += d.varint()
	c.prev += c.step
	return d.span(c.prev)
}

// maxSpan bounds a decoded time's distance from the time it is counted from (about 12
// days): packed rows hold an hour or a day, so anything further is damage.
const maxSpan = 1 << 40

func (d *decoder) span(us int64) int64 {
	if us < -maxSpan || us > maxSpan {
		d.err = errCorrupt
		return 0
	}
	return us
}

func micros(t, base time.Time) int64 { return t.Sub(base).Microseconds() }

func fromMicros(base time.Time, us int64) time.Time {
	return base.Add(time.Duration(us) * time.Microsecond)
}

func thousandthsPtr(v int64) *float64 {
	f := float64(v) / 1000
	return &f
}

// encodeQueueChunk packs one queue's samples of the hour starting at base, sorted by time.
func encodeQueueChunk(base time.Time, pts []QueueSample) []byte {
	e := encoder{b: make([]byte, 0, 2+len(pts)*7)}
	e.b = append(e.b, codecVersion)
	e.varint(int64(len(pts)))
	var c clock
	var pm, pc int64
	for _, p := range pts {
		c.put(&e, micros(p.At, base))
		e.varint(p.MaxOffset - pm)
		e.varint(p.ConsumerOffset - pc)
		pm, pc = p.MaxOffset, p.ConsumerOffset
	}
	return e.b
}

// decodeQueueChunk unpacks what encodeQueueChunk packed.
func decodeQueueChunk(seriesID int32, base time.Time, b []byte) ([]QueueSample, error) {
	d := decoder{b: b}
	n := d.header(3)
	out := make([]QueueSample, 0, n)
	var c clock
	var pm, pc int64
	for range n {
		at := c.get(&d)
		pm += d.varint()
		pc += d.varint()
		out = append(out, QueueSample{SeriesID: seriesID, At: fromMicros(base, at), MaxOffset: pm, ConsumerOffset: pc})
	}
	if err := d.done(); err != nil {
		return nil, fmt.Errorf("queue series %d at %s: %w", seriesID, base.Format(time.RFC3339), err)
	}
	return out, nil
}

const (
	hasLagSeconds = 1 << iota
	hasConsumeTPS
	hasLastLagSeconds
)

// encodeTopicChunk packs one topic's minute points of the hour starting at base, sorted by
// time.
func encodeTopicChunk(base time.Time, pts []TopicPoint) []byte {
	e := encoder{b: make([]byte, 0, 2+len(pts)*12)}
	e.b = append(e.b, codecVersion)
	e.varint(int64(len(pts)))
	var c clock
	var pm, pc, pl, ps, pt int64
	for _, p := range pts {
		secs, okS := thousandths(p.LagSeconds)
		tps, okT := thousandths(p.ConsumeTPS)
		var flags byte
		if okS {
			flags |= hasLagSeconds
		}
		if okT {
			flags |= hasConsumeTPS
		}
		e.b = append(e.b, flags)
		c.put(&e, micros(p.At, base))
		e.varint(p.MaxOffset - pm)
		e.varint(p.ConsumerOffset - pc)
		e.varint(p.Lag - pl)
		pm, pc, pl = p.MaxOffset, p.ConsumerOffset, p.Lag
		if okS {
			e.varint(secs - ps)
			ps = secs
		}
		if okT {
			e.varint(tps - pt)
			pt = tps
		}
	}
	return e.b
}

// decodeTopicChunk unpacks what encodeTopicChunk packed.
func decodeTopicChunk(seriesID int32, base time.Time, b []byte) ([]TopicPoint, error) {
	d := decoder{b: b}
	n := d.header(5)
	out := make([]TopicPoint, 0, n)
	var c clock
	var pm, pc, pl, ps, pt int64
	for range n {
		flags := d.byte()
		p := TopicPoint{SeriesID: seriesID, At: fromMicros(base, c.get(&d))}
		pm += d.varint()
		pc += d.varint()
		pl += d.varint()
		p.MaxOffset, p.ConsumerOffset, p.Lag = pm, pc, pl
		if flags&hasLagSeconds != 0 {
			ps += d.varint()
			p.LagSeconds = thousandthsPtr(ps)
		}
		if flags&hasConsumeTPS != 0 {
			pt += d.varint()
			p.ConsumeTPS = thousandthsPtr(pt)
		}
		if flags&^(hasLagSeconds|hasConsumeTPS) != 0 {
			d.err = errCorrupt
		}
		out = append(out, p)
	}
	if err := d.done(); err != nil {
		return nil, fmt.Errorf("topic series %d at %s: %w", seriesID, base.Format(time.RFC3339), err)
	}
	return out, nil
}

// encodeDay packs one topic's hour points of the day starting at base, sorted by hour.
func encodeDay(base time.Time, pts []HourPoint) []byte {
	e := encoder{b: make([]byte, 0, 2+len(pts)*28)}
	e.b = append(e.b, codecVersion)
	e.varint(int64(len(pts)))
	var pm, pc, pl, ps, pt int64
	for _, p := range pts {
		secs, okS := thousandths(p.LagSeconds)
		last, okL := thousandths(p.LastLagSeconds)
		tps, okT := thousandths(p.ConsumeTPS)
		var flags byte
		if okS {
			flags |= hasLagSeconds
		}
		if okT {
			flags |= hasConsumeTPS
		}
		if okL {
			flags |= hasLastLagSeconds
		}
		e.b = append(e.b, flags)
		e.varint(int64(p.Hour.Sub(base) / time.Hour))
		e.varint(micros(p.FirstAt, p.Hour))
		e.varint(micros(p.LastAt, p.FirstAt))
		e.varint(p.MaxOffset - pm)
		e.varint(p.ConsumerOffset - pc)
		e.varint(p.Lag - pl)
		e.varint(p.LastLag - p.Lag)
		pm, pc, pl = p.MaxOffset, p.ConsumerOffset, p.Lag
		if okS {
			e.varint(secs - ps)
			ps = secs
		}
		if okL {
			e.varint(last - ps)
		}
		if okT {
			e.varint(tps - pt)
			pt = tps
		}
	}
	return e.b
}

// decodeDay unpacks what encodeDay packed.
func decodeDay(seriesID int32, base time.Time, b []byte) ([]HourPoint, error) {
	d := decoder{b: b}
	n := d.header(8)
	out := make([]HourPoint, 0, n)
	var pm, pc, pl, ps, pt int64
	for range n {
		flags := d.byte()
		h := d.varint()
		if h < 0 || h >= 24 {
			d.err = errCorrupt
		}
		p := HourPoint{Hour: base.Add(time.Duration(h) * time.Hour)}
		p.FirstAt = fromMicros(p.Hour, d.span(d.varint()))
		p.LastAt = fromMicros(p.FirstAt, d.span(d.varint()))
		pm += d.varint()
		pc += d.varint()
		pl += d.varint()
		p.MaxOffset, p.ConsumerOffset, p.Lag = pm, pc, pl
		p.LastLag = pl + d.varint()
		if flags&hasLagSeconds != 0 {
			ps += d.varint()
			p.LagSeconds = thousandthsPtr(ps)
		}
		if flags&hasLastLagSeconds != 0 {
			p.LastLagSeconds = thousandthsPtr(ps + d.varint())
		}
		if flags&hasConsumeTPS != 0 {
			pt += d.varint()
			p.ConsumeTPS = thousandthsPtr(pt)
		}
		if flags&^(hasLagSeconds|hasConsumeTPS|hasLastLagSeconds) != 0 {
			d.err = errCorrupt
		}
		if d.err != nil {
			break
		}
		out = append(out, p)
	}
	if err := d.done(); err != nil {
		return nil, fmt.Errorf("topic series %d on %s: %w", seriesID, base.Format(time.DateOnly), err)
	}
	return out, nil
}

package caldav

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"confidant/connectors"
	"confidant/connectors/ical"
)

// cursor is where the next sync resumes, per calendar. It is opaque JSON
// to everyone else.
type cursor struct {
	V         int                  `json:"v"`
	Calendars map[string]*calState `json:"calendars"` // by calendar path
}

type calState struct {
	// Token is the calendar's RFC 6578 sync token after the last complete
	// sync; "" when the server offers none.
	Token string `json:"token,omitempty"`
	// From and To are the window the stored occurrences were expanded
	// for.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// ETags holds the etag of every object synced (or found unreadable).
	ETags map[string]string `json:"etags"`
}

const cursorVersion = 1

// rewindow is how far the sync window may move on before every object is
// expanded again for the new window.
const rewindow = 7 * 24 * time.Hour

func decodeCursor(b []byte) *cursor {
	c := &cursor{}
	if len(b) > 0 {
		// An unreadable cursor (or one of another version) starts a
		// full sync, which replaces every object it finds.
		if err := json.Unmarshal(b, c); err != nil || c.V != cursorVersion {
			c = &cursor{}
		}
	}
	c.V = cursorVersion
	if c.Calendars == nil {
		c.Calendars = map[string]*calState{}
	}
	for _, st := range c.Calendars {
		if st.ETags == nil {
			st.ETags = map[string]string{}
		}
	}
	return c
}

// sinkError carries the Sink's own error through unchanged.
type sinkError struct{ err error }

func (e sinkError) Error() string { return e.err.Error() }
func (e sinkError) Unwrap() error { return e.err }

// Sync reads every calendar from the cursor on and hands the changes to the
// sink: on the first sync (nil cursor) every object, afterwards only what
// changed, by sync token where the server offers one and by etag
// otherwise. Each object's occurrences within the window come in one
// Batch (Resource = the object's href); objects deleted, unreadable or
// without occurrences in the window are in Batch.Removed.
func (s *Source) Sync(ctx context.Context, cur []byte, sink connectors.Sink) error {
	err := s.sync(ctx, cur, sink)
	var se sinkError
	if errors.As(err, &se) {
		return se.err
	}
	return classify(err)
}

// plan is what one calendar needs in this sync.
type plan struct {
	cal      calendar
	from, to time.Time
	token    string
	changed  []string
	etags    map[string]string // listed etags of changed objects
}

func (s *Source) sync(ctx context.Context, prev []byte, sink connectors.Sink) error {
	next := decodeCursor(prev)
	cals, err := s.discover(ctx)
	if err != nil {
		return err
	}
	now := s.opt.Now().UTC().Truncate(24 * time.Hour)
	from, to := now.Add(-s.opt.Past), now.Add(s.opt.Ahead)

	b := &batcher{s: s, sink: sink, next: next, prev: prev}
	present := map[string]bool{}
	var plans []*plan
	for _, cal := range cals {
		present[cal.Path] = true
		st := next.Calendars[cal.Path]
		if st == nil {
			st = &calState{ETags: map[string]string{}}
			next.Calendars[cal.Path] = st
		}
		p, removed, err := s.plan(ctx, cal, st, from, to)
		if err != nil {
			return err
		}
		for _, h := range removed {
			delete(st.ETags, h)
		}
		b.removed = append(b.removed, removed...)
		b.total += len(p.changed)
		plans = append(plans, p)
	}
	for path, st := range next.Calendars {
		if !present[path] { // the calendar is gone
			b.removed = append(b.removed, slices.Sorted(maps.Keys(st.ETags))...)
			delete(next.Calendars, path)
		}
	}

	for _, p := range plans {
		st := next.Calendars[p.cal.Path]
		for start := 0; start < len(p.changed); start += s.opt.BatchSize {
			hrefs := p.changed[start:min(start+s.opt.BatchSize, len(p.changed))]
			objs, err := s.multiget(ctx, p.cal.Path, hrefs)
			if err != nil {
				return err
			}
			for _, o := range objs {
				b.add(p, st, o)
			}
			if start+s.opt.BatchSize >= len(p.changed) {
				st.Token, st.From, st.To = p.token, p.from, p.to
			}
			if err := b.flush(ctx, false); err != nil {
				return err
			}
		}
		st.Token, st.From, st.To = p.token, p.from, p.to
	}
	return b.flush(ctx, true)
}

// plan lists what changed in one calendar since its state: the hrefs to
// fetch and the hrefs removed.
func (s *Source) plan(ctx context.Context, cal calendar, st *calState, from, to time.Time) (*plan, []string, error) {
	p := &plan{cal: cal, from: st.From, to: st.To}
	stale := st.From.IsZero() || absDuration(from.Sub(st.From)) >= rewindow || absDuration(to.Sub(st.To)) >= rewindow
	if stale {
		p.from, p.to = from, to
	}
	var l *listing
	var err error
	if !stale && st.Token != "" {
		l, err = s.syncCollection(ctx, cal.Path, st.Token)
		if err != nil && !errors.Is(err, errInvalidToken) {
			return nil, nil, fmt.Errorf("sync calendar: %w", err)
		}
	}
	if l == nil {
		l, err = s.syncCollection(ctx, cal.Path, "")
		var se *statusError
		if errors.As(err, &se) && se.Status != 401 && se.Status < 500 {
			l, err = s.listETags(ctx, cal.Path) // no sync-collection here
		}
		if err != nil {
			return nil, nil, fmt.Errorf("list calendar: %w", err)
		}
	}
	p.token = l.Token
	p.etags = l.ETags
	for h, etag := range l.ETags {
		if stale || etag == "" || st.ETags[h] != etag {
			p.changed = append(p.changed, h)
		}
	}
	sort.Strings(p.changed)
	removed := l.Removed
	if !l.Delta {
		removed = nil
		for h := range st.ETags {
			if _, ok := l.ETags[h]; !ok {
				removed = append(removed, h)
			}
		}
	}
	sort.Strings(removed)
	return p, removed, nil
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// batcher gathers objects into batches, each committed with the cursor
// that follows it.
type batcher struct {
	s       *Source
	sink    connectors.Sink
	next    *cursor
	prev    []byte
	events  []connectors.Event
	removed []string
	done    int
	total   int
}

func (b *batcher) add(p *plan, st *calState, o object) {
	b.done++
	if o.Gone {
		delete(st.ETags, o.Href)
		b.removed = append(b.removed, o.Href)
		return
	}
	etag := o.ETag
	if etag == "" {
		etag = p.etags[o.Href]
	}
	st.ETags[o.Href] = etag
	events, err := ical.Parse(o.Data, ical.Options{From: p.from, To: p.to, Floating: b.s.opt.Floating})
	if err != nil {
		// One unreadable object must not stop the others; its old
		// occurrences go, and it is read again once it changes.
		b.s.opt.Log.Warn("caldav: calendar object skipped", "error", err)
		b.removed = append(b.removed, o.Href)
		return
	}
	if len(events) == 0 {
		b.removed = append(b.removed, o.Href)
		return
	}
	for i := range events {
		events[i].Resource = o.Href
		events[i].Calendar = p.cal.Name
	}
	b.events = append(b.events, events...)
}

// flush hands the gathered changes to the sink. At the end it also sends
// a batch with only the cursor when the cursor moved on (or on a first
// sync with nothing in it), so the next sync starts from there.
func (b *batcher) flush(ctx context.Context, final bool) error {
	c, err := json.Marshal(b.next)
	if err != nil {
		return fmt.Errorf("encode cursor: %w", err)
	}
	empty := len(b.events) == 0 && len(b.removed) == 0
	if empty && (!final || bytes.Equal(c, b.prev)) {
		return nil
	}
	batch := connectors.Batch{
		Events:   b.events,
		Removed:  b.removed,
		Cursor:   c,
		Progress: connectors.Progress{Done: b.done, Total: b.total},
	}
	if err := b.sink.Apply(ctx, batch); err != nil {
		return sinkError{err}
	}
	b.events, b.removed, b.prev = nil, nil, c
	return nil
}

package imap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"confidant/connectors"
	"confidant/connectors/mailparse"
)

// removeChunk bounds the resources in one batch's Removed.
const removeChunk = 1000

// skippedUses are the special-use folders not synced: spam, deleted mail
// and unfinished drafts.
var skippedUses = []imap.MailboxAttr{imap.MailboxAttrJunk, imap.MailboxAttrTrash, imap.MailboxAttrDrafts}

// syncRun is one Sync: the connection, the cursor being advanced and the
// sink that commits it.
type syncRun struct {
	s         *Source
	c         *imapclient.Client
	sink      connectors.Sink
	cur       *cursor
	condstore bool
	total     int
	folders   []string
}

// Sync implements connectors.Source: it brings every synced folder up to
// date from cursor, batch by batch, each with the cursor after it.
func (s *Source) Sync(ctx context.Context, cursorBytes []byte, sink connectors.Sink) error {
	cur, err := decodeCursor(cursorBytes)
	if err != nil {
		return &connectors.Error{Code: "cursor", Err: err,
			Message: "The saved sync position is unreadable; reconnect the account to sync again."}
	}
	c, stop, err := s.connect(ctx)
	if err != nil {
		return err
	}
	defer func() {
		stop()
		c.Logout().Wait()
		c.Close()
	}()
	r := &syncRun{s: s, c: c, sink: sink, cur: cur, condstore: c.Caps().Has(imap.CapCondStore)}
	if err := r.run(ctx); err != nil {
		var ce *connectors.Error
		if errors.As(err, &ce) || errors.Is(err, errSink) {
			return unwrapSink(err)
		}
		return s.fail(ctx, err)
	}
	return nil
}

// errSink marks an error the Sink returned, passed on as it is.
var errSink = errors.New("sink")

type sinkError struct{ err error }

func (e sinkError) Error() string        { return e.err.Error() }
func (e sinkError) Is(target error) bool { return target == errSink }
func unwrapSink(err error) error {
	var se sinkError
	if errors.As(err, &se) {
		return se.err
	}
	return err
}

func (r *syncRun) run(ctx context.Context) error {
	folders, err := r.listFolders()
	if err != nil {
		return err
	}
	r.folders = folders
	for _, name := range folders {
		st, err := r.c.Status(name, &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			return err
		}
		if st.NumMessages != nil {
			r.total += int(*st.NumMessages)
		}
	}
	// Folders deleted on the server (or now skipped): their mail goes.
	var gone []string
	for name := range r.cur.Folders {
		if !contains(folders, name) {
			gone = append(gone, name)
		}
	}
	sort.Strings(gone)
	for _, name := range gone {
		st := r.cur.Folders[name]
		if err := r.removeKnown(ctx, name, st, st.Known); err != nil {
			return err
		}
		delete(r.cur.Folders, name)
		if err := r.apply(ctx, connectors.Batch{}); err != nil {
			return err
		}
	}
	for _, name := range folders {
		if err := r.syncFolder(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

// listFolders returns the selectable folders to sync, INBOX first.
func (r *syncRun) listFolders() ([]string, error) {
	caps := r.c.Caps()
	var opts *imap.ListOptions
	if caps.Has(imap.CapSpecialUse) && caps.Has(imap.CapListExtended) {
		opts = &imap.ListOptions{ReturnSpecialUse: true}
	}
	list, err := r.c.List("", "*", opts).Collect()
	if err != nil {
		return nil, err
	}
	var names []string
	inbox := ""
	for _, mb := range list {
		if strings.EqualFold(mb.Mailbox, "INBOX") {
			inbox = mb.Mailbox
			continue
		}
		if hasAttr(mb.Attrs, imap.MailboxAttrNoSelect, imap.MailboxAttrNonExistent) || hasAttr(mb.Attrs, skippedUses...) {
			continue
		}
		names = append(names, mb.Mailbox)
	}
	sort.Strings(names)
	if inbox == "" {
		inbox = "INBOX"
	}
	return append([]string{inbox}, names...), nil
}

func hasAttr(attrs []imap.MailboxAttr, want ...imap.MailboxAttr) bool {
	for _, a := range attrs {
		for _, w := range want {
			if strings.EqualFold(string(a), string(w)) {
				return true
			}
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// syncFolder brings one folder up to date: expunged messages, flag
// changes (with CONDSTORE), then new messages, in batches.
func (r *syncRun) syncFolder(ctx context.Context, name string) error {
	sel, err := r.c.Select(name, &imap.SelectOptions{ReadOnly: true, CondStore: r.condstore}).Wait()
	if err != nil {
		return err
	}
	st := r.cur.Folders[name]
	if st != nil && st.UIDValidity != sel.UIDValidity {
		// Every UID of the old validity is void: drop them, start over.
		if err := r.removeKnown(ctx, name, st, st.Known); err != nil {
			return err
		}
		st = nil
	}
	if st == nil {
		st = &folderState{UIDValidity: sel.UIDValidity}
		r.cur.Folders[name] = st
	}
	unchanged := st.UIDNext != 0 && st.UIDNext == uint32(sel.UIDNext) &&
		uint32(st.Known.count()) == sel.NumMessages && (!r.condstore || st.ModSeq == sel.HighestModSeq)
	if unchanged {
		return nil
	}

	if st.LastUID > 0 && len(st.Known) > 0 {
		if err := r.removeExpunged(ctx, name, st); err != nil {
			return err
		}
	}
	if r.condstore && st.ModSeq > 0 && sel.HighestModSeq > st.ModSeq && st.LastUID > 0 {
		changed, err := r.changedSince(st)
		if err != nil {
			return err
		}
		if err := r.fetchAndApply(ctx, name, st, changed, nil); err != nil {
			return err
		}
	}
	fresh, err := r.newUIDs(st)
	if err != nil {
		return err
	}
	finish := func() {
		st.UIDNext = uint32(sel.UIDNext)
		if r.condstore {
			st.ModSeq = sel.HighestModSeq
		}
	}
	if len(fresh) == 0 {
		finish()
		return r.apply(ctx, connectors.Batch{})
	}
	return r.fetchAndApply(ctx, name, st, fresh, finish)
}

// removeExpunged finds synced UIDs no longer on the server.
func (r *syncRun) removeExpunged(ctx context.Context, name string, st *folderState) error {
	var opts *imap.SearchOptions
	if r.c.Caps().Has(imap.CapESearch) {
		opts = &imap.SearchOptions{ReturnAll: true}
	}
	data, err := r.c.UIDSearch(&imap.SearchCriteria{
		UID: []imap.UIDSet{{imap.UIDRange{Start: 1, Stop: imap.UID(st.LastUID)}}},
	}, opts).Wait()
	if err != nil {
		return err
	}
	var server imap.UIDSet
	if set, ok := data.All.(imap.UIDSet); ok {
		server = set
	} else {
		server = imap.UIDSetNum(data.AllUIDs()...)
	}
	var gone uidRanges
	st.Known.each(func(u uint32) {
		if !server.Contains(imap.UID(u)) {
			gone.add(u)
		}
	})
	return r.removeKnown(ctx, name, st, gone)
}

// removeKnown reports uids of st as removed, in chunks, each chunk's
// batch carrying the cursor without them.
func (r *syncRun) removeKnown(ctx context.Context, name string, st *folderState, uids uidRanges) error {
	var chunk []uint32
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		st.Known.remove(chunk)
		b := connectors.Batch{Removed: make([]string, len(chunk))}
		for i, u := range chunk {
			b.Removed[i] = resource(name, st.UIDValidity, u)
		}
		chunk = chunk[:0]
		return r.apply(ctx, b)
	}
	var err error
	uids = append(uidRanges(nil), uids...) // st.Known may be uids itself
	uids.each(func(u uint32) {
		if err != nil {
			return
		}
		chunk = append(chunk, u)
		if len(chunk) == removeChunk {
			err = flush()
		}
	})
	if err != nil {
		return err
	}
	return flush()
}

// changedSince lists synced UIDs whose flags changed after st.ModSeq.
func (r *syncRun) changedSince(st *folderState) ([]uint32, error) {
	cmd := r.c.Fetch(imap.UIDSet{imap.UIDRange{Start: 1, Stop: imap.UID(st.LastUID)}},
		&imap.FetchOptions{UID: true, ChangedSince: st.ModSeq})
	defer cmd.Close()
	var uids []uint32
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		buf, err := msg.Collect()
		if err != nil {
			return nil, err
		}
		if st.Known.contains(uint32(buf.UID)) {
			uids = append(uids, uint32(buf.UID))
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, err
	}
	sort.Slice(uids, func(i, j int) bool { return uids[i] < uids[j] })
	return uids, nil
}

// newUIDs lists the UIDs above the last one synced.
func (r *syncRun) newUIDs(st *folderState) ([]uint32, error) {
	data, err := r.c.UIDSearch(&imap.SearchCriteria{
		UID: []imap.UIDSet{{imap.UIDRange{Start: imap.UID(st.LastUID + 1), Stop: 0}}},
	}, nil).Wait()
	if err != nil {
		return nil, err
	}
	var uids []uint32
	for _, u := range data.AllUIDs() {
		if uint32(u) > st.LastUID { // "n:*" matches the last message even below n
			uids = append(uids, uint32(u))
		}
	}
	sort.Slice(uids, func(i, j int) bool { return uids[i] < uids[j] })
	return uids, nil
}

// fetchAndApply fetches uids in batches and applies each with the cursor
// that follows it; before the last batch, finish (if any) updates st.
func (r *syncRun) fetchAndApply(ctx context.Context, name string, st *folderState, uids []uint32, finish func()) error {
	for start := 0; start < len(uids); start += r.s.batchSize {
		chunk := uids[start:min(start+r.s.batchSize, len(uids))]
		mails, err := r.fetch(name, st.UIDValidity, chunk)
		if err != nil {
			return err
		}
		for _, m := range mails {
			st.Known.add(m.uid)
		}
		if last := chunk[len(chunk)-1]; last > st.LastUID {
			st.LastUID = last
		}
		if start+r.s.batchSize >= len(uids) && finish != nil {
			finish()
		}
		b := connectors.Batch{Mail: make([]connectors.Mail, len(mails))}
		for i, m := range mails {
			b.Mail[i] = m.Mail
		}
		if err := r.apply(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

type fetched struct {
	connectors.Mail
	uid uint32
}

// fetch reads the given messages one at a time off the wire: flags, size,
// date and at most maxFetch bytes of the message, never setting \Seen.
func (r *syncRun) fetch(folder string, validity uint32, uids []uint32) ([]fetched, error) {
	set := imap.UIDSet{}
	for _, u := range uids {
		set.AddNum(imap.UID(u))
	}
	section := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: r.s.maxFetch}}
	cmd := r.c.Fetch(set, &imap.FetchOptions{
		UID: true, Flags: true, RFC822Size: true, InternalDate: true,
		BodySection: []*imap.FetchItemBodySection{section},
	})
	defer cmd.Close()
	var out []fetched
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		f, err := r.readMessage(msg, folder, validity)
		if err != nil {
			return nil, err
		}
		if f.uid != 0 {
			out = append(out, f)
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].uid < out[j].uid })
	return out, nil
}

func (r *syncRun) readMessage(msg *imapclient.FetchMessageData, folder string, validity uint32) (fetched, error) {
	var (
		f     fetched
		raw   []byte
		size  int64
		flags []imap.Flag
		date  time.Time
	)
	for item := msg.Next(); item != nil; item = msg.Next() {
		switch item := item.(type) {
		case imapclient.FetchItemDataUID:
			f.uid = uint32(item.UID)
		case imapclient.FetchItemDataFlags:
			flags = item.Flags
		case imapclient.FetchItemDataRFC822Size:
			size = item.Size
		case imapclient.FetchItemDataInternalDate:
			date = item.Time
		case imapclient.FetchItemDataBodySection:
			if item.Literal != nil {
				b, err := io.ReadAll(io.LimitReader(item.Literal, r.s.maxFetch+1))
				if err != nil {
					return f, err
				}
				raw = b
			}
		}
	}
	if f.uid == 0 {
		return f, nil // an unsolicited FETCH (flag update) for another message
	}
	partial := size > int64(len(raw))
	f.Mail = mailparse.Parse(raw, mailparse.Options{MaxText: r.s.maxText, Partial: partial})
	f.Resource = resource(folder, validity, f.uid)
	f.Folder = folder
	if size > 0 {
		f.Size = size
	}
	if f.Date.IsZero() {
		f.Date = date.UTC()
	}
	f.Flags = make([]string, len(flags))
	for i, fl := range flags {
		f.Flags[i] = string(fl)
	}
	return f, nil
}

// apply hands a batch to the sink with the cursor as it now stands.
func (r *syncRun) apply(ctx context.Context, b connectors.Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.Cursor = r.cur.encode()
	done := 0
	for _, name := range r.folders {
		if st := r.cur.Folders[name]; st != nil {
			done += st.Known.count()
		}
	}
	b.Progress = connectors.Progress{Done: min(done, r.total), Total: r.total}
	if err := r.sink.Apply(ctx, b); err != nil {
		return sinkError{err}
	}
	return nil
}

// resource names a message stably: folder, UIDVALIDITY and UID.
func resource(folder string, validity, uid uint32) string {
	return fmt.Sprintf("%s/%d/%d", folder, validity, uid)
}

package imports

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"confidant/connectors"
	"confidant/portability/bundle"
	"confidant/store"
)

// bundleBatch is how many records of one kind are written together.
const bundleBatch = 1000

// bundleWriter applies a bundle's records in the order they come, which
// the format guarantees is an order they can be applied in.
type bundleWriter struct {
	b      *Bundles
	userID uuid.UUID
	scope  string // the source account: ids are remembered per source account
	ids    map[uuid.UUID]uuid.UUID
	kind   bundle.Kind
	batch  []bundle.Record
	links  map[uuid.UUID][]uuid.UUID // local answer → source memories it was given
	docs   map[uuid.UUID]bundle.Document
	chunks []bundle.Chunk // of one document, in order
	counts store.ImportCounts
}

func newBundleWriter(b *Bundles, userID uuid.UUID, scope string) *bundleWriter {
	return &bundleWriter{b: b, userID: userID, scope: scope, ids: map[uuid.UUID]uuid.UUID{},
		links: map[uuid.UUID][]uuid.UUID{}, docs: map[uuid.UUID]bundle.Document{}}
}

func (w *bundleWriter) now() time.Time {
	if w.b.Now != nil {
		return w.b.Now()
	}
	return time.Now()
}

// local is the id a source record gets here: its first 8 bytes (a UUIDv7's
// time and sequence, so messages keep their order, which sets the order of
// branches) and fresh random bytes, so the same bundle can go into several
// accounts of one deployment.
func (w *bundleWriter) local(src uuid.UUID) uuid.UUID {
	if id, ok := w.ids[src]; ok {
		return id
	}
	var id uuid.UUID
	copy(id[:8], src[:8])
	_, _ = rand.Read(id[8:])
	id[8] = id[8]&0x3f | 0x80 // RFC 9562 variant
	w.ids[src] = id
	return id
}

func (w *bundleWriter) ref(kind string, id uuid.UUID) store.ImportRef {
	return store.ImportRef{Source: "confidant", Kind: kind, Scope: w.scope, ExternalID: id.String()}
}

// known looks up which of ids were imported before and maps them to the
// records they became.
func (w *bundleWriter) known(ctx context.Context, kind string, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	refs := make([]store.ImportRef, len(ids))
	for i, id := range ids {
		refs[i] = w.ref(kind, id)
	}
	found, err := w.b.Store.ImportedIDs(ctx, w.userID, refs)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]bool, len(found))
	for i, id := range ids {
		if local, ok := found[refs[i]]; ok {
			w.ids[id] = local
			out[id] = true
		}
	}
	return out, nil
}

func (w *bundleWriter) add(ctx context.Context, rec bundle.Record) error {
	if rec.Kind != w.kind || len(w.batch) >= bundleBatch {
		if err := w.flush(ctx); err != nil {
			return err
		}
		w.kind = rec.Kind
	}
	switch rec.Kind {
	case bundle.KindConversation, bundle.KindMessage, bundle.KindMemory, bundle.KindCollection:
		w.batch = append(w.batch, rec)
	case bundle.KindDocument:
		return w.document(ctx, *rec.Document)
	case bundle.KindChunk:
		if len(w.chunks) > 0 && w.chunks[0].DocumentID != rec.Chunk.DocumentID {
			if err := w.flushChunks(ctx); err != nil {
				return err
			}
		}
		w.chunks = append(w.chunks, *rec.Chunk)
	case bundle.KindFile:
		return w.file(ctx, rec.DocumentID, rec.File)
	case bundle.KindSettings:
		return w.settings(ctx, *rec.Settings)
	case bundle.KindAPIKey, bundle.KindPasskey:
		w.counts.CredentialsSkipped++
	case bundle.KindConnector:
		return w.connector(ctx, *rec.Connector)
	}
	return nil
}

func (w *bundleWriter) flush(ctx context.Context) error {
	batch := w.batch
	w.batch = w.batch[:0]
	if err := w.flushChunks(ctx); err != nil {
		return err
	}
	if len(batch) == 0 {
		return nil
	}
	var err error
	switch w.kind {
	case bundle.KindConversation:
		err = w.conversations(ctx, batch)
	case bundle.KindMessage:
		err = w.messages(ctx, batch)
	case bundle.KindMemory:
		err = w.memories(ctx, batch)
	case bundle.KindCollection:
		err = w.collections(ctx, batch)
	}
	if err == nil && w.b.AfterFlush != nil {
		err = w.b.AfterFlush(w.kind)
	}
	return err
}

func (w *bundleWriter) conversations(ctx context.Context, recs []bundle.Record) error {
	ids := make([]uuid.UUID, len(recs))
	for i, r := range recs {
		ids[i] = r.Conversation.ID
	}
	known, err := w.known(ctx, "conversation", ids)
	if err != nil {
		return err
	}
	var b store.ImportBatch
	for _, r := range recs {
		c := r.Conversation
		if known[c.ID] {
			w.counts.ConversationsSkipped++
			continue
		}
		id := w.local(c.ID)
		var leaf *uuid.UUID
		if c.CurrentLeaf != nil {
			l := w.local(*c.CurrentLeaf)
			leaf = &l
		}
		b.Conversations = append(b.Conversations, store.Conversation{ID: id, UserID: w.userID, Title: c.Title, Model: c.Model,
			Pinned: c.Pinned, Archived: c.Archived, CurrentLeaf: leaf, Temporary: c.Temporary, Documents: w.documentScope(c.Documents),
			CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt})
		b.Items = append(b.Items, store.ImportItem{Ref: w.ref("conversation", c.ID), LocalID: id})
		w.counts.Conversations++
	}
	return w.b.Store.WriteImportBatch(ctx, w.userID, b, nil)
}

// documentScope maps a conversation's document scope to this account's ids.
func (w *bundleWriter) documentScope(s string) string {
	if s == "" || s == "all" {
		return s
	}
	if rest, ok := strings.CutPrefix(s, "collection:"); ok {
		if id, err := uuid.Parse(rest); err == nil {
			return "collection:" + w.local(id).String()
		}
		return ""
	}
	if id, err := uuid.Parse(s); err == nil {
		return w.local(id).String()
	}
	return ""
}

func (w *bundleWriter) messages(ctx context.Context, recs []bundle.Record) error {
	ids := make([]uuid.UUID, len(recs))
	for i, r := range recs {
		ids[i] = r.Message.ID
	}
	known, err := w.known(ctx, "message", ids)
	if err != nil {
		return err
	}
	var b store.ImportBatch
	for _, r := range recs {
		m := r.Message
		if known[m.ID] {
			w.counts.MessagesSkipped++
			continue
		}
		conv, ok := w.ids[m.ConversationID]
		if !ok {
			return fmt.Errorf("bundle message of a conversation not imported")
		}
		id := w.local(m.ID)
		var parent *uuid.UUID
		if m.ParentID != nil {
			p := w.local(*m.ParentID)
			parent = &p
		}
		status := m.State
		if status == store.StatusStreaming || status == "" {
			status = store.StatusInterrupted
		}
		b.Messages = append(b.Messages, store.Message{ID: id, ConversationID: conv, UserID: w.userID, ParentID: parent, Role: m.Role,
			Content: m.Content, Status: status, Model: m.Model, ErrorCode: m.ErrorCode, CreatedAt: m.CreatedAt})
		b.Items = append(b.Items, store.ImportItem{Ref: w.ref("message", m.ID), LocalID: id})
		w.counts.Messages++
	}
	if err := w.b.Store.WriteImportBatch(ctx, w.userID, b, nil); err != nil {
		return err
	}
	// Verdicts, signed texts and memory links go to every message, new or
	// found from an import cut off before it wrote them; each write is
	// idempotent.
	for _, r := range recs {
		m := r.Message
		id := w.ids[m.ID]
		if v := m.Verification; v != nil {
			av := store.AnswerVerification{State: v.State, Reason: v.Reason, Backend: v.Backend, SigningAddress: v.SigningAddress,
				SigningAlgo: v.SigningAlgo, Signature: v.Signature, Text: v.Text, CheckedAt: v.CheckedAt, ReportVerifiedAt: v.ReportVerifiedAt,
				ReportState: v.ReportState, ReportFacts: v.ReportFacts, Simulated: v.Simulated}
			for _, c := range v.ReportChecks {
				av.ReportChecks = append(av.ReportChecks, store.ReportCheck{Name: c.Name, Status: c.Status, Detail: c.Detail})
			}
			if err := w.b.Store.SaveAnswerVerification(ctx, w.userID, id, av); err != nil {
				return err
			}
		}
		if m.SignedText != "" {
			if err := w.b.Store.SaveSignedText(ctx, w.userID, id, m.SignedText, m.CreatedAt); err != nil {
				return err
			}
		}
		if len(m.MemoryIDs) > 0 {
			w.links[id] = m.MemoryIDs
		}
	}
	return nil
}

func (w *bundleWriter) embedModel() string {
	if w.b.EmbedModel == "" {
		return "sim-embed"
	}
	return w.b.EmbedModel
}

func (w *bundleWriter) memories(ctx context.Context, recs []bundle.Record) error {
	ids := make([]uuid.UUID, len(recs))
	for i, r := range recs {
		ids[i] = r.Memory.ID
	}
	known, err := w.known(ctx, "memory", ids)
	if err != nil {
		return err
	}
	var fresh []*bundle.Memory
	var texts []string
	for _, r := range recs {
		if known[r.Memory.ID] {
			w.counts.MemoriesSkipped++
			continue
		}
		fresh = append(fresh, r.Memory)
		texts = append(texts, r.Memory.Text)
	}
	if len(fresh) == 0 {
		return nil
	}
	if w.b.Embedder == nil {
		w.counts.MemoriesSkipped += len(fresh)
		return nil
	}
	vecs, err := w.b.Embedder.Embed(ctx, w.embedModel(), texts)
	if err != nil {
		return fmt.Errorf("embed imported memories: %w", err)
	}
	if len(vecs) != len(fresh) {
		return fmt.Errorf("embed imported memories: %d vectors for %d texts", len(vecs), len(fresh))
	}
	return w.b.Store.InTx(ctx, func(tx *store.Store) error {
		var items []store.ImportItem
		for i, m := range fresh {
			mem := store.Memory{ID: w.local(m.ID), UserID: w.userID, Text: m.Text, Kind: m.Kind, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, LastUsedAt: m.LastUsedAt}
			if mem.Kind == "" {
				mem.Kind = store.MemoryManual
			}
			if m.SourceConversationID != nil {
				if id, ok := w.ids[*m.SourceConversationID]; ok {
					mem.SourceConversationID = &id
				}
			}
			if m.SourceMessageID != nil {
				if id, ok := w.ids[*m.SourceMessageID]; ok {
					mem.SourceMessageID = &id
				}
			}
			if err := tx.CreateMemory(ctx, mem, vecs[i]); err != nil {
				return err
			}
			items = append(items, store.ImportItem{Ref: w.ref("memory", m.ID), LocalID: mem.ID})
		}
		w.counts.Memories += len(fresh)
		return tx.RecordImportItems(ctx, w.userID, items)
	})
}

func (w *bundleWriter) collections(ctx context.Context, recs []bundle.Record) error {
	ids := make([]uuid.UUID, len(recs))
	for i, r := range recs {
		ids[i] = r.Collection.ID
	}
	known, err := w.known(ctx, "collection", ids)
	if err != nil {
		return err
	}
	return w.b.Store.InTx(ctx, func(tx *store.Store) error {
		var items []store.ImportItem
		for _, r := range recs {
			c := r.Collection
			if known[c.ID] {
				w.counts.CollectionsSkipped++
				continue
			}
			id := w.local(c.ID)
			if err := tx.CreateCollection(ctx, store.Collection{ID: id, UserID: w.userID, Name: c.Name, CreatedAt: c.CreatedAt}); err != nil {
				return err
			}
			items = append(items, store.ImportItem{Ref: w.ref("collection", c.ID), LocalID: id})
			w.counts.Collections++
		}
		return tx.RecordImportItems(ctx, w.userID, items)
	})
}

func (w *bundleWriter) settings(ctx context.Context, s bundle.Settings) error {
	now := w.now()
	if s.Instructions != "" {
		if err := w.b.Store.SetInstructions(ctx, w.userID, s.Instructions, now); err != nil {
			return err
		}
		w.counts.Settings++
	}
	if s.MemoryPaused {
		if err := w.b.Store.SetMemoryPaused(ctx, w.userID, true, now); err != nil {
			return err
		}
		w.counts.Settings++
	}
	return nil
}

// finish writes what waits for the end: the last batch, documents ready
// without passages, and which memories each answer was given.
func (w *bundleWriter) finish(ctx context.Context) error {
	if err := w.flush(ctx); err != nil {
		return err
	}
	for _, d := range w.docs {
		if d.File == "" && d.Status == store.DocumentReady {
			if err := w.readyDocument(ctx, d, nil); err != nil {
				return err
			}
		} else {
			w.counts.DocumentsSkipped++ // its original never came
		}
	}
	for msg, mems := range w.links {
		var local []uuid.UUID
		for _, m := range mems {
			if id, ok := w.ids[m]; ok {
				local = append(local, id)
			}
		}
		if err := w.b.Store.LinkMessageMemories(ctx, w.userID, msg, local); err != nil {
			return err
		}
	}
	return nil
}

// connector connects again a mail or calendar account whose credentials
// travelled (the person opted in at export): here it is validated and
// dialled under this deployment's own network policy, and syncs afresh.
// One without credentials, or one this deployment refuses, is counted for
// the person to connect again.
func (w *bundleWriter) connector(ctx context.Context, c bundle.Connector) error {
	if w.b.Connect == nil || len(c.Credentials) == 0 {
		w.counts.ConnectorsSkipped++
		return nil
	}
	known, err := w.known(ctx, "connector", []uuid.UUID{c.ID})
	if err != nil {
		return err
	}
	if known[c.ID] {
		w.counts.ConnectorsKnown++
		return nil
	}
	var s connectors.Settings
	if len(c.Settings) > 0 {
		if err := json.Unmarshal(c.Settings, &s); err != nil {
			w.counts.ConnectorsSkipped++
			return nil
		}
	}
	if err := json.Unmarshal(c.Credentials, &s); err != nil {
		w.counts.ConnectorsSkipped++
		return nil
	}
	s.Kind = connectors.Kind(c.Kind)
	id, err := w.b.Connect(ctx, w.userID, s)
	if err != nil {
		w.counts.ConnectorsSkipped++
		return nil //nolint:nilerr // the person connects it again; the rest of the bundle goes on
	}
	w.counts.Connectors++
	return w.b.Store.RecordImportItems(ctx, w.userID, []store.ImportItem{{Ref: w.ref("connector", c.ID), LocalID: id}})
}

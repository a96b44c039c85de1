package imports

import (
	"context"

	"github.com/google/uuid"

	"confidant/portability/importer"
	"confidant/store"
)

// batcher gathers conversations until a batch is full, then writes what
// of them is new in one transaction with the import's progress.
type batcher struct {
	svc      *Service
	userID   uuid.UUID
	source   string
	importID *uuid.UUID
	pending  []importer.Conversation
	messages int
	position int // conversations handled once pending is written
	counts   store.ImportCounts
}

// writeConversations writes f's conversations from index start on.
func (s *Service) writeConversations(ctx context.Context, userID uuid.UUID, f *importer.File, importID *uuid.UUID, start int, counts store.ImportCounts) (store.ImportCounts, error) {
	b := &batcher{svc: s, userID: userID, source: string(f.Format), importID: importID, position: start, counts: counts}
	err := f.Each(func(i int, c importer.Conversation) error {
		if i < start {
			return nil
		}
		b.pending = append(b.pending, c)
		b.messages += len(c.Messages)
		b.position = i + 1
		if b.messages >= s.opt.BatchMessages {
			return b.flush(ctx)
		}
		return nil
	})
	if err != nil {
		return store.ImportCounts{}, err
	}
	if err := b.flush(ctx); err != nil {
		return store.ImportCounts{}, err
	}
	return b.counts, nil
}

func (b *batcher) convRef(c importer.Conversation) store.ImportRef {
	return store.ImportRef{Source: b.source, Kind: "conversation", ExternalID: c.ExternalID}
}

func (b *batcher) msgRef(c importer.Conversation, m importer.Message) store.ImportRef {
	return store.ImportRef{Source: b.source, Kind: "message", Scope: c.ExternalID, ExternalID: m.ExternalID}
}

// flush writes the pending conversations: new ones whole, known ones only
// their new messages, and nothing twice.
func (b *batcher) flush(ctx context.Context) error {
	if len(b.pending) == 0 && b.importID == nil {
		return nil
	}
	var refs []store.ImportRef
	for _, c := range b.pending {
		refs = append(refs, b.convRef(c))
		for _, m := range c.Messages {
			refs = append(refs, b.msgRef(c, m))
		}
	}
	known, err := b.svc.store.ImportedIDs(ctx, b.userID, refs)
	if err != nil {
		return err
	}
	counts := b.counts
	var batch store.ImportBatch
	assign := func(ref store.ImportRef) (uuid.UUID, bool, error) {
		if id, ok := known[ref]; ok {
			return id, false, nil
		}
		id, err := uuid.NewV7()
		if err != nil {
			return uuid.Nil, false, err
		}
		known[ref] = id // a duplicate later in the batch finds it
		batch.Items = append(batch.Items, store.ImportItem{Ref: ref, LocalID: id})
		return id, true, nil
	}
	for _, c := range b.pending {
		if len(c.Messages) == 0 {
			counts.ConversationsEmpty++
			continue
		}
		convID, isNew, err := assign(b.convRef(c))
		if err != nil {
			return err
		}
		local := make(map[string]uuid.UUID, len(c.Messages))
		added := 0
		for _, m := range c.Messages {
			id, isNewMsg, err := assign(b.msgRef(c, m))
			if err != nil {
				return err
			}
			local[m.ExternalID] = id
			if !isNewMsg {
				counts.MessagesSkipped++
				continue
			}
			var parent *uuid.UUID
			if m.ParentID != "" {
				p := local[m.ParentID]
				parent = &p
			}
			batch.Messages = append(batch.Messages, store.Message{ID: id, ConversationID: convID, UserID: b.userID, ParentID: parent,
				Role: m.Role, Content: m.Text, Status: store.StatusComplete, Model: m.Model, CreatedAt: m.CreatedAt})
			added++
		}
		counts.Messages += added
		var leaf *uuid.UUID
		if id, ok := local[c.CurrentLeaf]; ok {
			leaf = &id
		}
		switch {
		case isNew:
			counts.Conversations++
			batch.Conversations = append(batch.Conversations, store.Conversation{ID: convID, UserID: b.userID, Title: c.Title,
				Model: c.Model, Pinned: c.Pinned, Archived: c.Archived, CurrentLeaf: leaf, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt})
		case added > 0:
			counts.ConversationsSkipped++
			batch.Tips = append(batch.Tips, store.ConversationTip{ConversationID: convID, Leaf: leaf, UpdatedAt: c.UpdatedAt})
		default:
			counts.ConversationsSkipped++
		}
	}
	var progress *store.ImportProgress
	if b.importID != nil {
		progress = &store.ImportProgress{ImportID: *b.importID, Position: b.position, Counts: counts}
	}
	if err := b.svc.store.WriteImportBatch(ctx, b.userID, batch, progress); err != nil {
		return err
	}
	b.counts, b.pending, b.messages = counts, b.pending[:0], 0
	if b.svc.opt.AfterBatch != nil {
		return b.svc.opt.AfterBatch(b.position)
	}
	return nil
}

// Package exporter streams one user's whole account from the store into a
// bundle, from one consistent snapshot and in constant memory.
package exporter

import (
	"context"
	"fmt"
	"io"
	"time"

	"filippo.io/age"
	"github.com/google/uuid"

	"confidant/portability/bundle"
	"confidant/store"
)

// Exporter reads accounts from a store. Source names this Confidant in
// each manifest.
type Exporter struct {
	Store  *store.Store
	Source bundle.Source
	Now    func() time.Time
	// Page is how many conversations are read per round trip (default 200).
	Page int
}

// Options are the choices of one export.
type Options struct {
	// ConnectorCredentials includes connector passwords and tokens; the
	// user opted in.
	ConnectorCredentials bool
	// Progress, when set, hears how far the export is, every few hundred
	// records and once at the end.
	Progress func(Progress)
}

// Progress counts records (and document files) written against the total
// counted at the start.
type Progress struct {
	Done, Total int64
}

// progressEvery is how many records pass between two Progress calls.
const progressEvery = 500

// Manifest returns the manifest of an export of the user's account.
func (e *Exporter) Manifest(ctx context.Context, userID uuid.UUID, opts Options) (bundle.Manifest, error) {
	u, err := e.Store.UserByID(ctx, userID)
	if err != nil {
		return bundle.Manifest{}, fmt.Errorf("export manifest: %w", err)
	}
	return bundle.Manifest{
		CreatedAt:            e.now(),
		Source:               e.Source,
		User:                 bundle.User{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, CreatedAt: u.CreatedAt},
		ConnectorCredentials: opts.ConnectorCredentials,
	}, nil
}

// ExportEncrypted writes the user's whole account to dst as a bundle
// encrypted with age to the recipient, and closes the bundle. After an
// error what reached dst is an incomplete file that every reader refuses.
func (e *Exporter) ExportEncrypted(ctx context.Context, userID uuid.UUID, dst io.Writer, recipient age.Recipient, opts Options) error {
	m, err := e.Manifest(ctx, userID, opts)
	if err != nil {
		return err
	}
	w, err := bundle.NewEncryptedWriter(dst, m, recipient)
	if err != nil {
		return err
	}
	if err := e.Export(ctx, userID, w, opts); err != nil {
		// Not closed: the partial file reads as truncated, even to age.
		return err
	}
	return w.Close()
}

// Export writes every record of the user's account to w, all from one
// snapshot of the database. It does not close w. The manifest in w should
// have Options.ConnectorCredentials as opts has it.
func (e *Exporter) Export(ctx context.Context, userID uuid.UUID, w *bundle.Writer, opts Options) error {
	return e.Store.ReadSnapshot(ctx, func(snap *store.Store) error {
		counts, err := snap.AccountCounts(ctx, userID)
		if err != nil {
			return err
		}
		run := &run{ctx: ctx, user: userID, st: snap, w: w, opts: opts, total: counts.Total(), page: e.Page}
		if run.page <= 0 {
			run.page = 200
		}
		steps := []func() error{run.conversations, run.messages, run.memories, run.collections, run.documents, run.chunks,
			run.settings, run.apiKeys, run.connectors, run.passkeys, run.documentFiles}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		run.report(true)
		return nil
	})
}

func (e *Exporter) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// run is one export in progress.
type run struct {
	ctx         context.Context
	user        uuid.UUID
	st          *store.Store
	w           *bundle.Writer
	opts        Options
	page        int
	done, total int64
}

// tick counts one record and reports progress now and then; it also
// stops the export when the caller went away.
func (r *run) tick() error {
	r.done++
	if r.done%progressEvery == 0 {
		r.report(false)
		if err := r.ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) report(final bool) {
	if r.opts.Progress == nil {
		return
	}
	total := r.total
	if final || r.done > total {
		total = max(total, r.done)
	}
	r.opts.Progress(Progress{Done: r.done, Total: total})
}

// eachConversationPage walks the user's conversations in keyset pages.
func (r *run) eachConversationPage(fn func([]store.Conversation) error) error {
	after := uuid.Nil
	for {
		page, err := r.st.ConversationsAfter(r.ctx, r.user, after, r.page)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		if err := fn(page); err != nil {
			return err
		}
		after = page[len(page)-1].ID
	}
}

func (r *run) conversations() error {
	return r.eachConversationPage(func(page []store.Conversation) error {
		for _, c := range page {
			err := r.w.WriteConversation(bundle.Conversation{ID: c.ID, Title: c.Title, Model: c.Model, Pinned: c.Pinned, Archived: c.Archived,
				Temporary: c.Temporary, CurrentLeaf: c.CurrentLeaf, Documents: c.Documents, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt})
			if err != nil {
				return err
			}
			if err := r.tick(); err != nil {
				return err
			}
		}
		return nil
	})
}

// messages writes each conversation's messages, a parent before its
// children: ids of new messages grow with time, so that is id order, and
// a message whose parent has not come yet waits for it.
func (r *run) messages() error {
	return r.eachConversationPage(func(page []store.Conversation) error {
		ids := make([]uuid.UUID, len(page))
		for i, c := range page {
			ids[i] = c.ID
		}
		var order parentOrder
		current := uuid.Nil
		err := r.st.EachConversationMessages(r.ctx, r.user, ids, func(m store.ExportedMessage) error {
			if m.ConversationID != current {
				if err := order.flush(r.writeMessage); err != nil {
					return err
				}
				order, current = parentOrder{}, m.ConversationID
			}
			return order.add(m, r.writeMessage)
		})
		if err != nil {
			return err
		}
		return order.flush(r.writeMessage)
	})
}

func (r *run) writeMessage(m store.ExportedMessage) error {
	rec := bundle.Message{ID: m.ID, ConversationID: m.ConversationID, ParentID: m.ParentID, Role: m.Role, Content: m.Content,
		Model: m.Model, State: m.Status, ErrorCode: m.ErrorCode, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt,
		SignedText: m.SignedText, MemoryIDs: m.MemoryIDs}
	if len(rec.MemoryIDs) == 0 {
		rec.MemoryIDs = nil
	}
	if v := m.Verification; v != nil {
		bv := bundle.Verification{State: v.State, Reason: v.Reason, Backend: v.Backend, SigningAddress: v.SigningAddress,
			SigningAlgo: v.SigningAlgo, Signature: v.Signature, Text: v.Text, CheckedAt: v.CheckedAt, ReportVerifiedAt: v.ReportVerifiedAt,
			ReportState: v.ReportState, ReportFacts: v.ReportFacts, Simulated: v.Simulated}
		for _, c := range v.ReportChecks {
			bv.ReportChecks = append(bv.ReportChecks, bundle.ReportCheck{Name: c.Name, Status: c.Status, Detail: c.Detail})
		}
		rec.Verification = &bv
	}
	if err := r.w.WriteMessage(rec); err != nil {
		return err
	}
	return r.tick()
}

func (r *run) memories() error {
	return r.st.EachMemory(r.ctx, r.user, func(m store.Memory) error {
		err := r.w.WriteMemory(bundle.Memory{ID: m.ID, Text: m.Text, Kind: m.Kind, SourceConversationID: m.SourceConversationID,
			SourceMessageID: m.SourceMessageID, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, LastUsedAt: m.LastUsedAt})
		if err != nil {
			return err
		}
		return r.tick()
	})
}

func (r *run) collections() error {
	list, err := r.st.Collections(r.ctx, r.user) // a handful per user
	if err != nil {
		return err
	}
	for _, c := range list {
		if err := r.w.WriteCollection(bundle.Collection{ID: c.ID, Name: c.Name, CreatedAt: c.CreatedAt}); err != nil {
			return err
		}
		if err := r.tick(); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) documents() error {
	return r.st.EachDocument(r.ctx, r.user, func(d store.ExportedDocument) error {
		rec := bundle.Document{ID: d.ID, Name: d.Name, Kind: d.Kind, SizeBytes: d.Size, Status: d.Status, ErrorCode: d.ErrorCode,
			CollectionID: d.CollectionID, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
		if d.HasFile {
			rec.File = bundle.DocumentFileName(d.ID)
		}
		if err := r.w.WriteDocument(rec); err != nil {
			return err
		}
		return r.tick()
	})
}

func (r *run) chunks() error {
	return r.st.EachChunk(r.ctx, r.user, func(c store.Chunk) error {
		if err := r.w.WriteChunk(bundle.Chunk{ID: c.ID, DocumentID: c.DocumentID, Ordinal: c.Ordinal, Heading: c.Heading, Text: c.Text}); err != nil {
			return err
		}
		return r.tick()
	})
}

func (r *run) documentFiles() error {
	return r.st.EachDocumentFile(r.ctx, r.user, func(id uuid.UUID, content []byte) error {
		if err := r.w.WriteDocumentFile(id, int64(len(content)), bytesReader(content)); err != nil {
			return err
		}
		return r.tick()
	})
}

func (r *run) settings() error {
	instructions, err := r.st.Instructions(r.ctx, r.user)
	if err != nil {
		return err
	}
	paused, err := r.st.MemoryPaused(r.ctx, r.user)
	if err != nil {
		return err
	}
	at, err := r.st.SettingsUpdatedAt(r.ctx, r.user)
	if err != nil {
		return err
	}
	return r.w.WriteSettings(bundle.Settings{Instructions: instructions, MemoryPaused: paused, UpdatedAt: at})
}

func (r *run) apiKeys() error {
	keys, err := r.st.APIKeys(r.ctx, r.user)
	if err != nil {
		return err
	}
	for _, k := range keys {
		// Never the secret's hash: only what names the key.
		if err := r.w.WriteAPIKey(bundle.APIKey{ID: k.ID, Name: k.Name, Scopes: k.Scopes, CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt}); err != nil {
			return err
		}
		if err := r.tick(); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) connectors() error {
	list, err := r.st.ExportConnectors(r.ctx, r.user)
	if err != nil {
		return err
	}
	for _, c := range list {
		settings, credentials, err := SplitConnectorSettings(c.Settings)
		if err != nil {
			return fmt.Errorf("export connector %s: %w", c.ID, err)
		}
		rec := bundle.Connector{ID: c.ID, Kind: c.Kind, Name: c.Name, Settings: settings, CreatedAt: c.CreatedAt}
		if r.opts.ConnectorCredentials {
			rec.Credentials = credentials
		}
		if err := r.w.WriteConnector(rec); err != nil {
			return err
		}
		if err := r.tick(); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) passkeys() error {
	list, err := r.st.PasskeysByUser(r.ctx, r.user)
	if err != nil {
		return err
	}
	for _, p := range list {
		c := p.Credential
		rec := bundle.Passkey{ID: p.ID, Name: p.Name, CredentialID: c.ID, PublicKey: c.PublicKey, AttestationType: c.AttestationType,
			AAGUID: c.Authenticator.AAGUID, SignCount: c.Authenticator.SignCount, BackupEligible: c.Flags.BackupEligible,
			BackupState: c.Flags.BackupState, CreatedAt: p.CreatedAt, LastUsedAt: p.LastUsedAt}
		for _, t := range c.Transport {
			rec.Transports = append(rec.Transports, string(t))
		}
		if err := r.w.WritePasskey(rec); err != nil {
			return err
		}
		if err := r.tick(); err != nil {
			return err
		}
	}
	return nil
}

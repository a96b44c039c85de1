package imports

import (
	"context"
	"fmt"
	"io"

	"github.com/google/uuid"

	"confidant/portability/bundle"
	"confidant/rag"
	"confidant/store"
)

// document notes a document record: a ready one waits for its passages,
// one with an original waits for the file; a failed one has nothing to
// bring back.
func (w *bundleWriter) document(ctx context.Context, d bundle.Document) error {
	known, err := w.known(ctx, "document", []uuid.UUID{d.ID})
	if err != nil {
		return err
	}
	switch {
	case known[d.ID]:
		w.counts.DocumentsSkipped++
	case d.File != "" || d.Status == store.DocumentReady:
		w.docs[d.ID] = d
	default:
		w.counts.DocumentsSkipped++
	}
	return nil
}

// flushChunks brings back one ingested document with its passages, each
// embedded again by this deployment.
func (w *bundleWriter) flushChunks(ctx context.Context) error {
	if len(w.chunks) == 0 {
		return nil
	}
	chunks := w.chunks
	w.chunks = nil
	d, ok := w.docs[chunks[0].DocumentID]
	if !ok || d.File != "" {
		return nil // skipped, or its original is ingested instead
	}
	delete(w.docs, d.ID)
	return w.readyDocument(ctx, d, chunks)
}

func (w *bundleWriter) readyDocument(ctx context.Context, d bundle.Document, chunks []bundle.Chunk) error {
	if w.b.Embedder == nil && len(chunks) > 0 {
		w.counts.DocumentsSkipped++
		return nil
	}
	out := make([]store.NewChunk, len(chunks))
	for start := 0; start < len(chunks); start += 32 {
		end := min(start+32, len(chunks))
		texts := make([]string, 0, end-start)
		for _, c := range chunks[start:end] {
			texts = append(texts, passageText(c.Heading, c.Text))
		}
		vecs, err := w.b.Embedder.Embed(ctx, w.embedModel(), texts)
		if err != nil {
			return fmt.Errorf("embed imported passages: %w", err)
		}
		if len(vecs) != len(texts) {
			return fmt.Errorf("embed imported passages: %d vectors for %d texts", len(vecs), len(texts))
		}
		for i, v := range vecs {
			c := chunks[start+i]
			id, err := uuid.NewV7()
			if err != nil {
				return err
			}
			out[start+i] = store.NewChunk{ID: id, Ordinal: c.Ordinal, Heading: c.Heading, Text: c.Text, Embedding: v}
		}
	}
	doc := store.Document{ID: w.local(d.ID), UserID: w.userID, Name: d.Name, Kind: d.Kind, Size: d.SizeBytes, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	if d.CollectionID != nil {
		if id, ok := w.ids[*d.CollectionID]; ok {
			doc.CollectionID = &id
		}
	}
	err := w.b.Store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.CreateImportedDocument(ctx, doc, out, w.now()); err != nil {
			return err
		}
		return tx.RecordImportItems(ctx, w.userID, []store.ImportItem{{Ref: w.ref("document", d.ID), LocalID: doc.ID}})
	})
	if err != nil {
		return err
	}
	w.counts.Documents++
	return nil
}

// file ingests a document's original again through the documents service,
// so this deployment chunks and embeds it.
func (w *bundleWriter) file(ctx context.Context, srcID uuid.UUID, content io.Reader) error {
	d, ok := w.docs[srcID]
	if !ok || d.File == "" {
		return nil
	}
	delete(w.docs, srcID)
	if w.b.Documents == nil {
		w.counts.DocumentsSkipped++
		return nil
	}
	data, err := io.ReadAll(content)
	if err != nil {
		return bundleError(err)
	}
	res, err := w.b.Documents.Upload(ctx, w.userID, []rag.Upload{{Name: d.Name, Content: data}})
	if err != nil {
		return err
	}
	if len(res.Files) != 1 || res.Files[0].Document == nil {
		w.counts.DocumentsSkipped++
		return nil
	}
	id := res.Files[0].Document.ID
	w.ids[srcID] = id
	err = w.b.Store.InTx(ctx, func(tx *store.Store) error {
		if d.CollectionID != nil {
			if c, ok := w.ids[*d.CollectionID]; ok {
				if err := tx.SetDocumentCollection(ctx, w.userID, id, &c); err != nil {
					return err
				}
			}
		}
		return tx.RecordImportItems(ctx, w.userID, []store.ImportItem{{Ref: w.ref("document", srcID), LocalID: id}})
	})
	if err != nil {
		return err
	}
	w.counts.Documents++
	return nil
}

// passageText is what is embedded for a passage, as rag embeds it at
// ingestion: the heading path gives a passage the context its words lack.
func passageText(heading, text string) string {
	if heading == "" {
		return text
	}
	return heading + "\n\n" + text
}

package rag

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"confidant/store"
)

// Embedder turns texts into embeddings: the inference client's
// /v1/embeddings.
type Embedder interface {
	Embed(ctx context.Context, model string, texts []string) ([][]float32, error)
}

// ErrEmbedding is what a document's owner is told when the backend could
// not embed it after every retry.
var ErrEmbedding = &FileError{"embedding_failed", "The document could not be indexed because the inference backend did not answer. Upload it again later."}

// ErrEmbeddingSize is what a document's owner is told when the embedding
// model gives vectors of another size than documents are stored with: a
// configuration problem no retry fixes.
var ErrEmbeddingSize = &FileError{"embedding_size", fmt.Sprintf("The document could not be indexed: the embedding model does not give %d-dimension vectors. The operator must set CONFIDANT_EMBED_MODEL to such a model.", store.EmbeddingDims)}

// Ingester turns one stored upload into searchable chunks.
type Ingester struct {
	Store     *store.Store
	Embedder  Embedder
	Model     string // embedding model, e.g. sim-embed
	BatchSize int    // texts per /v1/embeddings request
	Chunking  ChunkOptions
	Now       func() time.Time
	Log       *slog.Logger
}

// Ingest extracts, chunks and embeds a queued document, then stores every
// chunk at once. A problem with the file itself marks the document failed
// with a message for its owner and returns nil (retrying cannot help);
// other errors are returned so the job is retried. A document that is gone
// (deleted meanwhile, or already done) is not an error.
func (in *Ingester) Ingest(ctx context.Context, userID, docID uuid.UUID) error {
	content, err := in.Store.DocumentContent(ctx, userID, docID, in.Now())
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrUserDeleted) {
		return nil // the document or its owner is gone: nothing to do
	}
	if err != nil {
		return err
	}
	doc, err := in.Store.Document(ctx, userID, docID)
	if err != nil {
		return err
	}
	blocks, err := Extract(doc.Kind, content)
	if err != nil {
		return in.fail(ctx, userID, docID, err)
	}
	passages := Chunk(blocks, in.Chunking)
	if err := in.Store.SetDocumentProgress(ctx, userID, docID, 0, len(passages), in.Now()); err != nil {
		return err
	}
	chunks := make([]store.NewChunk, len(passages))
	batch := max(in.BatchSize, 1)
	for start := 0; start < len(passages); start += batch {
		end := min(start+batch, len(passages))
		texts := make([]string, 0, end-start)
		for _, p := range passages[start:end] {
			texts = append(texts, embeddingText(p))
		}
		vecs, err := in.Embedder.Embed(ctx, in.Model, texts)
		if err != nil {
			return fmt.Errorf("embed document chunks: %w", err)
		}
		if len(vecs) > 0 && len(vecs[0]) != store.EmbeddingDims {
			in.Log.Error("embedding model gives vectors of the wrong size", "model", in.Model, "dims", len(vecs[0]), "want", store.EmbeddingDims)
			return in.fail(ctx, userID, docID, ErrEmbeddingSize)
		}
		for i, v := range vecs {
			n := start + i
			id, err := uuid.NewV7()
			if err != nil {
				return err
			}
			chunks[n] = store.NewChunk{ID: id, Ordinal: n, Heading: passages[n].Heading, Text: passages[n].Text, Embedding: v}
		}
		if err := in.Store.SetDocumentProgress(ctx, userID, docID, end, len(passages), in.Now()); err != nil {
			return err
		}
	}
	if err := in.Store.CompleteDocument(ctx, userID, docID, chunks, in.Now()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil // deleted while it was embedded
		}
		return err
	}
	in.Log.Info("document ingested", "document", docID, "chunks", len(chunks))
	return nil
}

// fail records a file problem on the document; other errors go back to be
// retried.
func (in *Ingester) fail(ctx context.Context, userID, docID uuid.UUID, cause error) error {
	var fe *FileError
	if !errors.As(cause, &fe) {
		return cause
	}
	in.Log.Info("document refused", "document", docID, "code", fe.Code)
	if err := in.Store.FailDocument(ctx, userID, docID, fe.Code, fe.Message, in.Now()); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// embeddingText is what is embedded for a passage: its heading path gives
// a passage the context its own words may lack.
func embeddingText(p Passage) string {
	if p.Heading == "" {
		return p.Text
	}
	return p.Heading + "\n\n" + p.Text
}

// Package memory is the assistant's long-term memory: short, durable facts
// about the user, kept sealed in the store. It adds facts the user asks it
// to remember and facts extracted after an answer, merges a new fact into
// a near-duplicate instead of piling up copies (the newer wording wins, so
// what changed is updated), and finds the memories relevant to a message by
// embedding similarity with a small bonus for recent ones.
package memory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"confidant/store"
)

// MaxLen is the longest memory, in characters.
const MaxLen = 500

// Person-facing refusals.
var (
	ErrEmpty   = errors.New("memory: a memory needs some text")
	ErrTooLong = fmt.Errorf("memory: a memory is at most %d characters", MaxLen)
)

// Embedder turns texts into embedding vectors with model (the inference
// client).
type Embedder interface {
	Embed(ctx context.Context, model string, texts []string) ([][]float32, error)
}

// Options tune a Service; zero values take the defaults.
type Options struct {
	// MergeAbove is the cosine similarity above which a new fact replaces
	// an existing one instead of being added (default 0.9).
	MergeAbove float64
	// RelevantAbove is the least similarity for a memory to be used for a
	// message (default 0.2; embedding models differ, so it is low and k does
	// the rest).
	RelevantAbove float64
	// EmbedModel is the embedding model (default sim-embed).
	EmbedModel string
	Now        func() time.Time
	Log        *slog.Logger
}

// Service manages users' memories.
type Service struct {
	store *store.Store
	embed Embedder
	opt   Options
}

// New returns a Service over st, embedding with embed.
func New(st *store.Store, embed Embedder, opt Options) *Service {
	if opt.MergeAbove == 0 {
		opt.MergeAbove = 0.9
	}
	if opt.RelevantAbove == 0 {
		opt.RelevantAbove = 0.2
	}
	if opt.EmbedModel == "" {
		opt.EmbedModel = "sim-embed"
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: st, embed: embed, opt: opt}
}

// Source says where a memory came from.
type Source struct {
	Kind           string // store.MemoryExplicit, MemoryAutomatic or MemoryManual
	ConversationID *uuid.UUID
	MessageID      *uuid.UUID
}

// Added is the outcome of Add.
type Added struct {
	Memory store.Memory
	Merged bool // an existing memory was updated instead
}

// Add remembers text for the user, or, when a memory says nearly the same
// thing, updates that one with the new wording.
func (s *Service) Add(ctx context.Context, userID uuid.UUID, text string, src Source) (Added, error) {
	text, err := clean(text)
	if err != nil {
		return Added{}, err
	}
	vec, err := s.embedOne(ctx, text)
	if err != nil {
		return Added{}, err
	}
	now := s.opt.Now()
	near, err := s.store.NearestMemories(ctx, userID, vec, 1)
	if err != nil {
		return Added{}, fmt.Errorf("add memory: %w", err)
	}
	if len(near) == 1 && near[0].Similarity >= s.opt.MergeAbove {
		m := near[0].Memory
		if src.Kind == store.MemoryAutomatic && m.Kind != store.MemoryAutomatic {
			// What the user wrote or asked for is never reworded by the
			// model: the fact is already known.
			return Added{Memory: m, Merged: true}, nil
		}
		if err := s.store.UpdateMemory(ctx, userID, m.ID, text, vec, now); err != nil {
			return Added{}, fmt.Errorf("add memory: %w", err)
		}
		m.Text, m.UpdatedAt = text, now
		return Added{Memory: m, Merged: true}, nil
	}
	m := store.Memory{ID: uuid.New(), UserID: userID, Text: text, Kind: src.Kind,
		SourceConversationID: src.ConversationID, SourceMessageID: src.MessageID, CreatedAt: now, UpdatedAt: now}
	if m.Kind == "" {
		m.Kind = store.MemoryManual
	}
	if err := s.store.CreateMemory(ctx, m, vec); err != nil {
		return Added{}, fmt.Errorf("add memory: %w", err)
	}
	return Added{Memory: m}, nil
}

// Edit rewrites the user's memory id.
func (s *Service) Edit(ctx context.Context, userID, id uuid.UUID, text string) (store.Memory, error) {
	text, err := clean(text)
	if err != nil {
		return store.Memory{}, err
	}
	vec, err := s.embedOne(ctx, text)
	if err != nil {
		return store.Memory{}, err
	}
	if err := s.store.UpdateMemory(ctx, userID, id, text, vec, s.opt.Now()); err != nil {
		return store.Memory{}, fmt.Errorf("edit memory: %w", err)
	}
	return s.store.Memory(ctx, userID, id)
}

// Delete forgets the user's memory id.
func (s *Service) Delete(ctx context.Context, userID, id uuid.UUID) error {
	return s.store.DeleteMemory(ctx, userID, id)
}

// Relevant returns up to k of the user's memories that bear on text, best
// first, and records their use. A paused memory gives none.
func (s *Service) Relevant(ctx context.Context, userID uuid.UUID, text string, k int) ([]store.ScoredMemory, error) {
	if paused, err := s.store.MemoryPaused(ctx, userID); err != nil || paused {
		return nil, err
	}
	if strings.TrimSpace(text) == "" || k <= 0 {
		return nil, nil
	}
	vec, err := s.embedOne(ctx, text)
	if err != nil {
		return nil, err
	}
	cands, err := s.store.NearestMemories(ctx, userID, vec, 3*k)
	if err != nil {
		return nil, fmt.Errorf("relevant memories: %w", err)
	}
	now := s.opt.Now()
	type ranked struct {
		m     store.ScoredMemory
		score float64
	}
	var keep []ranked
	for _, c := range cands {
		if c.Similarity < s.opt.RelevantAbove {
			continue
		}
		keep = append(keep, ranked{c, c.Similarity + recencyBonus(now, c.UpdatedAt)})
	}
	sort.SliceStable(keep, func(i, j int) bool { return keep[i].score > keep[j].score })
	if len(keep) > k {
		keep = keep[:k]
	}
	out := make([]store.ScoredMemory, len(keep))
	ids := make([]uuid.UUID, len(keep))
	for i, r := range keep {
		out[i], ids[i] = r.m, r.m.ID
	}
	if err := s.store.TouchMemories(ctx, userID, ids, now); err != nil {
		s.opt.Log.Warn("memory use not recorded", "err", err)
	}
	return out, nil
}

// recencyBonus favours memories updated lately: 0.05 for today, halving
// about every month.
func recencyBonus(now, updated time.Time) float64 {
	age := now.Sub(updated).Hours() / 24
	if age < 0 {
		age = 0
	}
	return 0.05 * math.Exp(-age/45)
}

func (s *Service) embedOne(ctx context.Context, text string) ([]float32, error) {
	if s.embed == nil {
		return nil, errors.New("embed memory: no inference backend")
	}
	vecs, err := s.embed.Embed(ctx, s.opt.EmbedModel, []string{text})
	if err != nil {
		return nil, fmt.Errorf("embed memory: %w", err)
	}
	if len(vecs) != 1 || len(vecs[0]) == 0 {
		return nil, errors.New("embed memory: the backend returned no vector")
	}
	return vecs[0], nil
}

// clean trims and collapses whitespace, and checks the length.
func clean(text string) (string, error) {
	text = strings.Join(strings.Fields(text), " ")
	switch {
	case text == "":
		return "", ErrEmpty
	case utf8.RuneCountInString(text) > MaxLen:
		return "", ErrTooLong
	}
	return text, nil
}

package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"confidant/inference"
)

// InferenceBackend adapts an inference client to Backend: it trims the
// prompt to the model's context window and maps a stream that broke after
// its first token to ErrBackendInterrupted.
type InferenceBackend struct {
	Client  *inference.Client
	Catalog *Catalog
}

// replyReserve is the part of the context window left for the answer.
const replyReserve = 1024

// Stream implements Backend.
func (b *InferenceBackend) Stream(ctx context.Context, model string, prompt []Prompt, onDelta func(string) error) error {
	msgs := make([]inference.Message, len(prompt))
	for i, p := range prompt {
		msgs[i] = inference.Message{Role: p.Role, Content: p.Content}
	}
	if window := b.Catalog.Window(ctx, model); window > 0 {
		msgs = inference.TrimToWindow(msgs, window, replyReserve)
	}
	_, err := b.Client.Stream(ctx, inference.ChatRequest{Model: model, Messages: msgs}, func(d inference.Delta) error {
		if d.Content == "" {
			return nil
		}
		return onDelta(d.Content)
	})
	if errors.Is(err, inference.ErrInterrupted) {
		return fmt.Errorf("%w: %w", ErrBackendInterrupted, err)
	}
	return err
}

// Catalog caches the backends' model list for a few minutes.
type Catalog struct {
	Client *inference.Client
	TTL    time.Duration

	mu      sync.Mutex
	models  []inference.Model
	fetched time.Time
}

func (c *Catalog) load(ctx context.Context) []inference.Model {
	c.mu.Lock()
	defer c.mu.Unlock()
	ttl := c.TTL
	if ttl == 0 {
		ttl = 5 * time.Minute
	}
	if c.models != nil && time.Since(c.fetched) < ttl {
		return c.models
	}
	models, err := c.Client.Models(ctx)
	if err != nil {
		return c.models // keep the last good list while backends are down
	}
	c.models, c.fetched = models, time.Now()
	return c.models
}

// ModelIDs lists the chat models on offer (embedding models left out).
func (c *Catalog) ModelIDs(ctx context.Context) []string {
	var ids []string
	for _, m := range c.load(ctx) {
		if !isEmbeddingModel(m.ID) {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

// Window returns a model's context window in tokens, 0 when unknown.
func (c *Catalog) Window(ctx context.Context, model string) int {
	models := c.load(ctx)
	i := slices.IndexFunc(models, func(m inference.Model) bool { return m.ID == model })
	if i < 0 {
		return 0
	}
	return models[i].ContextWindow
}

// isEmbeddingModel guesses from the name, as OpenAI-compatible model lists
// do not say what a model is for.
func isEmbeddingModel(id string) bool {
	id = strings.ToLower(id)
	for _, s := range []string{"embed", "bge-", "e5-", "gte-"} {
		if strings.Contains(id, s) {
			return true
		}
	}
	return false
}

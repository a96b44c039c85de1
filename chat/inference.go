package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"confidant/inference"
	"confidant/store"
)

// InferenceBackend adapts an inference client to Backend: it trims the
// prompt to the model's context window and maps a stream that broke after
// its first token to ErrBackendInterrupted.
type InferenceBackend struct {
	Client  *inference.Client
	Catalog *Catalog
	// Attestor, when set, sends prompts only to verified backends and
	// checks each answer's signature; without it answers are unchecked.
	Attestor *inference.Attestor
}

// replyReserve is the part of the context window left for the answer.
const replyReserve = 1024

// Stream implements Backend.
func (b *InferenceBackend) Stream(ctx context.Context, model string, prompt []Prompt, onDelta func(string) error) error {
	_, err := b.StreamProven(ctx, model, prompt, onDelta)
	return err
}

// StreamProven implements ProvenBackend.
func (b *InferenceBackend) StreamProven(ctx context.Context, model string, prompt []Prompt, onDelta func(string) error) (inference.Result, error) {
	msgs := make([]inference.Message, len(prompt))
	for i, p := range prompt {
		msgs[i] = inference.Message{Role: p.Role, Content: p.Content}
	}
	if window := b.Catalog.Window(ctx, model); window > 0 {
		msgs = inference.TrimToWindow(msgs, window, replyReserve)
	}
	return b.send(ctx, inference.ChatRequest{Model: model, Messages: msgs}, onDelta)
}

// StreamTools implements ToolBackend: one round of an answer that may
// call tools, through the same verified-backend gate as every answer.
func (b *InferenceBackend) StreamTools(ctx context.Context, model string, msgs []inference.Message, tools []openai.Tool, onDelta func(string) error) (inference.Result, error) {
	if window := b.Catalog.Window(ctx, model); window > 0 {
		msgs = inference.TrimToWindow(msgs, window, replyReserve)
	}
	req := inference.ChatRequest{Model: model, Messages: msgs}
	if len(tools) > 0 {
		req.Tools, req.ToolChoice = tools, "auto"
	}
	return b.send(ctx, req, onDelta)
}

// send streams one request, passing content deltas on.
func (b *InferenceBackend) send(ctx context.Context, req inference.ChatRequest, onDelta func(string) error) (inference.Result, error) {
	stream := b.Client.Stream
	if b.Attestor != nil {
		stream = b.Attestor.Stream
	}
	res, err := stream(ctx, req, func(d inference.Delta) error {
		if d.Content == "" {
			return nil
		}
		return onDelta(d.Content)
	})
	switch {
	case errors.Is(err, inference.ErrInterrupted):
		return res, fmt.Errorf("%w: %w", ErrBackendInterrupted, err)
	case errors.Is(err, inference.ErrUnverified):
		return res, fmt.Errorf("%w: %w", ErrBackendUnverified, err)
	}
	return res, err
}

// CheckAnswer implements ProvenBackend: the answer's signature, checked
// against its backend's attested signing address. Without an Attestor
// nothing can be checked, and the verdict says so.
func (b *InferenceBackend) CheckAnswer(ctx context.Context, res inference.Result) store.AnswerVerification {
	if b.Attestor == nil {
		return store.AnswerVerification{State: store.VerificationAmber, Reason: "backend verification is not configured", Backend: res.BaseURL, CheckedAt: time.Now()}
	}
	c := b.Attestor.CheckAnswer(ctx, res)
	v := store.AnswerVerification{State: string(c.State), Reason: c.Reason, Backend: c.Backend, SigningAddress: c.SigningAddress,
		SigningAlgo: c.SigningAlgo, Signature: c.Signature, Text: c.Text, CheckedAt: c.CheckedAt, ReportVerifiedAt: c.ReportVerifiedAt,
		ReportState: string(c.Report.State), ReportFacts: c.Report.Facts, Simulated: c.Report.Simulated}
	for _, rc := range c.Report.Checks {
		v.ReportChecks = append(v.ReportChecks, store.ReportCheck{Name: rc.Name, Status: string(rc.Status), Detail: rc.Detail})
	}
	return v
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

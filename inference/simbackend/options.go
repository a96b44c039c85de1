package simbackend

import "time"

// Names and sizes of the default models.
const (
	ChatModel     = "sim-chat"
	EmbedModel    = "sim-embed"
	EmbedDims     = 384
	chatWindow    = 8192
	embedWindow   = 8192
	ownedBy       = "confidant-sim"
	defaultTokens = 40
	defaultSeed   = "confidant-simulated-backend"
	defaultSigs   = 4096
)

// Kind says what a model serves.
type Kind string

const (
	// KindChat models serve /v1/chat/completions.
	KindChat Kind = "chat"
	// KindEmbed models serve /v1/embeddings.
	KindEmbed Kind = "embed"
)

// Model is one model the backend lists and serves.
type Model struct {
	ID          string
	Kind        Kind
	MaxModelLen int // context window reported as max_model_len
}

// Options configure a Server. The zero value is usable.
type Options struct {
	// DefaultTokens is the answer length in tokens when the request does
	// not say otherwise (default 40).
	DefaultTokens int
	// TokenDelay is the pause before each generated token (default 0).
	TokenDelay time.Duration
	// Seed derives the signing keys and the simulated app identity; the
	// same seed gives the same signing addresses. Empty means a fixed
	// development seed.
	Seed string
	// Models replaces the default models (sim-chat, sim-embed).
	Models []Model
	// APIKey, when set, is required as "Authorization: Bearer KEY" on
	// every endpoint except the public attestation report.
	APIKey string
	// MaxSignatures bounds how many completions keep their signed text
	// for /v1/signature (default 4096; the oldest are forgotten first).
	MaxSignatures int
	// Now is the clock for "created" fields (default time.Now).
	Now func() time.Time
}

// withDefaults fills in the zero fields.
func (o Options) withDefaults() Options {
	if o.DefaultTokens <= 0 {
		o.DefaultTokens = defaultTokens
	}
	if o.TokenDelay < 0 {
		o.TokenDelay = 0
	}
	if o.Seed == "" {
		o.Seed = defaultSeed
	}
	if len(o.Models) == 0 {
		o.Models = []Model{
			{ID: ChatModel, Kind: KindChat, MaxModelLen: chatWindow},
			{ID: EmbedModel, Kind: KindEmbed, MaxModelLen: embedWindow},
		}
	}
	if o.MaxSignatures <= 0 {
		o.MaxSignatures = defaultSigs
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

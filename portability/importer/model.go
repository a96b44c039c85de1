package importer

import "time"

// Format names where an import comes from.
type Format string

// The formats Detect tells apart.
const (
	FormatChatGPT   Format = "chatgpt"
	FormatClaude    Format = "claude"
	FormatOpenWebUI Format = "openwebui"
	FormatConfidant Format = "confidant" // an encrypted Confidant bundle
)

// Label is the format's name as a person knows it.
func (f Format) Label() string {
	switch f {
	case FormatChatGPT:
		return "ChatGPT export"
	case FormatClaude:
		return "Claude export"
	case FormatOpenWebUI:
		return "Open WebUI export"
	case FormatConfidant:
		return "Confidant bundle"
	}
	return "export"
}

// Roles a neutral message may have.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleSystem    = "system"
)

// Conversation is one imported chat in the neutral model.
type Conversation struct {
	ExternalID string // the source's id, stable across exports
	Title      string
	Model      string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// CurrentLeaf is the external id of the message at the tip of the
	// branch the source showed last; "" lets the newest branch show.
	CurrentLeaf string
	Archived    bool
	Pinned      bool
	// Messages hold every branch, each parent before its children and
	// siblings oldest first.
	Messages []Message
}

// Message is one turn of an imported conversation.
type Message struct {
	ExternalID string
	ParentID   string // external id of the parent; "" for a first message
	Role       string
	Text       string
	Model      string
	CreatedAt  time.Time
}

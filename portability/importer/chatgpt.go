package importer

import (
	"encoding/json"
	"sort"
	"strings"
)

// ChatGPT's conversations.json: a list of conversations, each a "mapping"
// of node id → {id, message, parent, children} that holds every branch,
// with "current_node" the tip of the branch on show.
type gptConversation struct {
	ID               string             `json:"id"`
	ConversationID   string             `json:"conversation_id"`
	Title            *string            `json:"title"`
	CreateTime       *float64           `json:"create_time"`
	UpdateTime       *float64           `json:"update_time"`
	Mapping          map[string]gptNode `json:"mapping"`
	CurrentNode      *string            `json:"current_node"`
	DefaultModelSlug *string            `json:"default_model_slug"`
	IsArchived       *bool              `json:"is_archived"`
}

type gptNode struct {
	ID       string      `json:"id"`
	Message  *gptMessage `json:"message"`
	Parent   *string     `json:"parent"`
	Children []string    `json:"children"`
}

type gptMessage struct {
	ID     string `json:"id"`
	Author struct {
		Role string `json:"role"`
	} `json:"author"`
	CreateTime *float64 `json:"create_time"`
	Content    struct {
		ContentType string            `json:"content_type"`
		Parts       []json.RawMessage `json:"parts"`
		Text        *string           `json:"text"`
		Language    *string           `json:"language"`
	} `json:"content"`
	Recipient string `json:"recipient"`
	Metadata  struct {
		Hidden              bool   `json:"is_visually_hidden_from_conversation"`
		IsUserSystemMessage bool   `json:"is_user_system_message"`
		ModelSlug           string `json:"model_slug"`
	} `json:"metadata"`
}

// gptSkippedContent are content types that are the model's or tools'
// workings, not the conversation a person saw.
var gptSkippedContent = map[string]bool{
	"execution_output": true, "tether_browsing_display": true, "tether_quote": true, "system_error": true,
	"thoughts": true, "reasoning_recap": true, "user_editable_context": true, "model_editable_context": true,
	"sonic_webpage": true, "computer_output": true, "super_widget": true,
}

func parseChatGPT(dec *json.Decoder, lim Limits) (Conversation, error) {
	var g gptConversation
	if err := dec.Decode(&g); err != nil {
		return Conversation{}, err
	}
	id := firstNonEmpty(g.ConversationID, g.ID)
	if id == "" {
		return Conversation{}, fail(ErrMalformed, "a conversation has no id")
	}
	c := Conversation{ExternalID: id, Title: deref(g.Title), Model: deref(g.DefaultModelSlug), Archived: g.IsArchived != nil && *g.IsArchived}
	if g.CreateTime != nil {
		c.CreatedAt, _ = epoch(*g.CreateTime)
	}
	if g.UpdateTime != nil {
		c.UpdatedAt, _ = epoch(*g.UpdateTime)
	}
	if len(g.Mapping) > lim.MaxMessages {
		return Conversation{}, fail(ErrTooLarge, "a conversation has more than %d messages", lim.MaxMessages)
	}
	nodes := make(map[string]*node, len(g.Mapping))
	order := make([]string, 0, len(g.Mapping))
	for key, n := range g.Mapping {
		nid := firstNonEmpty(n.ID, key)
		if nid != key {
			return Conversation{}, fail(ErrMalformed, "a message's id does not match its key")
		}
		nodes[nid] = &node{id: nid, parent: deref(n.Parent), children: n.Children, msg: gptKept(n.Message)}
		order = append(order, nid)
	}
	sort.Strings(order) // maps have no order; roots are rare and few
	msgs, current := flatten(nodes, rootsOf(order, nodes), deref(g.CurrentNode))
	c.Messages, c.CurrentLeaf = msgs, current
	for _, m := range msgs {
		if m.Model != "" {
			c.Model = firstNonEmpty(c.Model, m.Model)
		}
	}
	c.Model = firstNonEmpty(c.Model, "chatgpt")
	if !fillTimes(&c) {
		return Conversation{}, fail(ErrMalformed, "a conversation has no time")
	}
	return c, checkSizes(&c, lim)
}

// gptKept turns a node's message into a neutral one, or nil for what a
// person never saw as a turn: empty roots, system and tool messages,
// hidden context, calls to tools, the model's thoughts.
func gptKept(m *gptMessage) *Message {
	if m == nil || m.Metadata.Hidden || m.Metadata.IsUserSystemMessage {
		return nil
	}
	role := m.Author.Role
	if role != RoleUser && role != RoleAssistant {
		return nil
	}
	if m.Recipient != "" && m.Recipient != "all" {
		return nil
	}
	ct := m.Content.ContentType
	if gptSkippedContent[ct] {
		return nil
	}
	var text string
	switch ct {
	case "text", "multimodal_text", "":
		text = gptParts(m.Content.Parts)
	case "code":
		text = "```" + deref(m.Content.Language) + "\n" + deref(m.Content.Text) + "\n```"
	default:
		text = deref(m.Content.Text)
		if text == "" {
			text = gptParts(m.Content.Parts)
		}
	}
	text = cleanText(text)
	if strings.TrimSpace(text) == "" {
		return nil
	}
	out := &Message{Role: role, Text: text}
	if role == RoleAssistant {
		out.Model = m.Metadata.ModelSlug
	}
	if m.CreateTime != nil {
		out.CreatedAt, _ = epoch(*m.CreateTime)
	}
	return out
}

// gptParts joins a message's parts: text as it is, anything else (images,
// audio, files) as a placeholder in brackets.
func gptParts(parts []json.RawMessage) string {
	var b strings.Builder
	for _, raw := range parts {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if s == "" {
				continue
			}
			if b.Len() > 0 {
				b.WriteString("\n\n")
			}
			b.WriteString(s)
			continue
		}
		var obj struct {
			ContentType string `json:"content_type"`
			Text        string `json:"text"`
		}
		if json.Unmarshal(raw, &obj) != nil {
			continue
		}
		var placeholder string
		switch {
		case obj.ContentType == "audio_transcription" && obj.Text != "":
			placeholder = obj.Text
		case strings.HasPrefix(obj.ContentType, "image"):
			placeholder = "[image]"
		case strings.Contains(obj.ContentType, "audio"):
			placeholder = "[audio]"
		case strings.Contains(obj.ContentType, "video"):
			placeholder = "[video]"
		default:
			placeholder = "[attachment]"
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(placeholder)
	}
	return b.String()
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

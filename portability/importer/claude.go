package importer

import (
	"encoding/json"
	"strings"
	"time"
)

// Claude's export: conversations.json, a list of conversations with their
// "chat_messages" in order; newer exports give each message a
// "parent_message_uuid", which makes edits and retries branches.
type claudeConversation struct {
	UUID                 string          `json:"uuid"`
	Name                 *string         `json:"name"`
	CreatedAt            *time.Time      `json:"created_at"`
	UpdatedAt            *time.Time      `json:"updated_at"`
	Model                *string         `json:"model"`
	CurrentLeafMessageID *string         `json:"current_leaf_message_uuid"`
	ChatMessages         []claudeMessage `json:"chat_messages"`
}

type claudeMessage struct {
	UUID    string  `json:"uuid"`
	Text    *string `json:"text"`
	Sender  string  `json:"sender"`
	Content []struct {
		Type string  `json:"type"`
		Text *string `json:"text"`
	} `json:"content"`
	CreatedAt   *time.Time `json:"created_at"`
	Attachments []struct {
		FileName string `json:"file_name"`
	} `json:"attachments"`
	Files []struct {
		FileName string `json:"file_name"`
	} `json:"files"`
	ParentMessageUUID *string `json:"parent_message_uuid"`
}

// claudeRootParent is the parent Claude gives a conversation's first
// message.
const claudeRootParent = "00000000-0000-4000-8000-000000000000"

func parseClaude(dec *json.Decoder, lim Limits) (Conversation, error) {
	var cc claudeConversation
	if err := dec.Decode(&cc); err != nil {
		return Conversation{}, err
	}
	if cc.UUID == "" {
		return Conversation{}, fail(ErrMalformed, "a conversation has no uuid")
	}
	if len(cc.ChatMessages) > lim.MaxMessages {
		return Conversation{}, fail(ErrTooLarge, "a conversation has more than %d messages", lim.MaxMessages)
	}
	c := Conversation{ExternalID: cc.UUID, Title: deref(cc.Name), Model: firstNonEmpty(deref(cc.Model), "claude")}
	if cc.CreatedAt != nil {
		c.CreatedAt = cc.CreatedAt.UTC()
	}
	if cc.UpdatedAt != nil {
		c.UpdatedAt = cc.UpdatedAt.UTC()
	}
	tree := false
	for _, m := range cc.ChatMessages {
		if m.ParentMessageUUID != nil {
			tree = true
		}
	}
	nodes := make(map[string]*node, len(cc.ChatMessages))
	order := make([]string, 0, len(cc.ChatMessages))
	prev := ""
	for i, m := range cc.ChatMessages {
		if m.UUID == "" {
			return Conversation{}, fail(ErrMalformed, "message %d has no uuid", i+1)
		}
		if _, dup := nodes[m.UUID]; dup {
			return Conversation{}, fail(ErrMalformed, "message %d appears twice", i+1)
		}
		parent := prev
		if tree {
			parent = deref(m.ParentMessageUUID)
			if parent == claudeRootParent {
				parent = ""
			}
		}
		nodes[m.UUID] = &node{id: m.UUID, parent: parent, msg: claudeKept(m)}
		order = append(order, m.UUID)
		prev = m.UUID
	}
	for _, id := range order {
		if p, ok := nodes[nodes[id].parent]; ok && nodes[id].parent != id {
			p.children = append(p.children, id)
		}
	}
	c.Messages, c.CurrentLeaf = flatten(nodes, rootsOf(order, nodes), deref(cc.CurrentLeafMessageID))
	if !fillTimes(&c) {
		return Conversation{}, fail(ErrMalformed, "a conversation has no time")
	}
	return c, checkSizes(&c, lim)
}

// claudeKept turns a message into a neutral one: its text blocks (not its
// thinking or tool use), with attached files as placeholders.
func claudeKept(m claudeMessage) *Message {
	var role string
	switch m.Sender {
	case "human":
		role = RoleUser
	case "assistant":
		role = RoleAssistant
	default:
		return nil
	}
	var parts []string
	for _, b := range m.Content {
		if b.Type == "text" && b.Text != nil && *b.Text != "" {
			parts = append(parts, *b.Text)
		}
	}
	text := strings.Join(parts, "\n\n")
	if len(m.Content) == 0 {
		text = deref(m.Text)
	}
	for _, a := range m.Attachments {
		text = joinPlaceholder(text, "[attached file: "+a.FileName+"]")
	}
	for _, f := range m.Files {
		text = joinPlaceholder(text, "[file: "+f.FileName+"]")
	}
	text = cleanText(text)
	if strings.TrimSpace(text) == "" {
		return nil
	}
	out := &Message{Role: role, Text: text}
	if m.CreatedAt != nil {
		out.CreatedAt = m.CreatedAt.UTC()
	}
	return out
}

func joinPlaceholder(text, placeholder string) string {
	if text == "" {
		return placeholder
	}
	return text + "\n\n" + placeholder
}

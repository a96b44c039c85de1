package importer

import (
	"encoding/json"
	"strings"
)

// Open WebUI's chat export: a list of chats, each with "chat.history":
// messages by id, linked by parentId/childrenIds, and currentId the tip
// on show. Older chats may only have the linear "chat.messages".
type owuiChat struct {
	ID        string   `json:"id"`
	Title     *string  `json:"title"`
	CreatedAt *float64 `json:"created_at"`
	UpdatedAt *float64 `json:"updated_at"`
	Archived  *bool    `json:"archived"`
	Pinned    *bool    `json:"pinned"`
	Chat      struct {
		ID      string   `json:"id"`
		Title   *string  `json:"title"`
		Models  []string `json:"models"`
		History struct {
			Messages  map[string]owuiMessage `json:"messages"`
			CurrentID *string                `json:"currentId"`
		} `json:"history"`
		Messages  []owuiMessage `json:"messages"`
		Timestamp *float64      `json:"timestamp"`
	} `json:"chat"`
}

type owuiMessage struct {
	ID          string          `json:"id"`
	ParentID    *string         `json:"parentId"`
	ChildrenIDs []string        `json:"childrenIds"`
	Role        string          `json:"role"`
	Content     json.RawMessage `json:"content"`
	Model       string          `json:"model"`
	Timestamp   *float64        `json:"timestamp"`
}

func parseOpenWebUI(dec *json.Decoder, lim Limits) (Conversation, error) {
	var oc owuiChat
	if err := dec.Decode(&oc); err != nil {
		return Conversation{}, err
	}
	id := firstNonEmpty(oc.ID, oc.Chat.ID)
	if id == "" {
		return Conversation{}, fail(ErrMalformed, "a chat has no id")
	}
	c := Conversation{ExternalID: id, Title: firstNonEmpty(deref(oc.Title), deref(oc.Chat.Title)),
		Archived: deref(oc.Archived), Pinned: deref(oc.Pinned)}
	if len(oc.Chat.Models) > 0 {
		c.Model = oc.Chat.Models[0]
	}
	if oc.CreatedAt != nil {
		c.CreatedAt, _ = epoch(*oc.CreatedAt)
	} else if oc.Chat.Timestamp != nil {
		c.CreatedAt, _ = epoch(*oc.Chat.Timestamp)
	}
	if oc.UpdatedAt != nil {
		c.UpdatedAt, _ = epoch(*oc.UpdatedAt)
	}
	msgs := oc.Chat.History.Messages
	if len(msgs) > lim.MaxMessages || len(oc.Chat.Messages) > lim.MaxMessages {
		return Conversation{}, fail(ErrTooLarge, "a chat has more than %d messages", lim.MaxMessages)
	}
	nodes := map[string]*node{}
	var order []string
	if len(msgs) > 0 {
		for key, m := range msgs {
			mid := firstNonEmpty(m.ID, key)
			if mid != key {
				return Conversation{}, fail(ErrMalformed, "a message's id does not match its key")
			}
			nodes[mid] = &node{id: mid, parent: deref(m.ParentID), children: m.ChildrenIDs, msg: owuiKept(m)}
			order = append(order, mid)
		}
		// Roots in time order, then id: maps have no order.
		sortByTime(order, msgs)
	} else {
		prev := ""
		for i, m := range oc.Chat.Messages {
			mid := m.ID
			if mid == "" {
				return Conversation{}, fail(ErrMalformed, "message %d has no id", i+1)
			}
			if _, dup := nodes[mid]; dup {
				return Conversation{}, fail(ErrMalformed, "message %d appears twice", i+1)
			}
			nodes[mid] = &node{id: mid, parent: prev, msg: owuiKept(m)}
			if p, ok := nodes[prev]; ok {
				p.children = append(p.children, mid)
			}
			order = append(order, mid)
			prev = mid
		}
	}
	c.Messages, c.CurrentLeaf = flatten(nodes, rootsOf(order, nodes), deref(oc.Chat.History.CurrentID))
	for _, m := range c.Messages {
		c.Model = firstNonEmpty(c.Model, m.Model)
	}
	c.Model = firstNonEmpty(c.Model, "open-webui")
	if !fillTimes(&c) {
		return Conversation{}, fail(ErrMalformed, "a chat has no time")
	}
	return c, checkSizes(&c, lim)
}

func owuiKept(m owuiMessage) *Message {
	if m.Role != RoleUser && m.Role != RoleAssistant {
		return nil
	}
	var text string
	if json.Unmarshal(m.Content, &text) != nil {
		// Content as a list of parts, as multimodal messages keep it.
		var parts []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if json.Unmarshal(m.Content, &parts) != nil {
			return nil
		}
		for _, p := range parts {
			if p.Type == "text" {
				text = joinPlaceholder(text, p.Text)
			} else {
				text = joinPlaceholder(text, "[image]")
			}
		}
	}
	text = cleanText(text)
	if strings.TrimSpace(text) == "" {
		return nil
	}
	out := &Message{Role: m.Role, Text: text}
	if m.Role == RoleAssistant {
		out.Model = m.Model
	}
	if m.Timestamp != nil {
		out.CreatedAt, _ = epoch(*m.Timestamp)
	}
	return out
}

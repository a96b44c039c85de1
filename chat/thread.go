package chat

import (
	"github.com/google/uuid"

	"confidant/store"
)

// Turn is one message of the branch on show, with where it sits among its
// siblings (the other versions made by editing or regenerating).
type Turn struct {
	store.Message
	Sibling  int        // 1-based position among siblings
	Siblings int        // how many versions this turn has
	Prev     *uuid.UUID // the previous version, if any
	Next     *uuid.UUID // the next version, if any
}

// Thread is the path from the first message to leaf through the tree of
// messages, oldest first. A nil or unknown leaf shows the newest branch.
func Thread(all []store.Message, leaf *uuid.UUID) []Turn {
	if len(all) == 0 {
		return nil
	}
	byID := make(map[uuid.UUID]store.Message, len(all))
	children := map[uuid.UUID][]uuid.UUID{} // parent (Nil for roots) → children, oldest first
	for _, m := range all {
		byID[m.ID] = m
		children[parentOf(m)] = append(children[parentOf(m)], m.ID)
	}
	tip := all[len(all)-1].ID
	if leaf != nil {
		if _, ok := byID[*leaf]; ok {
			tip = *leaf
		}
	}
	var path []store.Message
	seen := map[uuid.UUID]bool{}
	for id := tip; !seen[id]; { // seen guards against a cycle in bad data
		seen[id] = true
		m := byID[id]
		path = append(path, m)
		if m.ParentID == nil {
			break
		}
		if _, ok := byID[*m.ParentID]; !ok {
			break
		}
		id = *m.ParentID
	}
	turns := make([]Turn, len(path))
	for i, m := range path {
		sibs := children[parentOf(m)]
		t := Turn{Message: m, Siblings: len(sibs)}
		for j, id := range sibs {
			if id == m.ID {
				t.Sibling = j + 1
				if j > 0 {
					prev := sibs[j-1]
					t.Prev = &prev
				}
				if j+1 < len(sibs) {
					next := sibs[j+1]
					t.Next = &next
				}
			}
		}
		turns[len(path)-1-i] = t
	}
	return turns
}

// Newest returns the newest leaf under id: following the latest child at
// each step, which is what switching to another version of a turn shows.
func Newest(all []store.Message, id uuid.UUID) uuid.UUID {
	children := map[uuid.UUID][]uuid.UUID{}
	for _, m := range all {
		children[parentOf(m)] = append(children[parentOf(m)], m.ID)
	}
	for {
		kids := children[id]
		if len(kids) == 0 {
			return id
		}
		id = kids[len(kids)-1]
	}
}

func parentOf(m store.Message) uuid.UUID {
	if m.ParentID == nil {
		return uuid.Nil
	}
	return *m.ParentID
}

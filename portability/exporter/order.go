package exporter

import (
	"bytes"
	"io"

	"github.com/google/uuid"

	"confidant/store"
)

// parentOrder emits one conversation's messages so that a parent always
// comes before its children. Messages arrive in id order, which is
// creation order for ids Confidant makes, so nothing usually waits;
// imported ids may not be, and then a child waits for its parent.
type parentOrder struct {
	written map[uuid.UUID]bool
	waiting map[uuid.UUID][]store.ExportedMessage // by the parent they wait for
}

func (o *parentOrder) add(m store.ExportedMessage, emit func(store.ExportedMessage) error) error {
	if o.written == nil {
		o.written, o.waiting = map[uuid.UUID]bool{}, map[uuid.UUID][]store.ExportedMessage{}
	}
	if m.ParentID != nil && !o.written[*m.ParentID] {
		o.waiting[*m.ParentID] = append(o.waiting[*m.ParentID], m)
		return nil
	}
	queue := []store.ExportedMessage{m}
	for len(queue) > 0 {
		next := queue[0]
		queue = queue[1:]
		if err := emit(next); err != nil {
			return err
		}
		o.written[next.ID] = true
		queue = append(queue, o.waiting[next.ID]...)
		delete(o.waiting, next.ID)
	}
	return nil
}

// flush emits what still waits for a parent that never came (a parent in
// no conversation of the user's cannot exist, so this is defensive).
func (o *parentOrder) flush(emit func(store.ExportedMessage) error) error {
	for parent, list := range o.waiting {
		for _, m := range list {
			if err := emit(m); err != nil {
				return err
			}
		}
		delete(o.waiting, parent)
	}
	return nil
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

package canary

import (
	"context"
	"sync"
	"time"

	"confidant/connectors"
)

// canaryMailbox is a test-only mail and calendar source whose folder,
// message and event carry canaries; a path fills it before connecting.
type canaryMailbox struct {
	mu                                 sync.Mutex
	folder, subject, body, summary, at string
}

func (m *canaryMailbox) fill(folder, subject, body, summary, place string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.folder, m.subject, m.body, m.summary, m.at = folder, subject, body, summary, place
}

func (m *canaryMailbox) sources() map[connectors.Kind]connectors.SourceFactory {
	return map[connectors.Kind]connectors.SourceFactory{connectors.KindIMAP: func(connectors.Settings, connectors.Dialer, connectors.TokenSaver) (connectors.Source, error) {
		return m, nil
	}}
}

func (m *canaryMailbox) Sync(ctx context.Context, cursor []byte, sink connectors.Sink) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	day := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	return sink.Apply(ctx, connectors.Batch{
		Mail:   []connectors.Mail{{Resource: m.folder + "/1/1", Folder: m.folder, Subject: m.subject, From: "Carol <carol@example.org>", Date: day, Text: m.body}},
		Events: []connectors.Event{{Resource: "calendars/" + m.folder + ".ics", Summary: m.summary, Location: m.at, Start: day, End: day.Add(time.Hour)}},
		// The cursor names the folder, as an IMAP source's would.
		Cursor:   []byte(m.folder + ":uidnext=2"),
		Progress: connectors.Progress{Done: 1, Total: 1},
	})
}

package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/inference/simbackend"
	"confidant/internal/testdb"
	"confidant/store"
)

// BenchmarkApplyMailBatch stores batches of 100 synced messages (2 KB of
// text each, with an embedding) as a sync does, one transaction each.
func BenchmarkApplyMailBatch(b *testing.B) {
	s := testdb.NewStore(b)
	ctx := context.Background()
	user := store.User{ID: uuid.New(), Username: "bench", DisplayName: "Bench", CreatedAt: time.Now()}
	if err := s.CreateUser(ctx, user); err != nil {
		b.Fatal(err)
	}
	c := store.Connector{ID: uuid.New(), UserID: user.ID, Kind: "imap", Name: "n", Settings: []byte(`{}`), CreatedAt: time.Now()}
	if err := s.CreateConnector(ctx, c, nil); err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("Meeting notes about the quarterly budget and the garden project. ", 32)[:2000]
	emb := simbackend.Embed(text)
	n := 0
	b.ResetTimer()
	for b.Loop() {
		batch := store.ConnectorBatch{Cursor: []byte("c")}
		for range 100 {
			n++
			batch.Mail = append(batch.Mail, store.NewMail{Resource: fmt.Sprintf("INBOX/1/%d", n), Data: []byte(text), IndexText: text, Embedding: emb})
		}
		if err := s.ApplyConnectorBatch(ctx, user.ID, c.ID, batch, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n), "µs/message")
}

// BenchmarkEventsRange answers a one-week query over a calendar of 5,000
// occurrences, whose times are sealed: every span is opened.
func BenchmarkEventsRange(b *testing.B) {
	s := testdb.NewStore(b)
	ctx := context.Background()
	user := store.User{ID: uuid.New(), Username: "bench", DisplayName: "Bench", CreatedAt: time.Now()}
	if err := s.CreateUser(ctx, user); err != nil {
		b.Fatal(err)
	}
	c := store.Connector{ID: uuid.New(), UserID: user.ID, Kind: "caldav", Name: "n", Settings: []byte(`{}`), CreatedAt: time.Now()}
	if err := s.CreateConnector(ctx, c, nil); err != nil {
		b.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	var evs []store.NewEvent
	for i := range 5000 {
		at := start.Add(time.Duration(i) * 3 * time.Hour)
		evs = append(evs, store.NewEvent{Resource: fmt.Sprintf("e%d", i), Start: at, End: at.Add(time.Hour), Data: []byte(`{"Summary":"meeting"}`), IndexText: "meeting"})
	}
	if err := s.ApplyConnectorBatch(ctx, user.ID, c.ID, store.ConnectorBatch{Events: evs}, time.Now()); err != nil {
		b.Fatal(err)
	}
	from := start.Add(300 * 24 * time.Hour)
	for b.Loop() {
		got, err := s.Events(ctx, user.ID, from, from.Add(7*24*time.Hour), 1000)
		if err != nil || len(got) != 56 {
			b.Fatalf("%d events, %v", len(got), err)
		}
	}
}

package rag_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"confidant/rag"
)

// Retrieval quality on the labelled set in testdata/eval: each question
// names the document and a phrase of the passage that answers it. The
// documents go through the real pipeline (upload, River, chunking,
// sim-embed over HTTP, sealed storage) and the questions through hybrid
// search. Thresholds sit a little under what this build scores, so a
// regression in chunking, fusion or either search fails the test.
const (
	minRecallAt5 = 0.9  // measured 0.962 (25 of 26)
	minMRR       = 0.85 // measured 0.933
)

type labelled struct {
	Question string `json:"q"`
	Document string `json:"doc"`
	Passage  string `json:"passage"`
}

func TestRetrievalQuality(t *testing.T) {
	h := newHarness(t, simEmbedder(t), rag.Options{Chunking: rag.ChunkOptions{MaxWords: 60, OverlapWords: 10}})
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join("testdata", "eval", "questions.json"))
	if err != nil {
		t.Fatal(err)
	}
	var set []labelled
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	names, err := filepath.Glob(filepath.Join("testdata", "eval", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	var uploads []rag.Upload
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		uploads = append(uploads, rag.Upload{Name: filepath.Base(n), Content: data})
	}
	res, err := h.svc.Upload(ctx, h.user, uploads)
	if err != nil {
		t.Fatal(err)
	}
	if job := h.waitJob(t, *res.JobID); job.State != rag.JobDone || job.Ready != len(uploads) {
		t.Fatalf("ingestion: %+v", job)
	}

	var hits, reciprocal float64
	for _, l := range set {
		results, err := h.svc.Search(ctx, h.user, l.Question, rag.SearchOptions{Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		rank := 0
		for i, r := range results {
			if r.DocumentName == l.Document && strings.Contains(r.Text, l.Passage) {
				rank = i + 1
				break
			}
		}
		if rank > 0 {
			hits++
			reciprocal += 1 / float64(rank)
		} else {
			t.Logf("miss: %q", l.Question)
		}
	}
	recall, mrr := hits/float64(len(set)), reciprocal/float64(len(set))
	t.Logf("%d questions: recall@5 %.3f, MRR %.3f", len(set), recall, mrr)
	if recall < minRecallAt5 || mrr < minMRR {
		t.Fatalf("retrieval regressed: recall@5 %.3f (min %.2f), MRR %.3f (min %.2f)", recall, minRecallAt5, mrr, minMRR)
	}
}

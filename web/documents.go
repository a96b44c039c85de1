package web

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"confidant/chat"
	"confidant/rag"
)

// passagesPerAnswer is how many passages an answer is given at most.
const passagesPerAnswer = 5

// chatDocuments lets the chat search the user's documents.
type chatDocuments struct{ svc *rag.Service }

func (d chatDocuments) Passages(ctx context.Context, userID uuid.UUID, query, scope string) ([]chat.Passage, error) {
	opt := rag.SearchOptions{Limit: passagesPerAnswer}
	if scope != "all" {
		col, isCollection := strings.CutPrefix(scope, chat.CollectionScope)
		id, err := uuid.Parse(col)
		if err != nil {
			return nil, fmt.Errorf("documents scope %q: %w", scope, err)
		}
		if isCollection {
			opt.CollectionID = &id
		} else {
			opt.DocumentID = &id
		}
	}
	found, err := d.svc.Search(ctx, userID, query, opt)
	if err != nil {
		return nil, err
	}
	out := make([]chat.Passage, len(found))
	for i, r := range found {
		out[i] = chat.Passage{ChunkID: r.ChunkID, DocumentName: r.DocumentName, Heading: r.Heading, Text: r.Text}
	}
	return out, nil
}

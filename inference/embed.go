package inference

import (
	"context"
	"errors"
	"fmt"

	openai "github.com/sashabaranov/go-openai"
)

// Embed returns one embedding per text, in order, from model, retrying
// connection errors and 5xx answers on the next URL.
func (c *Client) Embed(ctx context.Context, model string, texts []string) ([][]float32, error) {
	return c.embedAmong(ctx, nil, model, texts)
}

// embedAmong is Embed restricted to the backends at indexes only (nil:
// every one).
func (c *Client) embedAmong(ctx context.Context, only []int, model string, texts []string) ([][]float32, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	var out [][]float32
	_, err := c.eachOf(ctx, only, func(i int) error {
		actx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
		defer cancel()
		resp, err := c.oa[i].CreateEmbeddings(actx, openai.EmbeddingRequestStrings{
			Input: texts, Model: openai.EmbeddingModel(model),
		})
		if err != nil {
			return fromOpenAI(err)
		}
		out, err = orderEmbeddings(resp, len(texts))
		return err
	})
	return out, err
}

// orderEmbeddings places each embedding at its index and checks that all
// are there and of one size.
func orderEmbeddings(resp openai.EmbeddingResponse, n int) ([][]float32, error) {
	if len(resp.Data) != n {
		return nil, fmt.Errorf("%w: %d embeddings for %d texts", ErrProtocol, len(resp.Data), n)
	}
	out := make([][]float32, n)
	for _, e := range resp.Data {
		if e.Index < 0 || e.Index >= n || out[e.Index] != nil {
			return nil, fmt.Errorf("%w: embedding index %d", ErrProtocol, e.Index)
		}
		if len(e.Embedding) == 0 || len(e.Embedding) != len(resp.Data[0].Embedding) {
			return nil, fmt.Errorf("%w: embeddings of different sizes", ErrProtocol)
		}
		out[e.Index] = e.Embedding
	}
	return out, nil
}

// fromOpenAI turns go-openai's error answers into *StatusError, so
// callers and the retry rule see one kind.
func fromOpenAI(err error) error {
	var ae *openai.APIError
	var re *openai.RequestError
	switch {
	case errors.As(err, &ae):
		code := ""
		if ae.Code != nil {
			code = fmt.Sprint(ae.Code)
		}
		return &StatusError{Status: ae.HTTPStatusCode, Type: ae.Type, Code: code, Message: ae.Message}
	case errors.As(err, &re):
		return &StatusError{Status: re.HTTPStatusCode, Message: "backend error without an OpenAI error body"}
	}
	return fmt.Errorf("inference: embeddings: %w", err)
}

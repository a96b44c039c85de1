package inference

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Models lists the models of the first backend that answers. The context
// window comes from vLLM's max_model_len when present.
func (c *Client) Models(ctx context.Context) ([]Model, error) {
	var models []Model
	_, err := c.each(ctx, func(i int) error {
		var err error
		models, err = c.listModels(ctx, c.urls[i])
		return err
	})
	return models, err
}

// Healthy tries the backends in configured order and makes the first that
// lists its models the preferred one, which it returns. Calls also move
// to another backend on their own when one fails; Healthy brings the
// first back into use once it recovers.
func (c *Client) Healthy(ctx context.Context) (string, error) {
	var last error
	for i, u := range c.urls {
		if _, err := c.listModels(ctx, u); err != nil {
			if ctx.Err() != nil {
				return "", fmt.Errorf("inference: %w", ctx.Err())
			}
			last = err
			continue
		}
		c.prefer(i)
		return u, nil
	}
	return "", fmt.Errorf("%w: %w", ErrUnavailable, last)
}

// listModels fetches GET /v1/models from base.
func (c *Client) listModels(ctx context.Context, base string) ([]Model, error) {
	actx, cancel := context.WithTimeout(ctx, min(c.cfg.RequestTimeout, c.cfg.ConnectTimeout+c.cfg.HeaderTimeout))
	defer cancel()
	data, err := c.call(actx, http.MethodGet, base, "/v1/models", nil)
	if err != nil {
		return nil, err
	}
	var list struct {
		Data []struct {
			ID          string `json:"id"`
			OwnedBy     string `json:"owned_by"`
			MaxModelLen int    `json:"max_model_len"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("%w: model list is not JSON", ErrProtocol)
	}
	models := make([]Model, 0, len(list.Data))
	for _, m := range list.Data {
		models = append(models, Model{ID: m.ID, OwnedBy: m.OwnedBy, ContextWindow: m.MaxModelLen})
	}
	return models, nil
}

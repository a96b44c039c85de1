package inference_test

import (
	"context"
	"errors"
	"testing"

	"confidant/inference"
	"confidant/inference/simbackend"
)

func cosine(a, b []float32) float64 {
	var dot float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
	}
	return dot
}

func TestEmbed(t *testing.T) {
	b := newBackend(t, simbackend.Options{})
	c := newClient(t, inference.Config{}, b.URL)
	texts := []string{
		"When is the dentist appointment next week?",
		"Reminder: dentist appointment on Tuesday next week at 9",
		"Quarterly revenue grew by four percent in Europe",
	}
	vecs, err := c.Embed(context.Background(), simbackend.EmbedModel, texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs) != 3 {
		t.Fatalf("%d vectors", len(vecs))
	}
	for i, v := range vecs {
		if len(v) != simbackend.EmbedDims {
			t.Errorf("vector %d has %d dims", i, len(v))
		}
	}
	related, unrelated := cosine(vecs[0], vecs[1]), cosine(vecs[0], vecs[2])
	if related <= unrelated {
		t.Errorf("sharing words: %.3f, unrelated: %.3f", related, unrelated)
	}
	if one, _ := c.Embed(context.Background(), simbackend.EmbedModel, texts[2:]); cosine(one[0], vecs[2]) < 0.9999 {
		t.Error("embedding depends on the batch")
	}
	if v, err := c.Embed(context.Background(), simbackend.EmbedModel, nil); v != nil || err != nil {
		t.Errorf("no texts: %v, %v", v, err)
	}
}

func TestEmbedUnknownModel(t *testing.T) {
	b := newBackend(t, simbackend.Options{})
	c := newClient(t, inference.Config{}, b.URL, b.URL)
	_, err := c.Embed(context.Background(), "no-such-model", []string{"x"})
	var se *inference.StatusError
	if !errors.As(err, &se) || se.Status != 404 || se.Code != "model_not_found" || errors.Is(err, inference.ErrUnavailable) {
		t.Errorf("err = %v, want a final 404", err)
	}
}

func TestModels(t *testing.T) {
	b := newBackend(t, simbackend.Options{})
	c := newClient(t, inference.Config{}, refusedURL(t), b.URL)
	models, err := c.Models(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []inference.Model{
		{ID: "sim-chat", OwnedBy: "confidant-sim", ContextWindow: 8192},
		{ID: "sim-embed", OwnedBy: "confidant-sim", ContextWindow: 8192},
	}
	if len(models) != len(want) {
		t.Fatalf("models = %+v", models)
	}
	for i := range want {
		if models[i] != want[i] {
			t.Errorf("model %d = %+v, want %+v", i, models[i], want[i])
		}
	}
}

package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	openai "github.com/sashabaranov/go-openai"

	"confidant/internal/softauthn"
	"confidant/internal/testclient"
	"confidant/internal/testserver"
)

func openaiClient(srv *testserver.Server, key string) *openai.Client {
	cfg := openai.DefaultConfig(key)
	cfg.BaseURL = srv.URL + "/v1"
	return openai.NewClientWithConfig(cfg)
}

// apiGet calls the JSON API with a bearer key.
func apiGet(t *testing.T, srv *testserver.Server, key, path string, v any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %d %s", path, res.StatusCode, body)
		}
	}
	return res.StatusCode
}

type apiList struct {
	Data []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
		Model string `json:"model"`
	} `json:"data"`
	NextCursor string `json:"next_cursor"`
	Error      struct {
		Code string `json:"code"`
	} `json:"error"`
}

func TestOpenAICompatibleAPI(t *testing.T) {
	srv := start(t)
	ctx := context.Background()
	alice := testclient.New(t, srv)
	device := softauthn.New(srv.URL)
	alice.SignUp(device, "alice", "Alice")
	key := alice.CreateAPIKey(device, "tests", "chat", "read")
	client := openaiClient(srv, key)

	models, err := client.ListModels(ctx)
	if err != nil || len(models.Models) == 0 || models.Models[0].ID != "sim-chat" {
		t.Fatalf("models = %+v %v", models, err)
	}

	resp, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: "sim-chat",
		Messages: []openai.ChatCompletionMessage{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Say hello from the API"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Choices) != 1 || resp.Choices[0].Message.Content == "" || resp.Choices[0].FinishReason != "stop" || !strings.HasPrefix(resp.ID, "chatcmpl-") {
		t.Fatalf("completion = %+v", resp)
	}

	stream, err := client.CreateChatCompletionStream(ctx, openai.ChatCompletionRequest{Model: "sim-chat", Stream: true,
		Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "Tell me about sealed storage [[sim:tokens=30]]"}}})
	if err != nil {
		t.Fatal(err)
	}
	var streamed strings.Builder
	var finish openai.FinishReason
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		streamed.WriteString(chunk.Choices[0].Delta.Content)
		if chunk.Choices[0].FinishReason != "" {
			finish = chunk.Choices[0].FinishReason
		}
	}
	stream.Close()
	if streamed.Len() == 0 || finish != "stop" {
		t.Fatalf("stream gave %q, finish %q", streamed.String(), finish)
	}

	// Both chats are in the user's history, with every message.
	var list apiList
	if code := apiGet(t, srv, key, "/api/conversations?limit=10", &list); code != http.StatusOK || len(list.Data) != 2 {
		t.Fatalf("conversations: %d %+v", code, list)
	}
	var conv struct {
		Messages []struct {
			ID       string  `json:"id"`
			ParentID *string `json:"parent_id"`
			Role     string  `json:"role"`
			Content  string  `json:"content"`
		} `json:"messages"`
	}
	apiGet(t, srv, key, "/api/conversations/"+list.Data[0].ID, &conv)
	if n := len(conv.Messages); n != 2 || conv.Messages[1].Role != "assistant" || conv.Messages[1].Content != streamed.String() ||
		conv.Messages[1].ParentID == nil || *conv.Messages[1].ParentID != conv.Messages[0].ID {
		t.Fatalf("conversation messages = %+v", conv.Messages)
	}

	// Scopes and keys are enforced.
	chatOnly := alice.CreateAPIKey(device, "chat only")
	if code := apiGet(t, srv, chatOnly, "/api/conversations", &list); code != http.StatusForbidden || list.Error.Code != "insufficient_scope" {
		t.Errorf("chat-only key reading conversations: %d %+v", code, list.Error)
	}
	if code := apiGet(t, srv, "cfk_forged", "/api/conversations", &list); code != http.StatusUnauthorized {
		t.Errorf("forged key: %d", code)
	}
	if _, err := openaiClient(srv, "cfk_forged").ListModels(ctx); err == nil {
		t.Error("forged key listed models")
	}
	if _, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: "gpt-nonexistent",
		Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "hi"}}}); err == nil {
		t.Error("unknown model accepted")
	}

	// Another user's key sees none of it.
	mallory := testclient.New(t, srv)
	md := softauthn.New(srv.URL)
	mallory.SignUp(md, "mallory", "Mallory")
	mkey := mallory.CreateAPIKey(md, "m", "read")
	if code := apiGet(t, srv, mkey, "/api/conversations/"+list.Data[0].ID, nil); code != http.StatusNotFound {
		t.Errorf("another user's conversation: %d", code)
	}
	var mlist apiList
	apiGet(t, srv, mkey, "/api/conversations", &mlist)
	if len(mlist.Data) != 0 {
		t.Errorf("another user's list: %+v", mlist.Data)
	}
	if strings.Contains(srv.Logs.String(), key) {
		t.Error("API key in the log")
	}
}

func TestAPIStreamBackendDies(t *testing.T) {
	srv := start(t)
	c := testclient.New(t, srv)
	device := softauthn.New(srv.URL)
	c.SignUp(device, "alice", "Alice")
	key := c.CreateAPIKey(device, "tests")
	stream, err := openaiClient(srv, key).CreateChatCompletionStream(context.Background(), openai.ChatCompletionRequest{Model: "sim-chat", Stream: true,
		Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "go [[sim:fail-after=3]]"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	var got strings.Builder
	for {
		chunk, err := stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				t.Fatal("stream ended normally although the backend died")
			}
			break
		}
		if len(chunk.Choices) > 0 {
			got.WriteString(chunk.Choices[0].Delta.Content)
		}
	}
	if got.Len() == 0 {
		t.Fatal("no partial text before the failure")
	}
}

package simbackend_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"confidant/inference/simbackend"
)

func TestErrors(t *testing.T) {
	_, ts := newServer(t, simbackend.Options{})
	_, keyed := newServer(t, simbackend.Options{APIKey: "k1"})
	tests := []struct {
		name       string
		method     string
		url        string
		body       string
		hdr        []string
		wantStatus int
		wantCode   string
	}{
		{"unknown path", "GET", ts.URL + "/v1/nope", "", nil, 404, "not_found"},
		{"wrong method", "GET", ts.URL + "/v1/chat/completions", "", nil, 405, "method_not_allowed"},
		{"bad json", "POST", ts.URL + "/v1/chat/completions", "{", nil, 400, "invalid_json"},
		{"unknown model", "POST", ts.URL + "/v1/chat/completions", `{"model":"gpt-9","messages":[{"role":"user","content":"x"}]}`, nil, 404, "model_not_found"},
		{"embed model for chat", "POST", ts.URL + "/v1/chat/completions", `{"model":"sim-embed","messages":[{"role":"user","content":"x"}]}`, nil, 400, "model_not_supported"},
		{"no messages", "POST", ts.URL + "/v1/chat/completions", `{"model":"sim-chat","messages":[]}`, nil, 400, "invalid_request_error"},
		{"bad directive", "POST", ts.URL + "/v1/chat/completions", `{"model":"sim-chat","messages":[{"role":"user","content":"[[sim:boom]]"}]}`, nil, 400, "invalid_request_error"},
		{"context too long", "POST", ts.URL + "/v1/chat/completions", `{"model":"sim-chat","messages":[{"role":"user","content":"x"}],"max_tokens":9000}`, nil, 400, "context_length_exceeded"},
		{"embed bad input", "POST", ts.URL + "/v1/embeddings", `{"model":"sim-embed","input":[1,2]}`, nil, 400, "invalid_input"},
		{"embed chat model", "POST", ts.URL + "/v1/embeddings", `{"model":"sim-chat","input":"x"}`, nil, 400, "model_not_supported"},
		{"bad nonce", "GET", ts.URL + "/v1/attestation/report?nonce=abcd", "", nil, 400, "invalid_nonce"},
		{"bad algo", "GET", ts.URL + "/v1/attestation/report?signing_algo=rsa", "", nil, 400, "invalid_signing_algo"},
		{"unknown signature", "GET", ts.URL + "/v1/signature/chatcmpl-nope", "", nil, 404, "signature_not_found"},
		{"missing key", "GET", keyed.URL + "/v1/models", "", nil, 401, "invalid_api_key"},
		{"wrong key", "GET", keyed.URL + "/v1/models", "", []string{"Authorization", "Bearer k2"}, 401, "invalid_api_key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := do(t, tc.method, tc.url, tc.body, tc.hdr...)
			if status != tc.wantStatus {
				t.Errorf("status = %d, want %d (%s)", status, tc.wantStatus, body)
			}
			var e struct {
				Error struct {
					Message, Type, Code string
				} `json:"error"`
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Error.Message == "" || e.Error.Type == "" {
				t.Fatalf("not an OpenAI error: %s", body)
			}
			if e.Error.Code != tc.wantCode {
				t.Errorf("code = %q, want %q", e.Error.Code, tc.wantCode)
			}
		})
	}
}

func TestAuthAndPublicReport(t *testing.T) {
	_, ts := newServer(t, simbackend.Options{APIKey: "k1"})
	if status, body := do(t, "GET", ts.URL+"/v1/models", "", "Authorization", "Bearer k1"); status != 200 {
		t.Errorf("with key: %d %s", status, body)
	}
	if status, body := do(t, "GET", ts.URL+"/v1/attestation/report", ""); status != 200 {
		t.Errorf("report without key: %d %s", status, body)
	}
}

func TestModels(t *testing.T) {
	_, ts := newServer(t, simbackend.Options{})
	status, body := do(t, "GET", ts.URL+"/v1/models", "")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			ID          string `json:"id"`
			Object      string `json:"object"`
			Created     int64  `json:"created"`
			OwnedBy     string `json:"owned_by"`
			MaxModelLen int    `json:"max_model_len"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	if list.Object != "list" || len(list.Data) != 2 {
		t.Fatalf("list = %s", body)
	}
	for i, want := range []string{"sim-chat", "sim-embed"} {
		m := list.Data[i]
		if m.ID != want || m.Object != "model" || m.OwnedBy != "confidant-sim" || m.Created == 0 || m.MaxModelLen == 0 {
			t.Errorf("model %d = %+v", i, m)
		}
	}
	if list.Data[0].MaxModelLen != 8192 {
		t.Errorf("sim-chat max_model_len = %d", list.Data[0].MaxModelLen)
	}
}

func TestEmbeddingsHTTP(t *testing.T) {
	_, ts := newServer(t, simbackend.Options{})
	tests := []struct {
		name  string
		input string
		n     int
	}{
		{"string", `"hello world"`, 1},
		{"array", `["a b", "c d", "e"]`, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := do(t, "POST", ts.URL+"/v1/embeddings", `{"model":"sim-embed","input":`+tc.input+`}`)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			var resp struct {
				Object string `json:"object"`
				Model  string `json:"model"`
				Data   []struct {
					Object    string    `json:"object"`
					Index     int       `json:"index"`
					Embedding []float32 `json:"embedding"`
				} `json:"data"`
				Usage struct {
					PromptTokens int `json:"prompt_tokens"`
					TotalTokens  int `json:"total_tokens"`
				} `json:"usage"`
			}
			if err := json.Unmarshal(body, &resp); err != nil {
				t.Fatal(err)
			}
			if resp.Object != "list" || resp.Model != "sim-embed" || len(resp.Data) != tc.n || resp.Usage.TotalTokens == 0 {
				t.Fatalf("response = %.200s", body)
			}
			for i, d := range resp.Data {
				if d.Index != i || d.Object != "embedding" || len(d.Embedding) != simbackend.EmbedDims {
					t.Errorf("data[%d] index %d object %q dims %d", i, d.Index, d.Object, len(d.Embedding))
				}
			}
		})
	}
	status, body := do(t, "POST", ts.URL+"/v1/embeddings", `{"model":"sim-embed","input":"x","encoding_format":"base64"}`)
	if status != 200 || !strings.Contains(string(body), `"embedding":"`) {
		t.Errorf("base64: %d %.120s", status, body)
	}
}

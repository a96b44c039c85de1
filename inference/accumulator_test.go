package inference

import (
	"errors"
	"testing"
)

// Each chunk payload adds its delta; an error event, whatever else it
// holds, is an error; anything that is not JSON is a protocol error.
func TestAccumulatorAdd(t *testing.T) {
	tests := []struct {
		name          string
		chunks        []string
		wantContent   string
		wantReasoning string
		wantFinish    string
		wantUsage     int // total tokens
		wantStatusErr string
		wantErr       error
	}{
		{name: "content and finish", chunks: []string{
			`{"id":"c1","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
			`{"id":"c1","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}]}`,
			`{"id":"c1","choices":[{"index":0,"delta":{"content":", \"world\" \u00e9"}}]}`,
			`{"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`,
		}, wantContent: `Hello, "world" é`, wantFinish: "stop", wantUsage: 7},
		{name: "reasoning, other choices ignored", chunks: []string{
			`{"choices":[{"index":0,"delta":{"reasoning_content":"think"}},{"index":1,"delta":{"content":"other"}}]}`,
			`{"choices":[{"index":0,"delta":{"content":"answer"}}]}`,
		}, wantContent: "answer", wantReasoning: "think"},
		{name: "names in another case", chunks: []string{`{"Choices":[{"Index":0,"Delta":{"Content":"hi"}}]}`}, wantContent: "hi"},
		{name: "invalid UTF-8 is tolerated", chunks: []string{"{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\xffb\"}}]}"}, wantContent: "a\ufffdb"},
		{name: "null error is no error", chunks: []string{`{"error":null,"choices":[{"index":0,"delta":{"content":"ok"}}]}`}, wantContent: "ok"},
		{name: "error event", chunks: []string{`{"error":{"message":"overloaded","type":"server_error","code":"busy"}}`}, wantStatusErr: "busy"},
		{name: "error event of another shape", chunks: []string{`{"error":{"message":"bad","code":"odd"},"choices":"not a list"}`}, wantStatusErr: "odd"},
		{name: "not JSON", chunks: []string{`{"choices":[`}, wantErr: ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var res Result
			acc := accumulator{res: &res, calls: map[int]int{}}
			var err error
			for _, c := range tt.chunks {
				if _, err = acc.add([]byte(c)); err != nil {
					break
				}
			}
			var se *StatusError
			switch {
			case tt.wantStatusErr != "":
				if !errors.As(err, &se) || se.Code != tt.wantStatusErr {
					t.Fatalf("err = %v, want a status error with code %q", err, tt.wantStatusErr)
				}
				return
			case !errors.Is(err, tt.wantErr):
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			case err != nil:
				return
			}
			if res.Content != tt.wantContent || res.Reasoning != tt.wantReasoning || res.FinishReason != tt.wantFinish || res.Usage.TotalTokens != tt.wantUsage {
				t.Errorf("result = %+v", res)
			}
		})
	}
}

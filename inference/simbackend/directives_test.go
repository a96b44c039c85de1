package simbackend

import (
	"errors"
	"testing"
	"time"
)

func TestParseDirectives(t *testing.T) {
	type want struct {
		text      string
		delay     time.Duration
		tokens    int
		failAfter int
		tool      string
		args      string
	}
	tests := []struct {
		name    string
		in      string
		want    want
		wantErr bool
	}{
		{"none", "hello there", want{text: "hello there", tokens: -1, failAfter: -1}, false},
		{"delay", "hi [[sim:delay=20ms]]", want{text: "hi", delay: 20 * time.Millisecond, tokens: -1, failAfter: -1}, false},
		{"tokens and fail", "[[sim:tokens=200]] go [[sim:fail-after=5]]", want{text: "go", tokens: 200, failAfter: 5}, false},
		{"tool with args", `[[sim:tool=get_weather {"city": "Paris", "days": [1, 2]}]] weather?`,
			want{text: "weather?", tokens: -1, failAfter: -1, tool: "get_weather", args: `{"city":"Paris","days":[1,2]}`}, false},
		{"tool args with brackets", `[[sim:tool=t {"a":[[1]],"b":"]]"}]]`,
			want{tokens: -1, failAfter: -1, tool: "t", args: `{"a":[[1]],"b":"]]"}`}, false},
		{"tool without args", "[[sim:tool=ping]]", want{tokens: -1, failAfter: -1, tool: "ping", args: "{}"}, false},
		{"unknown", "[[sim:explode=1]]", want{}, true},
		{"bad delay", "[[sim:delay=soon]]", want{}, true},
		{"negative tokens", "[[sim:tokens=-1]]", want{}, true},
		{"too many tokens", "[[sim:tokens=100001]]", want{}, true},
		{"unterminated", "[[sim:tokens=3", want{}, true},
		{"tool args not object", "[[sim:tool=t [1]]]", want{}, true},
		{"tool bad json", "[[sim:tool=t {nope}]]", want{}, true},
		{"tool bad name", "[[sim:tool=bad.name]]", want{}, true},
		{"tool unterminated", `[[sim:tool=t {"a":1}`, want{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text, d, err := parseDirectives(tc.in)
			if tc.wantErr {
				if !errors.Is(err, errDirective) {
					t.Fatalf("err = %v, want errDirective", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := want{text: text, tokens: -1, failAfter: -1}
			if d.delay != nil {
				got.delay = *d.delay
			}
			if d.tokens != nil {
				got.tokens = *d.tokens
			}
			if d.failAfter != nil {
				got.failAfter = *d.failAfter
			}
			if d.tool != nil {
				got.tool, got.args = d.tool.name, d.tool.args
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

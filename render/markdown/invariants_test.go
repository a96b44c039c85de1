package markdown

import (
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/alecthomas/chroma/v2"
	"golang.org/x/net/html"
)

// quietOptions returns Options whose logger discards output (hostile and
// fuzz inputs legitimately trigger highlighting fallbacks).
func quietOptions() Options {
	return Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// stableOptions is quietOptions with a highlighting budget no loaded test
// machine exhausts, for tests that compare exact output.
func stableOptions() Options {
	o := quietOptions()
	o.HighlightBudget = time.Minute
	return o
}

// voidElements may appear without an end tag.
var voidElements = map[string]bool{"br": true, "hr": true, "input": true}

// allowedAttrs lists, independently of policy.go, every element the output
// may contain and the attributes each may carry, with a value check.
var allowedAttrs = func() map[string]map[string]*regexp.Regexp {
	none := map[string]*regexp.Regexp{}
	chromaClasses := []string{"code-lang"}
	for _, c := range chroma.StandardTypes {
		if c != "" {
			chromaClasses = append(chromaClasses, regexp.QuoteMeta(c))
		}
	}
	re := regexp.MustCompile
	m := map[string]map[string]*regexp.Regexp{
		"ol":     {"start": re(`^[0-9]+$`)},
		"th":     {"align": re(`^(left|center|right)$`)},
		"td":     {"align": re(`^(left|center|right)$`)},
		"a":      {"href": re(`^(https?://|mailto:)`), "rel": re(`^noopener noreferrer nofollow$`), "target": re(`^_blank$`)},
		"input":  {"type": re(`^checkbox$`), "disabled": re(`^$`), "checked": re(`^$`)},
		"div":    {"class": re(`^(code-block|code-head)$`), "data-lang": re(`^[a-z0-9_+#.-]{1,32}$`)},
		"span":   {"class": re(`^(` + strings.Join(chromaClasses, "|") + `)$`)},
		"button": {"type": re(`^button$`), "class": re(`^copy-code$`), "data-copy-code": re(`^$`)},
		"pre":    {"class": re(`^chroma$`)},
		"p":      {"class": re(`^md-truncated$`)},
	}
	for _, el := range []string{"br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
		"ul", "li", "em", "strong", "del", "code", "table", "thead", "tbody", "tr"} {
		m[el] = none
	}
	return m
}()

// forbiddenRaw must never appear in the raw output (text is escaped, so a
// literal "<" only ever starts a tag the renderer emitted).
var forbiddenRaw = []string{
	"<script", "<style", "<svg", "<math", "<iframe", "<img", "<object", "<embed",
	"<form", "<link", "<meta", "<base", "<textarea", "<select", "<template",
	"<noscript", "<video", "<audio", "<source", "<frame", "<!--", "<?", "<![cdata[",
}

// checkSafe verifies the security and well-formedness invariants of one
// rendered output and returns a description of the first violation.
func checkSafe(out string) error {
	lower := strings.ToLower(out)
	for _, bad := range forbiddenRaw {
		if strings.Contains(lower, bad) {
			return fmt.Errorf("raw output contains %q", bad)
		}
	}
	var stack []string
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		switch z.Next() {
		case html.ErrorToken:
			if z.Err() != io.EOF {
				return fmt.Errorf("tokenizer: %w", z.Err())
			}
			if len(stack) > 0 {
				return fmt.Errorf("unclosed elements %v", stack)
			}
			return nil
		case html.CommentToken, html.DoctypeToken:
			return fmt.Errorf("comment or doctype in output")
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if err := checkTag(tok); err != nil {
				return err
			}
			if !voidElements[tok.Data] {
				stack = append(stack, tok.Data)
			}
		case html.EndTagToken:
			tok := z.Token()
			if len(stack) == 0 || stack[len(stack)-1] != tok.Data {
				return fmt.Errorf("unbalanced </%s>, open: %v", tok.Data, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
}

func checkTag(tok html.Token) error {
	attrs, ok := allowedAttrs[tok.Data]
	if !ok {
		return fmt.Errorf("element <%s> not allowed", tok.Data)
	}
	seen := map[string]string{}
	for _, a := range tok.Attr {
		check, ok := attrs[a.Key]
		if !ok || a.Namespace != "" {
			return fmt.Errorf("attribute %s on <%s> not allowed", a.Key, tok.Data)
		}
		if !check.MatchString(a.Val) {
			return fmt.Errorf("attribute %s=%q on <%s> not allowed", a.Key, a.Val, tok.Data)
		}
		seen[a.Key] = a.Val
	}
	switch tok.Data {
	case "a":
		for _, need := range []string{"href", "rel", "target"} {
			if _, ok := seen[need]; !ok {
				return fmt.Errorf("<a> without %s: %v", need, tok.Attr)
			}
		}
		if u := strings.ToLower(strings.Map(dropSpaceCtl, seen["href"])); strings.HasPrefix(u, "javascript:") ||
			strings.HasPrefix(u, "vbscript:") || strings.HasPrefix(u, "data:") {
			return fmt.Errorf("dangerous href %q", seen["href"])
		}
	case "input":
		if _, ok := seen["disabled"]; !ok || seen["type"] != "checkbox" {
			return fmt.Errorf("input must be a disabled checkbox: %v", tok.Attr)
		}
	}
	return nil
}

func dropSpaceCtl(r rune) rune {
	if r <= ' ' || r == 0x7f {
		return -1
	}
	return r
}

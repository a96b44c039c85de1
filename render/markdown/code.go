package markdown

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// renderStateKey is the Document meta key holding the *renderState of the
// Render call that produced the document.
const renderStateKey = "confidant/render/markdown.state"

// renderState is per-Render bookkeeping for code highlighting: the time
// after which highlighting stops, and the blocks shown unhighlighted
// because of an error, which Render logs once rather than per block.
type renderState struct {
	deadline time.Time
	skipped  int
	firstErr error
}

// stateOf returns the renderState attached to n's document. A node outside
// a Render-made document gets a spent budget (no highlighting).
func stateOf(n ast.Node) *renderState {
	if doc := n.OwnerDocument(); doc != nil {
		if st, ok := doc.Meta()[renderStateKey].(*renderState); ok {
			return st
		}
	}
	return &renderState{}
}

// maxLangLen bounds the language label taken from a fence info string.
const maxLangLen = 32

// codeRenderer renders fenced and indented code blocks with chroma, using
// CSS classes only, inside the copy-button wrapper described in the package
// documentation.
type codeRenderer struct {
	formatter *chromahtml.Formatter
	style     *chroma.Style
	maxBytes  int
}

func newCodeRenderer(opts Options) *codeRenderer {
	return &codeRenderer{
		// WithClasses: class="kd" instead of style="…" (CSP forbids inline
		// styles). PreventSurroundingPre: we write <pre><code> ourselves and
		// skip chroma's per-line wrapper spans.
		formatter: chromahtml.New(chromahtml.WithClasses(true), chromahtml.PreventSurroundingPre(true)),
		style:     styles.Fallback, // unused for colours in class mode
		maxBytes:  opts.MaxHighlightBytes,
	}
}

// RegisterFuncs implements renderer.NodeRenderer.
func (c *codeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, c.renderFenced)
	reg.Register(ast.KindCodeBlock, c.renderIndented)
}

func (c *codeRenderer) renderFenced(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.FencedCodeBlock)
	c.render(w, source, n, cleanLang(n.Language(source)))
	return ast.WalkSkipChildren, nil
}

func (c *codeRenderer) renderIndented(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	c.render(w, source, node, "")
	return ast.WalkSkipChildren, nil
}

// render writes one wrapped code block. Write errors on w are sticky in the
// bufio.Writer goldmark hands us and surface from its final Flush.
func (c *codeRenderer) render(w util.BufWriter, source []byte, n ast.Node, lang string) {
	var code bytes.Buffer
	lines := n.Lines()
	for i := range lines.Len() {
		seg := lines.At(i)
		code.Write(seg.Value(source))
	}
	label := lang
	if label == "" {
		label = "text"
	}
	_, _ = w.WriteString(`<div class="code-block" data-lang="`)
	_, _ = w.Write(util.EscapeHTML([]byte(label)))
	_, _ = w.WriteString(`"><div class="code-head"><span class="code-lang">`)
	_, _ = w.Write(util.EscapeHTML([]byte(label)))
	_, _ = w.WriteString(`</span><button type="button" class="copy-code" data-copy-code>Copy</button></div>`)
	_, _ = w.WriteString(`<pre class="chroma"><code>`)
	st := stateOf(n)
	body, err := c.highlight(lang, code.String(), st.deadline)
	if err != nil {
		if st.skipped == 0 {
			st.firstErr = fmt.Errorf("%q block of %d bytes: %w", lang, code.Len(), err)
		}
		st.skipped++
		body = util.EscapeHTML(code.Bytes())
	}
	_, _ = w.Write(body)
	_, _ = w.WriteString("</code></pre></div>\n")
}

// highlight returns chroma's class-annotated HTML for code. An error means
// the caller should fall back to plain escaped text; unknown or missing
// languages are not an error (they are simply escaped).
func (c *codeRenderer) highlight(lang, code string, deadline time.Time) ([]byte, error) {
	var lexer chroma.Lexer
	if lang != "" {
		lexer = lexers.Get(lang)
	}
	if lexer == nil {
		return util.EscapeHTML([]byte(code)), nil
	}
	if len(code) > c.maxBytes {
		return nil, fmt.Errorf("block larger than %d bytes", c.maxBytes)
	}
	if time.Now().After(deadline) {
		return nil, errors.New("highlight time budget spent")
	}
	it, err := chroma.Coalesce(lexer).Tokenise(nil, code)
	if err != nil {
		return nil, fmt.Errorf("tokenise: %w", err)
	}
	var tokens []chroma.Token
	for tok := it(); tok != chroma.EOF; tok = it() {
		if time.Now().After(deadline) {
			return nil, errors.New("highlight time budget spent mid-block")
		}
		tokens = append(tokens, tok)
	}
	var out bytes.Buffer
	if err := c.formatter.Format(&out, c.style, chroma.Literator(tokens...)); err != nil {
		return nil, fmt.Errorf("format: %w", err)
	}
	return out.Bytes(), nil
}

// cleanLang reduces a fence info word to a short, lower-case label made of
// [a-z0-9_+#.-]; anything else is dropped.
func cleanLang(info []byte) string {
	var b strings.Builder
	for _, ch := range bytes.ToLower(info) {
		if b.Len() == maxLangLen {
			break
		}
		switch {
		case ch >= 'a' && ch <= 'z', ch >= '0' && ch <= '9',
			ch == '_', ch == '+', ch == '#', ch == '.', ch == '-':
			b.WriteByte(ch)
		}
	}
	return b.String()
}

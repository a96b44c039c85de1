package markdown

import (
	"bytes"
	"fmt"
	"html/template"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Defaults used when the corresponding Options field is zero or negative.
const (
	DefaultMaxInputBytes     = 1 << 20 // 1 MiB
	DefaultMaxHighlightBytes = 64 << 10
	DefaultHighlightBudget   = 500 * time.Millisecond
	DefaultMaxNesting        = 32
	DefaultMaxTableCells     = 50_000
)

// truncatedMarker is appended (and sanitized like everything else) when the
// input was longer than Options.MaxInputBytes.
const truncatedMarker = `<p class="md-truncated">[… message truncated …]</p>`

// Options configures a Renderer. The zero value is usable: every limit falls
// back to its Default* constant.
type Options struct {
	// MaxInputBytes caps the Markdown source; longer input is cut on a UTF-8
	// boundary and a "message truncated" paragraph is appended.
	MaxInputBytes int
	// MaxHighlightBytes caps the size of a single code block that is syntax
	// highlighted; larger blocks are shown escaped but unhighlighted.
	MaxHighlightBytes int
	// HighlightBudget is the total time one Render call may spend in the
	// syntax highlighter. Once spent, the remaining code blocks are shown
	// unhighlighted. Highlighting is cosmetic; this bounds hostile lexer input.
	HighlightBudget time.Duration
	// MaxNesting is the deepest nesting of block quotes, lists and inline
	// emphasis that is rendered as such; deeper levels are flattened.
	MaxNesting int
	// MaxTableCells bounds rows×columns of one GFM table; a bigger "table"
	// stays a paragraph (GFM pads short rows, so a wide header followed by
	// many one-character rows would otherwise explode in size).
	MaxTableCells int
	// Logger receives warnings about degraded rendering (e.g. a code block
	// shown without highlighting because the lexer failed). Nil means
	// slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.MaxInputBytes <= 0 {
		o.MaxInputBytes = DefaultMaxInputBytes
	}
	if o.MaxHighlightBytes <= 0 {
		o.MaxHighlightBytes = DefaultMaxHighlightBytes
	}
	if o.HighlightBudget <= 0 {
		o.HighlightBudget = DefaultHighlightBudget
	}
	if o.MaxNesting <= 0 {
		o.MaxNesting = DefaultMaxNesting
	}
	if o.MaxTableCells <= 0 {
		o.MaxTableCells = DefaultMaxTableCells
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Renderer converts Markdown to sanitized HTML. Build it once with New; it
// is safe for concurrent use.
type Renderer struct {
	opts   Options
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// New builds a Renderer. It does no I/O and keeps no global state.
func New(opts Options) *Renderer {
	opts = opts.withDefaults()
	code := newCodeRenderer(opts)
	md := goldmark.New(
		goldmark.WithParser(parser.NewParser(
			parser.WithBlockParsers(blockParsers()...),
			parser.WithInlineParsers(parser.DefaultInlineParsers()...),
			parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
		)),
		goldmark.WithExtensions(
			// GFM minus extension.Table, which is assembled below so that
			// paragraphGuard can bound it.
			extension.Linkify,
			extension.Strikethrough,
			extension.TaskList,
		),
		goldmark.WithParserOptions(
			// No WithAutoHeadingID and no WithAttribute: the renderer must
			// never emit id= (DOM clobbering) or author-chosen attributes.
			parser.WithParagraphTransformers(util.Prioritized(&paragraphGuard{
				table:    extension.NewTableParagraphTransformer(),
				maxCells: opts.MaxTableCells,
			}, 200)),
			parser.WithASTTransformers(
				util.Prioritized(extension.NewTableASTTransformer(), 0),
				util.Prioritized(&depthLimiter{max: opts.MaxNesting}, 1000),
			),
		),
		goldmark.WithRendererOptions(
			// html.WithUnsafe is deliberately absent.
			html.WithHardWraps(),
			renderer.WithNodeRenderers(
				util.Prioritized(extension.NewTableHTMLRenderer(
					extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)), 500),
				util.Prioritized(&nodeRenderer{}, 100),
				util.Prioritized(code, 100),
			),
		),
	)
	return &Renderer{opts: opts, md: md, policy: newPolicy()}
}

// Render converts src to sanitized HTML. The result may be embedded
// unescaped, e.g. templ.Raw(r.Render(src)) or via [Renderer.Component].
// An error is returned only if goldmark itself fails; the HTML is then empty.
func (r *Renderer) Render(src string) (template.HTML, error) {
	src, truncated := truncate(src, r.opts.MaxInputBytes)
	if !utf8.ValidString(src) {
		src = strings.ToValidUTF8(src, "\uFFFD")
	}
	src = limitLineNesting(neutralizeBidi(src), r.opts.MaxNesting)

	var buf bytes.Buffer
	buf.Grow(len(src) + len(src)/2)
	source := []byte(src)
	doc := r.md.Parser().Parse(text.NewReader(source), parser.WithContext(newRenderContext()))
	st := &renderState{deadline: time.Now().Add(r.opts.HighlightBudget)}
	if d, ok := doc.(*ast.Document); ok { // always, per goldmark's contract
		d.AddMeta(renderStateKey, st)
	}
	if err := r.md.Renderer().Render(&buf, source, doc); err != nil {
		return "", fmt.Errorf("markdown: render: %w", err)
	}
	if st.skipped > 0 {
		r.opts.Logger.Warn("markdown: code blocks shown without highlighting",
			slog.Int("blocks", st.skipped), slog.Any("first", st.firstErr))
	}
	if truncated {
		buf.WriteString(truncatedMarker)
	}
	return template.HTML(r.policy.SanitizeBytes(buf.Bytes())), nil
}

// Component returns a templ component that writes the sanitized HTML of src.
// Rendering happens immediately; a render error is reported by the
// component's Render method.
func (r *Renderer) Component(src string) templ.Component {
	return templ.Raw(r.Render(src))
}

// truncate cuts s to at most max bytes without splitting a UTF-8 sequence.
func truncate(s string, max int) (string, bool) {
	if len(s) <= max {
		return s, false
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut], true
}

// neutralizeBidi replaces explicit bidi embedding, override and isolate
// controls with U+FFFD. Implicit marks (U+200E/U+200F) are kept: they are
// used legitimately in right-to-left text and cannot reorder runs.
func neutralizeBidi(s string) string {
	if !strings.ContainsFunc(s, isBidiControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isBidiControl(r) {
			return utf8.RuneError
		}
		return r
	}, s)
}

func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

package markdown

import (
	"bytes"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// goldmark's inline parser is quadratic on some hostile inputs (e.g.
// "[a](" or "**a_" repeated: unclosed link destinations and delimiter runs
// are rescanned to the end of the block). Cost grows with the square of a
// block's size, so every block with inline content (paragraph, heading) is
// charged size² against a per-Render budget; a block that does not fit is
// rendered as literal text without inline parsing. Ordinary messages, with
// paragraphs of a few KiB, never come near the budget.
const (
	// freeInlineBytes: blocks up to this size are always parsed.
	freeInlineBytes = 512
	// inlineBudget is the sum of size² over parsed blocks above
	// freeInlineBytes: about 0.5 s of worst-case parsing, and one block of
	// at most ~23 KiB.
	inlineBudget = 1 << 29
)

// renderContext is the goldmark parser context for one Render call; it
// carries the inline-parsing budget to the guards below.
type renderContext struct {
	parser.Context
	spent int
}

func newRenderContext() *renderContext {
	return &renderContext{Context: parser.NewContext()}
}

// allowInline reports whether a block of size bytes may be inline-parsed,
// charging the budget if so. Without a renderContext only free sizes pass.
func allowInline(pc parser.Context, size int) bool {
	if size <= freeInlineBytes {
		return true
	}
	rc, ok := pc.(*renderContext)
	if !ok || rc.spent+size*size > inlineBudget {
		return false
	}
	rc.spent += size * size
	return true
}

// paragraphGuard is a paragraph transformer that turns paragraphs over the
// inline budget into literal text, and hands the rest to goldmark's GFM
// table transformer unless the table could exceed maxCells cells (GFM pads
// every row to the header's width, so a wide header followed by many
// one-character rows would explode in size).
type paragraphGuard struct {
	table    parser.ParagraphTransformer
	maxCells int
}

// Transform implements parser.ParagraphTransformer.
func (g *paragraphGuard) Transform(node *ast.Paragraph, reader text.Reader, pc parser.Context) {
	lines := node.Lines()
	source := reader.Source()
	size, widest := 0, 0
	for i := range lines.Len() {
		seg := lines.At(i)
		size += seg.Len()
		// A row has at most one more cell than it has pipes, and rows are
		// padded to the header, which is itself one of these lines.
		if cols := bytes.Count(seg.Value(source), []byte{'|'}) + 1; cols > widest {
			widest = cols
		}
	}
	if !allowInline(pc, size) {
		toLiteral(node, source)
		return
	}
	if lines.Len() < 2 || widest == 1 || widest*lines.Len() > g.maxCells {
		return
	}
	g.table.Transform(node, reader, pc)
}

// headingGuard wraps goldmark's ATX heading parser and turns headings over
// the inline budget into literal text. (Setext headings are made from a
// paragraph, which paragraphGuard has already charged.) Only BlockParser
// methods are forwarded, so options such as auto heading IDs cannot be
// switched on for it.
type headingGuard struct {
	parser.BlockParser
}

// Close implements parser.BlockParser.
func (g headingGuard) Close(node ast.Node, reader text.Reader, pc parser.Context) {
	g.BlockParser.Close(node, reader, pc)
	if node.Parent() == nil {
		return
	}
	size := 0
	lines := node.Lines()
	for i := range lines.Len() {
		seg := lines.At(i)
		size += seg.Len()
	}
	if !allowInline(pc, size) {
		toLiteral(node, reader.Source())
	}
}

// toLiteral replaces block n by a literal block holding the same lines.
// goldmark never inline-parses it; nodeRenderer.renderHTMLBlock shows it as
// escaped text, exactly like raw HTML written by the author.
func toLiteral(n ast.Node, source []byte) {
	lit := ast.NewHTMLBlock(ast.HTMLBlockType7)
	lines := n.Lines()
	for i := range lines.Len() {
		seg := lines.At(i)
		lit.Lines().Append(seg.TrimLeftSpace(source))
	}
	lit.SetBlankPreviousLines(n.HasBlankPreviousLines())
	n.Parent().ReplaceChild(n.Parent(), n, lit)
}

// blockParsers mirrors parser.DefaultBlockParsers (same parsers, same
// priorities) with the ATX heading parser wrapped in headingGuard.
func blockParsers() []util.PrioritizedValue {
	return []util.PrioritizedValue{
		util.Prioritized(parser.NewSetextHeadingParser(), 100),
		util.Prioritized(parser.NewThematicBreakParser(), 200),
		util.Prioritized(parser.NewListParser(), 300),
		util.Prioritized(parser.NewListItemParser(), 400),
		util.Prioritized(parser.NewCodeBlockParser(), 500),
		util.Prioritized(headingGuard{BlockParser: parser.NewATXHeadingParser()}, 600),
		util.Prioritized(parser.NewFencedCodeBlockParser(), 700),
		util.Prioritized(parser.NewBlockquoteParser(), 800),
		util.Prioritized(parser.NewHTMLBlockParser(), 900),
		util.Prioritized(parser.NewParagraphParser(), 1000),
	}
}

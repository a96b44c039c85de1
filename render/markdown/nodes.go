package markdown

import (
	"github.com/yuin/goldmark/ast"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// nodeRenderer overrides goldmark's HTML rendering for the node kinds whose
// default output is unsafe or unwanted here. Every other kind keeps
// goldmark's renderer, which escapes text and emits no attributes because
// attribute syntax and heading IDs are disabled.
//
// Write errors are ignored per call, as in goldmark itself: goldmark wraps
// the output in a bufio.Writer whose first error is sticky and is returned
// by the final Flush, i.e. by Renderer.Render.
type nodeRenderer struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (r *nodeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindLink, r.renderLink)
	reg.Register(ast.KindAutoLink, r.renderAutoLink)
	reg.Register(ast.KindImage, r.renderImage)
	reg.Register(ast.KindRawHTML, r.renderRawHTML)
	reg.Register(ast.KindHTMLBlock, r.renderHTMLBlock)
	reg.Register(extast.KindTaskCheckBox, r.renderTaskCheckBox)
}

// renderRawHTML shows inline HTML as the literal text the author wrote.
func (r *nodeRenderer) renderRawHTML(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	n := node.(*ast.RawHTML)
	for i := range n.Segments.Len() {
		seg := n.Segments.At(i)
		_, _ = w.Write(util.EscapeHTML(seg.Value(source)))
	}
	return ast.WalkSkipChildren, nil
}

// renderHTMLBlock shows an HTML block as an escaped paragraph, one <br> per
// source line, so e.g. a pasted "<div>…</div>" stays readable as text.
func (r *nodeRenderer) renderHTMLBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.HTMLBlock)
	_, _ = w.WriteString("<p>")
	first := true
	write := func(seg []byte) {
		if !first {
			_, _ = w.WriteString("<br>\n")
		}
		first = false
		_, _ = w.Write(util.EscapeHTML(trimEOL(seg)))
	}
	lines := n.Lines()
	for i := range lines.Len() {
		seg := lines.At(i)
		write(seg.Value(source))
	}
	if n.HasClosure() {
		write(n.ClosureLine.Value(source))
	}
	_, _ = w.WriteString("</p>\n")
	return ast.WalkSkipChildren, nil
}

// renderTaskCheckBox emits a disabled checkbox: the list is read-only.
func (r *nodeRenderer) renderTaskCheckBox(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	if node.(*extast.TaskCheckBox).IsChecked {
		_, _ = w.WriteString(`<input type="checkbox" disabled checked> `)
	} else {
		_, _ = w.WriteString(`<input type="checkbox" disabled> `)
	}
	return ast.WalkContinue, nil
}

func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

package markdown

import (
	"github.com/yuin/goldmark/ast"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// depthLimiter is an AST transformer that flattens nesting deeper than max:
// a too-deep block quote, list, emphasis, strikethrough, link or image is
// replaced by its children (a list also loses its items' wrappers). The
// text survives; only the structure is dropped. This bounds the depth of
// the emitted HTML (browsers re-parent beyond ~512 levels, and deep trees
// make every later pass slower).
type depthLimiter struct {
	max int
}

// Transform implements parser.ASTTransformer.
func (d *depthLimiter) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	d.limit(doc, 0)
}

func (d *depthLimiter) limit(parent ast.Node, depth int) {
	for c := parent.FirstChild(); c != nil; {
		next := c.NextSibling()
		if !nests(c) {
			d.limit(c, depth)
			c = next
			continue
		}
		if depth < d.max {
			d.limit(c, depth+1)
			c = next
			continue
		}
		// Too deep: splice c's content into parent and revisit it there.
		first := c.FirstChild()
		if _, isList := c.(*ast.List); isList {
			for item := first; item != nil; {
				after := item.NextSibling()
				unwrap(c, item)
				item = after
			}
			first = c.FirstChild()
		}
		unwrap(parent, c)
		if first != nil {
			next = first
		}
		c = next
	}
}

// nests reports whether n counts towards the nesting depth.
func nests(n ast.Node) bool {
	switch n.(type) {
	case *ast.Blockquote, *ast.List, *ast.Emphasis, *ast.Link, *ast.Image, *extast.Strikethrough:
		return true
	}
	return false
}

// unwrap moves n's children into parent in n's place and removes n.
func unwrap(parent, n ast.Node) {
	for c := n.FirstChild(); c != nil; {
		next := c.NextSibling()
		parent.InsertBefore(parent, n, c)
		c = next
	}
	parent.RemoveChild(parent, n)
}

package markdown

import (
	"regexp"
	"slices"
	"strings"

	"github.com/alecthomas/chroma/v2"
	"github.com/microcosm-cc/bluemonday"
)

// newPolicy returns the bluemonday policy applied to every rendered
// message. It allows exactly the markup this package emits:
//
//	p br hr h1–h6 blockquote ul li em strong del code pre
//	ol[start]                                   start is digits only
//	table thead tbody tr, th[align] td[align]   align ∈ left|center|right
//	a[href rel target]                          href: absolute http, https, mailto;
//	                                            rel="noopener noreferrer nofollow";
//	                                            target="_blank"
//	input[type disabled checked]                type="checkbox" only (task lists)
//	div.code-block[data-lang], div.code-head    data-lang: [a-z0-9_+#.-]{1,32}
//	span.code-lang, span.<chroma token class>   the classes chroma can emit
//	button.copy-code[type data-copy-code]       type="button", empty data attr
//	pre.chroma
//	p.md-truncated                              the truncation marker
//
// Everything else is removed: style, id, name, on*, and any other attribute;
// script/style elements together with their content; svg, math, iframe,
// object, embed, form, img and every other element (their text is kept).
// Comments are dropped.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements(
		"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
		"ul", "ol", "li", "em", "strong", "del", "code", "pre",
		"table", "thead", "tbody", "tr", "th", "td",
		"a", "input", "div", "span", "button",
	)
	p.AllowAttrs("start").Matching(regexp.MustCompile(`^[0-9]{1,9}$`)).OnElements("ol")
	p.AllowAttrs("align").Matching(regexp.MustCompile(`^(?:left|center|right)$`)).OnElements("th", "td")

	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(false)
	p.RequireParseableURLs(true)
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^noopener noreferrer nofollow$`)).OnElements("a")
	p.AllowAttrs("target").Matching(regexp.MustCompile(`^_blank$`)).OnElements("a")

	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("disabled", "checked").Matching(regexp.MustCompile(`^$`)).OnElements("input")

	p.AllowAttrs("class").Matching(regexp.MustCompile(`^(?:code-block|code-head)$`)).OnElements("div")
	p.AllowAttrs("data-lang").Matching(regexp.MustCompile(`^[a-z0-9_+#.-]{1,32}$`)).OnElements("div")
	p.AllowAttrs("class").Matching(spanClassPattern()).OnElements("span")
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^button$`)).OnElements("button")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^copy-code$`)).OnElements("button")
	p.AllowAttrs("data-copy-code").Matching(regexp.MustCompile(`^$`)).OnElements("button")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^chroma$`)).OnElements("pre")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^md-truncated$`)).OnElements("p")
	return p
}

// spanClassPattern matches "code-lang" or exactly one chroma token class.
func spanClassPattern() *regexp.Regexp {
	classes := []string{"code-lang"}
	for _, cls := range chroma.StandardTypes {
		if cls != "" {
			classes = append(classes, regexp.QuoteMeta(cls))
		}
	}
	slices.Sort(classes)
	classes = slices.Compact(classes)
	return regexp.MustCompile(`^(?:` + strings.Join(classes, "|") + `)$`)
}

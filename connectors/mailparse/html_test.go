package mailparse

import "testing"

func TestHTMLToText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"paragraphs", "<p>one</p><p>two</p>", "one\n\ntwo"},
		{"inline whitespace", "<p>a   <b>bold</b>\n  word</p>", "a bold word"},
		{"entities", "<p>&lt;tag&gt; &amp; &eacute;&#8364;</p>", "<tag> & é€"},
		{"link with target", `<a href="https://x.org/a?b=1">docs</a>`, "docs (https://x.org/a?b=1)"},
		{"link that is its target", `<a href="https://x.org/">https://x.org/</a>`, "https://x.org/"},
		{"mailto shown once", `<a href="mailto:bob@x.org">bob@x.org</a>`, "bob@x.org"},
		{"javascript link dropped", `<a href="javascript:alert(1)">click</a>`, "click"},
		{"script and style dropped", "<style>.a{}</style>x<script>var s='<p>no</p>'</script>y", "xy"},
		{"unclosed script drops the rest", "before<script>alert(1)", "before"},
		{"pre keeps lines", "<pre>a  b\n  c</pre>", "a  b\n  c"},
		{"list", "<ul><li>one</li><li>two</li></ul>", "- one\n- two"},
		{"br", "a<br>b<br/>c", "a\nb\nc"},
		{"comments and doctype", "<!DOCTYPE html><!-- hidden -->text", "text"},
		{"image alt", `<img src="x.png" alt="Logo">`, "[Logo]"},
		{"blank lines collapse", "<div><div><p>a</p></div></div><p></p><p></p><p>b</p>", "a\n\nb"},
		{"not html at all", "just text", "just text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := htmlToText(tt.in); got != tt.want {
				t.Errorf("htmlToText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

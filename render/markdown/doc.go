// Package markdown turns untrusted Markdown (model output, later mail text)
// into HTML that is safe to embed in server-rendered templ pages under a
// strict Content-Security-Policy (no 'unsafe-inline' for scripts or styles).
//
// Pipeline, per Render call:
//
//  1. The input is cut to Options.MaxInputBytes (on a UTF-8 boundary) and a
//     "truncated" marker is appended after rendering.
//  2. Invalid UTF-8 becomes U+FFFD, and so do explicit bidi embedding,
//     override and isolate controls (U+202A–U+202E, U+2066–U+2069), so that
//     text cannot visually reorder itself (Trojan-Source style spoofing of
//     links or code).
//  3. goldmark parses CommonMark + GFM (tables, strikethrough, autolinks,
//     task lists). Raw HTML is never passed through: it is shown as escaped
//     text, so "<b>x</b>" in an answer reads literally instead of vanishing.
//     Single newlines become <br> (hard wraps), as in chat apps, because
//     models and people write line-oriented text and expect it to stay so.
//  4. Custom node renderers emit: links only for http, https and mailto
//     URLs, always with rel="noopener noreferrer nofollow" target="_blank";
//     images as links "[image: alt]" instead of <img> (loading a remote image
//     would tell a third party that, and when, the user opened the message);
//     code blocks highlighted by chroma with CSS classes (never style=)
//     inside a wrapper with a copy button; task-list items as disabled
//     checkboxes; table alignment as align= attributes.
//  5. Hostile structure is bounded so rendering time stays roughly linear
//     (about 2 s for the worst 1 MiB inputs found, on a small 2-core VM):
//     more than Options.MaxNesting container markers on one line are
//     escaped before parsing; deeper nesting left after parsing is
//     flattened; tables over Options.MaxTableCells stay text; and blocks
//     whose inline parsing would be too costly (goldmark is quadratic on
//     e.g. "[a](" repeated) are shown as literal text, see budget.go.
//  6. The HTML is passed through a bluemonday policy that allows exactly the
//     markup the renderer emits (listed in policy.go) and nothing else.
//
// The code-block markup is:
//
//	<div class="code-block" data-lang="go">
//	  <div class="code-head"><span class="code-lang">go</span>
//	    <button type="button" class="copy-code" data-copy-code>Copy</button></div>
//	  <pre class="chroma"><code>…chroma <span class="kd">… tokens…</code></pre>
//	</div>
//
// (without the whitespace; the sanitizer writes the empty attribute as
// data-copy-code=""). The app wires the button with delegated JS and
// appends [Renderer.CSS] output to its static stylesheet. Embed output with
// [Renderer.Component] or templ.Raw(r.Render(src)).
package markdown

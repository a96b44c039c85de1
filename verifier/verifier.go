// Package verifier serves the browser verifier at /verifier/: a static
// folder (web/) that runs Confidant's verification code compiled to
// WebAssembly against any deployment's public attestation report. The same
// folder, built by scripts/build-verifier.sh, can be hosted anywhere, so
// checking a deployment does not rest on that deployment vouching for
// itself.
package verifier

import (
	"embed"
	"io/fs"
	"net/http"
)

// files holds the page, its script and style, and — when the build ran
// scripts/build-verifier.sh first (make build does) — wasm_exec.js and
// verifier.wasm.
//
//go:embed web
var files embed.FS

// Built reports whether this binary carries the compiled verifier.
func Built() bool {
	_, err := fs.Stat(files, "web/verifier.wasm")
	return err == nil
}

// Handler serves the folder. The page needs WebAssembly compilation and
// fetches to whatever deployment the person names, so it gets its own
// content security policy.
func Handler() http.Handler {
	sub, err := fs.Sub(files, "web")
	if err != nil {
		panic("verifier: embedded folder missing: " + err.Error()) // unreachable: go:embed guarantees it
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src *; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("Cache-Control", "no-cache")
		if r.URL.Path == "/verifier.wasm" && !Built() {
			http.Error(w, "This build does not include the browser verifier: run `make build` (scripts/build-verifier.sh) first.", http.StatusNotFound)
			return
		}
		files.ServeHTTP(w, r)
	})
}

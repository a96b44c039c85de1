// Package static embeds Confidant's CSS, JavaScript, icons and vendored
// htmx, and serves them under content-hashed names with long cache lifetimes.
package static

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed *.css *.js *.svg vendor/*.js
var files embed.FS

// Prefix is the URL path under which assets are served.
const Prefix = "/static/"

// asset is one file with its hashed URL.
type asset struct {
	body        []byte
	contentType string
}

// Assets maps logical names ("app.css") to hashed URLs
// ("/static/app.3fa2c1d0e9b8.css") and serves them.
type Assets struct {
	urls   map[string]string // logical name → URL path
	byPath map[string]asset  // URL path → file
}

// Load hashes every embedded file once, at start-up.
func Load() (*Assets, error) {
	a := &Assets{urls: map[string]string{}, byPath: map[string]asset{}}
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(name, ".go") {
			return err
		}
		body, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		a.Add(name, body)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static: %w", err)
	}
	return a, nil
}

// Add serves body under a hashed URL for name, for assets made at start-up
// (such as the code-highlighting stylesheet). Call it before serving.
func (a *Assets) Add(name string, body []byte) {
	sum := sha256.Sum256(body)
	ext := path.Ext(name)
	hashed := Prefix + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
	a.urls[name] = hashed
	ct := mime.TypeByExtension(ext)
	if ct == "" {
		ct = "application/octet-stream"
	}
	a.byPath[hashed] = asset{body: body, contentType: ct}
}

// URL returns the hashed URL of a logical asset name. An unknown name is a
// programming error and panics at the first render in tests.
func (a *Assets) URL(name string) string {
	u, ok := a.urls[name]
	if !ok {
		panic("static: unknown asset " + name)
	}
	return u
}

// ServeHTTP serves a hashed asset with an immutable one-year cache lifetime.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := a.byPath[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

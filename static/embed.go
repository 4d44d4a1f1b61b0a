// Package static embeds Lagboard's stylesheets, scripts and vendored libraries and serves
// them under content-hashed names, so browsers may cache them forever and still never run
// an old copy after an upgrade.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed css img js vendor
var files embed.FS

// Prefix is the URL path under which assets are served.
const Prefix = "/static/"

// Assets maps asset names to their hashed URLs and serves them.
type Assets struct {
	fsys   fs.FS
	hashed map[string]string // "vendor/htmx.min.js" -> "vendor/htmx.min.3f2a1b9c04d5.js"
	plain  map[string]string // the reverse
}

// New hashes every embedded file.
func New() (*Assets, error) { return newAssets(files) }

func newAssets(fsys fs.FS) (*Assets, error) {
	a := &Assets{fsys: fsys, hashed: map[string]string{}, plain: map[string]string{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(p)
		if strings.HasSuffix(p, ".min"+ext) {
			ext = ".min" + ext
		}
		h := strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		a.hashed[p] = h
		a.plain[h] = p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static: %w", err)
	}
	return a, nil
}

// Path returns the URL of the named asset, e.g. Path("css/lagboard.css"). An unknown name
// panics: it is a programming error caught by the first render in any test.
func (a *Assets) Path(name string) string {
	h, ok := a.hashed[name]
	if !ok {
		panic("static: no asset " + name)
	}
	return Prefix + h
}

// ServeHTTP serves hashed names with a year-long immutable cache; anything else is 404.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := a.plain[strings.TrimPrefix(r.URL.Path, Prefix)]
	if !ok {
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(a.fsys, name)
	if err != nil {
		http.Error(w, "asset unreadable", http.StatusInternalServerError)
		return
	}
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(b) //nolint:errcheck // the client went away
}

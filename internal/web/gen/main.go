// Command gen bundles the workstation front end (web/) into
// internal/web/dist with the esbuild Go API. Run it through
// `go generate ./internal/web` after `npm ci` in web/ (for three.js);
// dist is committed, so a plain `go build` never needs Node.js.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

func main() {
	src := flag.String("src", "../../web", "front-end project folder (package.json, src/, index.html)")
	out := flag.String("out", "dist", "output folder (replaced)")
	flag.Parse()
	if err := build(*src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "web gen:", err)
		os.Exit(1)
	}
}

func build(src, out string) error {
	if _, err := os.Stat(filepath.Join(src, "node_modules", "three")); err != nil {
		return fmt.Errorf("three.js is not installed: run `npm ci` in %s first (%w)", src, err)
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	res := api.Build(api.BuildOptions{
		EntryPoints:       []string{filepath.Join(src, "src", "main.js"), filepath.Join(src, "src", "style.css")},
		Outdir:            out,
		EntryNames:        "assets/[name]-[hash]",
		Bundle:            true,
		Splitting:         true, // three.js loads only with the 3D view
		ChunkNames:        "assets/[name]-[hash]",
		Write:             true,
		MinifyWhitespace:  true,
		MinifySyntax:      true,
		MinifyIdentifiers: true,
		Format:            api.FormatESModule,
		Target:            api.ES2022,
		LegalComments:     api.LegalCommentsEndOfFile,
		Sourcemap:         api.SourceMapNone,
		LogLevel:          api.LogLevelWarning,
		Charset:           api.CharsetUTF8,
	})
	if len(res.Errors) > 0 {
		msgs := api.FormatMessages(res.Errors, api.FormatMessagesOptions{Kind: api.ErrorMessage})
		return errors.New(strings.Join(msgs, "\n"))
	}
	index, err := os.ReadFile(filepath.Join(src, "index.html"))
	if err != nil {
		return err
	}
	// index.html names the hashed bundles, so that they can be cached forever.
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	for _, f := range res.OutputFiles {
		rel, err := filepath.Rel(abs, f.Path)
		if err != nil {
			return err
		}
		url := "/" + filepath.ToSlash(rel)
		base := filepath.Base(f.Path)
		switch {
		case strings.HasPrefix(base, "main-") && strings.HasSuffix(base, ".js"):
			index = bytes.ReplaceAll(index, []byte("%MAIN_JS%"), []byte(url))
		case strings.HasPrefix(base, "style-") && strings.HasSuffix(base, ".css"):
			index = bytes.ReplaceAll(index, []byte("%STYLE_CSS%"), []byte(url))
		}
	}
	if bytes.Contains(index, []byte("%MAIN_JS%")) || bytes.Contains(index, []byte("%STYLE_CSS%")) {
		return errors.New("index.html still names a bundle that was not built")
	}
	return os.WriteFile(filepath.Join(out, "index.html"), index, 0o644)
}

package exec

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/data/stage"
)

// Limits on what staging fetches.
const (
	maxManifestBlob = 64 << 20  // a code snapshot's manifest
	maxURLDownload  = 100 << 30 // one http(s) input
)

// stage puts the code in wd/, stages the data inputs under inputs/ and
// creates the output folders. It returns the values to bind into the
// command (inputs.x, outputs.y) and the optional inputs left unset.
func (w *wrapper) stage(ctx context.Context) (map[string]string, map[string]bool, error) {
	j := &w.plan.Job
	values, optional := map[string]string{}, map[string]bool{}
	wd := filepath.Join(w.o.Dir, "wd")
	if err := os.MkdirAll(wd, 0o755); err != nil {
		return nil, nil, infraFail("create the working folder: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(w.o.Dir, "tmp"), 0o755); err != nil {
		return nil, nil, infraFail("create the temporary folder: %w", err)
	}
	if c := j.Spec.Code; c != nil {
		start := time.Now()
		if err := w.stageCode(ctx, c, wd); err != nil {
			return nil, nil, err
		}
		w.system("code: %d files (%s) from snapshot %s in %s", c.Files, lathe.FormatBytes(c.Size), c.Digest.Hex()[:12], time.Since(start).Round(time.Millisecond))
	}
	names := make([]string, 0, len(j.Spec.Inputs))
	for k := range j.Spec.Inputs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		in := j.Spec.Inputs[name]
		key := "inputs." + name
		switch {
		case in.IsLiteral():
			if in.Value == nil {
				optional[key] = true
			} else {
				values[key] = *in.Value
			}
			continue
		case in.Path == "":
			optional[key] = true
			continue
		}
		target := filepath.Join(w.o.Dir, "inputs", name)
		start := time.Now()
		var p string
		var err error
		if in.Data != "" {
			p, err = w.stageData(ctx, name, in, target)
		} else {
			p, err = w.stageURL(ctx, name, in, target)
		}
		if err != nil {
			return nil, nil, err
		}
		w.system("input %s: %s staged (%s) in %s", name, firstOf(in.Data, in.Path), in.Mode, time.Since(start).Round(time.Millisecond))
		values[key] = p
	}
	for name, o := range j.Spec.Outputs {
		d := filepath.Join(w.o.Dir, filepath.FromSlash(o.OutputDir(name)))
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, nil, infraFail("create the folder of output %s: %w", name, err)
		}
		if o.Type == lathe.DataURIFile {
			values["outputs."+name] = filepath.Join(d, name)
		} else {
			values["outputs."+name] = d
		}
	}
	return values, optional, nil
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// blobSource reads files of a manifest from the workspace's blobs.
func (w *wrapper) blobSource() stage.Source {
	return stage.SourceFunc(func(ctx context.Context, e lathe.ManifestEntry) (io.ReadCloser, error) {
		rc, _, err := w.o.Client.GetBlob(ctx, w.o.Workspace, e.Digest, 0, -1)
		return rc, err
	})
}

// stageCode copies the code snapshot into wd (copies, not links: the
// command may change its files).
func (w *wrapper) stageCode(ctx context.Context, c *lathe.CodeSnapshot, wd string) error {
	var m []lathe.ManifestEntry
	err := w.retry(ctx, "fetch the code manifest", func() error {
		rc, _, err := w.o.Client.GetBlob(ctx, w.o.Workspace, c.Manifest, 0, -1)
		if err != nil {
			return err
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, maxManifestBlob+1))
		if err != nil {
			return err
		}
		if len(b) > maxManifestBlob {
			return userFail("the code manifest is over %d bytes", maxManifestBlob)
		}
		return json.Unmarshal(b, &m)
	})
	if err != nil {
		return fmt.Errorf("code snapshot %s: %w", c.Manifest, err)
	}
	if len(m) == 0 {
		return nil
	}
	if err := lathe.ValidateManifest(m); err != nil {
		return fmt.Errorf("code snapshot: %w", err)
	}
	if _, err := stage.Materialize(ctx, m, w.blobSource(), wd, stage.Options{}); err != nil {
		return fmt.Errorf("stage the code: %w", err)
	}
	return nil
}

// stageData materialises a data version under target, through the
// machine's content cache, and returns the path the command gets: the
// folder, or the file of a uri_file.
func (w *wrapper) stageData(ctx context.Context, name string, in lathe.JobInput, target string) (string, error) {
	asset, version, _ := strings.Cut(in.Data, ":")
	v, m, err := w.o.Client.DataManifest(ctx, w.o.Workspace, asset, version)
	if err != nil {
		return "", fmt.Errorf("input %s (%s): %w", name, in.Data, err)
	}
	src := stage.SourceFunc(func(ctx context.Context, e lathe.ManifestEntry) (io.ReadCloser, error) {
		return w.o.Client.OpenDataFile(ctx, w.o.Workspace, v.Name, v.Version, e)
	})
	res, err := stage.Materialize(ctx, m, src, target, stage.Options{Cache: filepath.Join(w.o.Cache, "content")})
	if err != nil {
		return "", fmt.Errorf("input %s (%s): %w", name, in.Data, err)
	}
	w.o.Logger.Debug("input staged", "input", name, "files", res.Files, "fetched", res.Fetched, "linked", res.Linked)
	// A uri_file gives the command the file; one passed to a uri_folder
	// input gives the folder holding it.
	if v.Type == lathe.DataURIFile && len(m) == 1 && in.Type != lathe.DataURIFolder {
		return filepath.Join(target, filepath.FromSlash(m[0].Path)), nil
	}
	return target, nil
}

// stageURL downloads an http(s) input once into the machine's cache and
// links it under target.
func (w *wrapper) stageURL(ctx context.Context, name string, in lathe.JobInput, target string) (string, error) {
	u, err := url.Parse(in.Path)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", userFail("input %s: %q is not an http(s) URL", name, in.Path)
	}
	base := path.Base(u.Path)
	if lathe.ValidateDataPath(base) != nil || strings.ContainsAny(base, "\n\r") {
		base = "download"
	}
	sum := sha256.Sum256([]byte(in.Path))
	dir := filepath.Join(w.o.Cache, "urls", hex.EncodeToString(sum[:16]))
	cached := filepath.Join(dir, base)
	if _, err := os.Stat(cached); err != nil {
		if err := w.download(ctx, name, in.Path, dir, cached); err != nil {
			return "", err
		}
	} else {
		w.system("input %s: %s from the download cache", name, in.Path)
	}
	if err := os.MkdirAll(target, 0o755); err != nil {
		return "", infraFail("stage input %s: %w", name, err)
	}
	dst := filepath.Join(target, base)
	_ = os.Remove(dst)
	if err := os.Link(cached, dst); err != nil {
		if err := copyFile(cached, dst); err != nil {
			return "", infraFail("stage input %s: %w", name, err)
		}
	}
	if in.Type == lathe.DataURIFile {
		return dst, nil
	}
	return target, nil
}

// download fetches a URL into the cache through a temp file and a rename,
// so a half-done download is never taken for a whole one.
func (w *wrapper) download(ctx context.Context, name, rawURL, dir, dst string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return infraFail("download cache: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, "GET", rawURL, nil)
	if err != nil {
		return userFail("input %s: %v", name, err)
	}
	req.Header.Set("User-Agent", "lathe-exec/"+lathe.Version)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return userFail("input %s: download %s: %v (is the URL reachable from the compute?)", name, rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return userFail("input %s: download %s: the server answered %s", name, rawURL, resp.Status)
	}
	tmp, err := os.CreateTemp(dir, ".part-*")
	if err != nil {
		return infraFail("download cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, maxURLDownload+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return userFail("input %s: download %s: %v", name, rawURL, err)
	}
	if n > maxURLDownload {
		return userFail("input %s: %s is over %d bytes; create a data asset from it instead", name, rawURL, int64(maxURLDownload))
	}
	if err := os.Chmod(tmp.Name(), 0o444); err != nil {
		return infraFail("download cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return infraFail("download cache: %w", err)
	}
	w.system("input %s: downloaded %s (%s)", name, rawURL, lathe.FormatBytes(n))
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o444)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
	"github.com/latheml/lathe/internal/profile"
)

// DataAssets maps the embedded splits to the data assets the demo registers.
var DataAssets = []struct{ File, Asset string }{
	{"bank_marketing_train.csv", "bank-marketing-train"},
	{"bank_marketing_validation.csv", "bank-marketing-validation"},
	{"bank_marketing_test.csv", "bank-marketing-test"},
}

// registerData registers the three splits as uri_file data assets the way
// `lathe data create` does: hash, ask the server which contents it lacks,
// upload only those, commit the manifest. The server profiles each CSV; the
// stage prints the profiles' headlines and reads one file back verified.
func registerData(ctx context.Context, e *Env) error {
	c, ws := e.Client, e.Workspace
	var train []byte
	for _, d := range DataAssets {
		b, err := Dataset(d.File)
		if err != nil {
			return err
		}
		if train == nil {
			train = b
		}
		sum := sha256.Sum256(b)
		entry := lathe.ManifestEntry{Path: d.File, Digest: lathe.NewDigest(sum[:]), Size: int64(len(b)), Mode: 0o644}
		v, sent, err := register(ctx, c, ws, d.Asset, entry, b)
		if err != nil {
			return fmt.Errorf("register %s: %w", d.Asset, err)
		}
		e.Facts[d.File] = string(entry.Digest)
		e.Facts["data:"+d.Asset] = v.Name + ":" + v.Version
		how := "already stored, nothing sent"
		if sent {
			how = fmt.Sprintf("%d bytes uploaded", len(b))
		}
		e.Say("data asset %s:%s  (uri_file, %s)", v.Name, v.Version, how)
		raw, err := c.DataProfile(ctx, ws, v.Name, v.Version)
		if err != nil {
			return fmt.Errorf("profile of %s: %w", d.Asset, err)
		}
		var p profile.Profile
		if err := json.Unmarshal(raw, &p); err != nil {
			return fmt.Errorf("profile of %s: %w", d.Asset, err)
		}
		e.Say("  profile: %d rows × %d columns, %d problems", p.Rows, len(p.Columns), p.ProblemCount)
		for _, col := range []string{"age", "job", "y"} {
			if cp := p.Column(col); cp != nil {
				e.Say("    %-4s %s", col, columnLine(cp))
			}
		}
	}
	first := DataAssets[0]
	rc, err := c.OpenDataFile(ctx, ws, first.Asset, "latest", lathe.ManifestEntry{Path: first.File, Digest: lathe.Digest(e.Facts[first.File]), Size: int64(len(train))})
	if err != nil {
		return err
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, train) {
		return fmt.Errorf("downloaded bytes differ from the uploaded ones")
	}
	e.Say("read %s@latest back: %d bytes, digest verified on both ends", first.Asset, len(got))
	return nil
}

// register creates a version of asset holding one file, unless its latest
// version holds exactly that file already (a rerun of the demo).
func register(ctx context.Context, c *client.Client, ws, asset string, entry lathe.ManifestEntry, b []byte) (*lathe.DataVersion, bool, error) {
	if v, err := c.DataVersion(ctx, ws, asset, "latest"); err == nil && v.Digest == lathe.ManifestDigest([]lathe.ManifestEntry{entry}) {
		return v, false, nil
	}
	ex, err := c.BlobsExist(ctx, ws, []lathe.Digest{entry.Digest})
	if err != nil {
		return nil, false, err
	}
	if !ex[0] {
		if _, err := c.PutBlob(ctx, ws, bytes.NewReader(b), entry.Size, entry.Digest); err != nil {
			return nil, false, err
		}
	}
	v, err := c.CreateDataVersion(ctx, ws, asset, client.VersionSpec{Type: lathe.DataURIFile, Manifest: []lathe.ManifestEntry{entry},
		Description: "UCI Bank Marketing (Moro, Cortez and Rita, 2014; CC BY 4.0)", Tags: map[string]string{"source": "uci-bank-marketing"}})
	return v, !ex[0], err
}

// columnLine summarises one profiled column.
func columnLine(c *profile.ColumnProfile) string {
	s := fmt.Sprintf("%-6s %5.1f%% null, %d distinct", c.Type, c.NullRate*100, c.Distinct)
	if c.Mean != nil && c.Min != nil && c.Max != nil {
		s += fmt.Sprintf(", mean %.1f in [%.0f, %.0f]", *c.Mean, *c.Min, *c.Max)
	}
	for i, tk := range c.TopK {
		if i == 3 {
			break
		}
		s += fmt.Sprintf(", %s %d", tk.Value, tk.Count)
	}
	return s
}

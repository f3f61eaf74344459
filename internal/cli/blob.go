package cli

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
	"github.com/spf13/cobra"
)

func itoa(n int) string { return strconv.Itoa(n) }

func (a *app) blobCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "blob",
		Short: "Store and fetch content-addressed bytes in a workspace",
		Long: `Blobs are the bytes under every artifact, data asset and model, addressed by
their sha256 digest and stored once however often they are uploaded.`,
	}
	cmd.AddCommand(a.blobPutCmd(), a.blobGetCmd(), a.blobExistsCmd(), a.blobListCmd())
	return cmd
}

// PutResult is one uploaded file.
type PutResult struct {
	File    string       `json:"file"`
	Digest  lathe.Digest `json:"digest"`
	Size    int64        `json:"size"`
	Present bool         `json:"already_present" doc:"the workspace held these bytes already; nothing was sent"`
}

func (a *app) blobPutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "put FILE...",
		Short: "Upload files (or - for standard input); prints each digest",
		Long: `Upload files to the workspace's blob store. Each file is hashed locally first;
bytes the workspace holds already are not sent again. The server checks the
digest of what it receives. Progress bars are drawn on a terminal.`,
		Example: `  lathe blob put train.csv valid.csv
  tar c data/ | lathe blob put - -o json`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, files []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			var out []PutResult
			for _, f := range files {
				r, err := a.putOne(cmd, c, ws, f)
				if err != nil {
					return fmt.Errorf("%s: %w", f, err)
				}
				out = append(out, *r)
			}
			return a.print(out, func() table {
				t := table{header: []string{"FILE", "DIGEST", "SIZE", "STATUS"}}
				for _, r := range out {
					st := "uploaded"
					if r.Present {
						st = "already present"
					}
					t.rows = append(t.rows, []string{r.File, string(r.Digest), lathe.FormatBytes(r.Size), st})
				}
				return t
			})
		},
	}
}

func (a *app) putOne(cmd *cobra.Command, c *client.Client, ws, name string) (*PutResult, error) {
	ctx := cmd.Context()
	if name == "-" {
		p := newProgress(a.io.Err, "uploading", -1)
		b, err := c.PutBlob(ctx, ws, p.Reader(a.io.In), -1, "")
		p.Finish()
		if err != nil {
			return nil, err
		}
		return &PutResult{File: "-", Digest: b.Digest, Size: b.Size}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "open: %v", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, lathe.Errorf(lathe.EINVALID, "not a regular file; upload files one by one (or a tar stream with -)")
	}
	h := sha256.New()
	p := newProgress(a.io.Err, "hashing", fi.Size())
	_, err = io.CopyBuffer(h, p.Reader(f), make([]byte, 1<<20))
	p.Finish()
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	d := lathe.NewDigest(h.Sum(nil))
	ex, err := c.BlobsExist(ctx, ws, []lathe.Digest{d})
	if err != nil {
		return nil, err
	}
	if ex[0] {
		return &PutResult{File: name, Digest: d, Size: fi.Size(), Present: true}, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("rewind: %w", err)
	}
	p = newProgress(a.io.Err, "uploading", fi.Size())
	b, err := c.PutBlob(ctx, ws, p.Reader(f), fi.Size(), d)
	p.Finish()
	if err != nil {
		return nil, err
	}
	return &PutResult{File: name, Digest: b.Digest, Size: b.Size}, nil
}

// GetResult is one downloaded blob.
type GetResult struct {
	Digest lathe.Digest `json:"digest"`
	Size   int64        `json:"size"`
	Path   string       `json:"path"`
}

func (a *app) blobGetCmd() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "get DIGEST",
		Short: "Download a blob to a file (verified against its digest)",
		Long: `Download a blob. The bytes go to a temporary file next to the target and are
renamed into place only after their digest checks out, so a broken download
never leaves a partial file behind. --file - writes to standard output.`,
		Example: `  lathe blob get sha256:9f86d0...  --file train.csv
  lathe blob get 9f86d0... --file - | head`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			d, err := lathe.ParseDigest(argv[0])
			if err != nil {
				return &usageError{err}
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			rc, size, err := c.GetBlob(cmd.Context(), ws, d, 0, -1)
			if err != nil {
				return err
			}
			defer rc.Close()
			if path == "-" {
				_, err := io.Copy(a.io.Out, rc)
				return err
			}
			if path == "" {
				path = d.Hex()
			}
			tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".part-*")
			if err != nil {
				return fmt.Errorf("create %s: %w", path, err)
			}
			defer func() { _ = os.Remove(tmp.Name()) }()
			p := newProgress(a.io.Err, "downloading", size)
			n, err := io.CopyBuffer(p.Writer(tmp), rc, make([]byte, 1<<20))
			p.Finish()
			if err == nil {
				err = tmp.Sync()
			}
			if cerr := tmp.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("download %s: %w", d, err)
			}
			if err := os.Rename(tmp.Name(), path); err != nil {
				return fmt.Errorf("download %s: %w", d, err)
			}
			res := GetResult{Digest: d, Size: n, Path: path}
			return a.print(res, func() table { return kv("digest", string(d), "size", lathe.FormatBytes(n), "path", path) })
		},
	}
	cmd.Flags().StringVarP(&path, "file", "f", "", "where to write the bytes; - for standard output (default: the digest's hex in the current directory)")
	return cmd
}

func (a *app) blobExistsCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "exists DIGEST...",
		Short:   "Report which digests the workspace holds",
		Example: "  lathe blob exists sha256:9f86d0... sha256:2c26b4... -o json",
		Args:    args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			ds := make([]lathe.Digest, len(argv))
			for i, s := range argv {
				d, err := lathe.ParseDigest(s)
				if err != nil {
					return &usageError{err}
				}
				ds[i] = d
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			ex, err := c.BlobsExist(cmd.Context(), ws, ds)
			if err != nil {
				return err
			}
			type row struct {
				Digest lathe.Digest `json:"digest"`
				Exists bool         `json:"exists"`
			}
			out := make([]row, len(ds))
			for i := range ds {
				out[i] = row{ds[i], ex[i]}
			}
			return a.print(out, func() table {
				t := table{header: []string{"DIGEST", "EXISTS"}}
				for _, r := range out {
					t.rows = append(t.rows, []string{string(r.Digest), strconv.FormatBool(r.Exists)})
				}
				return t
			})
		},
	}
}

func (a *app) blobListCmd() *cobra.Command {
	var limit int
	var cursor string
	var all bool
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the workspace's blobs, newest first",
		Example: "  lathe blob list --limit 20\n  lathe blob list --all -o json",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 1 || limit > 1000 {
				return &usageError{lathe.Errorf(lathe.EINVALID, "--limit %d: use 1 to 1000", limit)}
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			var items []client.Blob
			next := cursor
			for {
				page, err := c.ListBlobs(cmd.Context(), ws, next, limit)
				if err != nil {
					return err
				}
				items = append(items, page.Items...)
				next = page.NextCursor
				if !all || next == "" {
					break
				}
			}
			out := client.BlobPage{Items: items, NextCursor: next}
			if out.Items == nil {
				out.Items = []client.Blob{}
			}
			return a.print(out, func() table {
				t := table{header: []string{"DIGEST", "SIZE", "CREATED", "BY"}}
				for _, b := range items {
					t.rows = append(t.rows, []string{string(b.Digest), lathe.FormatBytes(b.Size), when(b.CreatedAt), b.CreatedBy})
				}
				if next != "" {
					t.rows = append(t.rows, []string{"(more: --cursor " + next + ")", "", "", ""})
				}
				return t
			})
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 100, "blobs per page (1-1000)")
	cmd.Flags().StringVar(&cursor, "cursor", "", "continue after a previous page")
	cmd.Flags().BoolVar(&all, "all", false, "fetch every page")
	return cmd
}

package client

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"net/url"
	"strconv"
	"time"

	"github.com/latheml/lathe"
)

// Blob is a blob record of a workspace.
type Blob struct {
	Digest    lathe.Digest `json:"digest"`
	Size      int64        `json:"size"`
	CreatedAt time.Time    `json:"created_at"`
	CreatedBy string       `json:"created_by"`
}

// BlobPage is one page of ListBlobs.
type BlobPage struct {
	Items      []Blob `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func wsPath(workspace string) string {
	return "/api/v1/workspaces/" + url.PathEscape(workspace)
}

// PutBlob streams size bytes (or -1 if unknown) from r into the workspace.
// If want is set the server checks the digest and refuses a mismatch.
func (c *Client) PutBlob(ctx context.Context, workspace string, r io.Reader, size int64, want lathe.Digest) (*Blob, error) {
	path := wsPath(workspace) + "/blobs"
	if want != "" {
		path += "?digest=" + url.QueryEscape(string(want))
	}
	resp, err := c.do(ctx, request{method: "POST", path: path, body: r, ctype: "application/octet-stream", size: size})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var b Blob
	if err := decodeBody(resp.Body, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// StatBlob returns a blob's record without its bytes.
func (c *Client) StatBlob(ctx context.Context, workspace string, d lathe.Digest) (*Blob, error) {
	resp, err := c.do(ctx, request{method: "HEAD", path: wsPath(workspace) + "/blobs/" + url.PathEscape(string(d)), size: -1})
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	return &Blob{Digest: d, Size: resp.ContentLength}, nil
}

// GetBlob opens a blob for reading: the whole blob when length < 0 and
// offset == 0, else a range. The returned size is the number of bytes the
// reader yields. Whole reads are verified against the digest on the client
// side too: the final Read fails with lathe.ECORRUPT on a mismatch.
func (c *Client) GetBlob(ctx context.Context, workspace string, d lathe.Digest, offset, length int64) (io.ReadCloser, int64, error) {
	rq := request{method: "GET", path: wsPath(workspace) + "/blobs/" + url.PathEscape(string(d)), size: -1, header: map[string][]string{}}
	whole := offset == 0 && length < 0
	if !whole {
		end := ""
		if length >= 0 {
			end = strconv.FormatInt(offset+length-1, 10)
		}
		rq.header.Set("Range", fmt.Sprintf("bytes=%d-%s", offset, end))
	}
	resp, err := c.do(ctx, rq)
	if err != nil {
		return nil, 0, err
	}
	if !whole {
		return resp.Body, resp.ContentLength, nil
	}
	return &verifier{rc: resp.Body, h: sha256.New(), want: d, left: resp.ContentLength}, resp.ContentLength, nil
}

// verifier hashes what it reads and checks the digest at the end.
type verifier struct {
	rc   io.ReadCloser
	h    hash.Hash
	want lathe.Digest
	left int64
}

func (v *verifier) Read(p []byte) (int, error) {
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	v.left -= int64(n)
	if err == io.EOF {
		if got := lathe.NewDigest(v.h.Sum(nil)); got != v.want {
			return n, lathe.Errorf(lathe.ECORRUPT, "downloaded bytes have digest %s, want %s; try again", got, v.want)
		}
	} else if err != nil {
		return n, lathe.Errorf(lathe.EUNAVAILABLE, "download of %s broke off: %v", v.want, err)
	}
	return n, err
}

func (v *verifier) Close() error { return v.rc.Close() }

// BlobsExist reports which digests the workspace holds, in order.
func (c *Client) BlobsExist(ctx context.Context, workspace string, ds []lathe.Digest) ([]bool, error) {
	var out struct {
		Exists []bool `json:"exists"`
	}
	in := struct {
		Digests []lathe.Digest `json:"digests"`
	}{ds}
	if err := c.doJSON(ctx, "POST", wsPath(workspace)+"/blobs/exists", in, &out); err != nil {
		return nil, err
	}
	return out.Exists, nil
}

// ListBlobs returns one page of the workspace's blobs, newest first.
func (c *Client) ListBlobs(ctx context.Context, workspace, cursor string, limit int) (*BlobPage, error) {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	path := wsPath(workspace) + "/blobs"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out BlobPage
	if err := c.doJSON(ctx, "GET", path, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// WorkspaceBlobs is a workspace's blob store seen through the client: what
// an upload needs (which digests exist, and putting one), as
// internal/data/upload's Remote asks for.
type WorkspaceBlobs struct {
	c  *Client
	ws string
}

// Blobs returns workspace ws's blob store.
func (c *Client) Blobs(ws string) WorkspaceBlobs { return WorkspaceBlobs{c, ws} }

// Exists reports which digests the workspace holds, in order.
func (b WorkspaceBlobs) Exists(ctx context.Context, ds []lathe.Digest) ([]bool, error) {
	return b.c.BlobsExist(ctx, b.ws, ds)
}

// Put uploads one blob whose digest and size are known.
func (b WorkspaceBlobs) Put(ctx context.Context, d lathe.Digest, size int64, rd io.Reader) error {
	_, err := b.c.PutBlob(ctx, b.ws, rd, size, d)
	return err
}

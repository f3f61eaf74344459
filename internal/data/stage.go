package data

import (
	"context"
	"io"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/data/stage"
)

// Stage materialises a data version into dir for a job: every file,
// verified against its digest, fetched into the content cache directory
// cache (shared by every job on the machine) unless it is there already,
// and hard-linked from it where the filesystem allows (copied otherwise).
// Linked files are read-only. version "" or "latest" means the newest
// active version.
func (s *Service) Stage(ctx context.Context, ws, name, version, dir, cache string) (stage.Result, error) {
	ref := lathe.AssetRef{Name: name, Version: version}
	if version == "" || version == "latest" {
		ref = lathe.AssetRef{Name: name, Latest: true}
	}
	v, err := s.Version(ctx, ws, ref)
	if err != nil {
		return stage.Result{}, err
	}
	m, err := s.manifest(ctx, v)
	if err != nil {
		return stage.Result{}, err
	}
	r, err := s.readerOf(ctx, v)
	if err != nil {
		return stage.Result{}, err
	}
	defer r.close()
	src := stage.SourceFunc(func(ctx context.Context, e lathe.ManifestEntry) (io.ReadCloser, error) { return r.open(ctx, e) })
	return stage.Materialize(ctx, m, src, dir, stage.Options{Cache: cache})
}

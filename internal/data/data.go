// Package data is Lathe's data service: datastores (the built-in blob
// store, read-only directories on the server's machine, S3 buckets with
// credentials sealed at rest), data assets and their immutable versions
// (uri_file, uri_folder, mltable) with a manifest of content digests, the
// profiles of tabular versions, diffs between versions, and staging a
// version into a directory for a job.
//
// Versions are created either from bytes a client uploaded to the
// workspace's blob store (the client sends the manifest; every digest must
// be held by the workspace) or by reference to a path of a datastore (the
// server lists and hashes the files and records their digests, so a later
// change at the source is detected when the version is read).
package data

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/store"
)

// Store is what the data service needs from the metadata store.
type Store interface {
	CreateDatastore(ctx context.Context, d *lathe.Datastore) error
	Datastore(ctx context.Context, ws, name string) (*lathe.Datastore, error)
	ListDatastores(ctx context.Context, ws string) ([]*lathe.Datastore, error)
	DeleteDatastore(ctx context.Context, ws, name string) error

	CreateDataVersion(ctx context.Context, v *lathe.DataVersion, files []lathe.ManifestEntry, profile []byte) error
	NextDataVersion(ctx context.Context, ws, name string) (int64, error)
	DataVersion(ctx context.Context, ws, name, version string) (*lathe.DataVersion, error)
	LatestDataVersion(ctx context.Context, ws, name string) (*lathe.DataVersion, error)
	DataVersionByDigest(ctx context.Context, ws, datastore string, d lathe.Digest) (*lathe.DataVersion, error)
	ListDataVersions(ctx context.Context, ws, name string, archived bool, offset, limit int) ([]*lathe.DataVersion, error)
	DataAsset(ctx context.Context, ws, name string) (*lathe.DataAsset, error)
	ListDataAssets(ctx context.Context, ws string, archived bool, after string, limit int) ([]*lathe.DataAsset, error)
	UpdateDataVersion(ctx context.Context, ws, name, version string, u store.DataVersionUpdate) (*lathe.DataVersion, error)
	SetDataAssetArchived(ctx context.Context, ws, name string, at *time.Time) error
	DataFiles(ctx context.Context, ws, name, version, after string, limit int) ([]lathe.ManifestEntry, error)
	DataFile(ctx context.Context, ws, name, version, path string) (*lathe.ManifestEntry, error)
	DataProfile(ctx context.Context, ws, name, version string) ([]byte, error)
	BlobSizes(ctx context.Context, ws string, ds []lathe.Digest) (map[lathe.Digest]int64, error)
}

// Content reads the workspace's blobs (internal/content).
type Content interface {
	Open(ctx context.Context, workspaceID string, d lathe.Digest, offset, length int64) (io.ReadCloser, error)
}

// Options configure the service.
type Options struct {
	Store   Store
	Content Content
	// Key is the 32-byte AES-256 key that seals datastore credentials.
	Key    []byte
	Now    func() time.Time
	Logger *slog.Logger
	// Hashers bounds how many files of a referenced datastore path are
	// read and hashed at once when a version is created (default 4).
	Hashers int
}

// Service is the data service.
type Service struct {
	o    Options
	seal *sealer
}

// New returns the service. A key of the wrong length is refused.
func New(o Options) (*Service, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Hashers <= 0 {
		o.Hashers = 4
	}
	s := &Service{o: o}
	if o.Key != nil {
		sl, err := newSealer(o.Key)
		if err != nil {
			return nil, err
		}
		s.seal = sl
	}
	return s, nil
}

func (s *Service) now() time.Time { return s.o.Now().UTC().Truncate(time.Millisecond) }

package data

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/blob/s3"
)

// Credentials authenticate to an S3 datastore. They are accepted when a
// datastore is created, sealed at rest and never returned or logged.
type Credentials struct {
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
}

// String hides the secret from any accidental formatting.
func (c Credentials) String() string { return "Credentials{redacted}" }

// GoString hides the secret from %#v.
func (c Credentials) GoString() string { return c.String() }

// DatastoreSpec is what a client sends to create a datastore.
type DatastoreSpec struct {
	Name        string            `json:"name"`
	Type        string            `json:"type" doc:"local or s3"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	// Path is a local datastore's absolute directory on the server.
	Path string `json:"path,omitempty"`
	// An S3 datastore's bucket, key prefix, endpoint (https://host:port,
	// http://host:port or host:port for https; default Amazon S3) and
	// region.
	Bucket      string       `json:"bucket,omitempty"`
	Prefix      string       `json:"prefix,omitempty"`
	Endpoint    string       `json:"endpoint,omitempty"`
	Region      string       `json:"region,omitempty"`
	Credentials *Credentials `json:"credentials,omitempty" doc:"S3 access and secret key; stored encrypted, never returned"`
}

// checkTimeout bounds the round trips that check an S3 datastore at
// creation.
const checkTimeout = 20 * time.Second

// builtin is the workspace's blob store as a datastore.
func builtin(ws string) *lathe.Datastore {
	return &lathe.Datastore{WorkspaceID: ws, Name: lathe.WorkspaceBlobStore, Type: lathe.DatastoreWorkspaceBlob,
		Description: "The workspace's content-addressed blob store: uploads land here."}
}

// CreateDatastore checks and stores a datastore. A local datastore's path
// must be an existing, readable directory on this machine; an S3
// datastore's bucket must exist and answer a listing with the given
// credentials, so wrong credentials fail now, not at first use.
func (s *Service) CreateDatastore(ctx context.Context, ws, actor string, spec DatastoreSpec) (*lathe.Datastore, error) {
	if spec.Name == lathe.WorkspaceBlobStore {
		return nil, lathe.Errorf(lathe.ECONFLICT, "datastore %q is built in; choose another name", spec.Name)
	}
	d := &lathe.Datastore{WorkspaceID: ws, Name: spec.Name, Type: spec.Type, Description: spec.Description, Tags: spec.Tags,
		Path: spec.Path, Prefix: strings.Trim(spec.Prefix, "/"), Bucket: spec.Bucket, Region: spec.Region,
		HasCredentials: spec.Credentials != nil, CreatedAt: s.now(), CreatedBy: actor}
	if d.Type == lathe.DatastoreS3 {
		ep, secure, err := parseEndpoint(spec.Endpoint)
		if err != nil {
			return nil, err
		}
		d.Endpoint, d.Secure = ep, secure
	} else if spec.Endpoint != "" {
		d.Endpoint = spec.Endpoint // Validate names it
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	switch d.Type {
	case lathe.DatastoreLocal:
		if err := checkLocal(d); err != nil {
			return nil, err
		}
	case lathe.DatastoreS3:
		if err := s3Location(d); err != nil {
			return nil, err
		}
		var creds Credentials
		if spec.Credentials != nil {
			creds = *spec.Credentials
			if creds.AccessKey == "" || creds.SecretKey == "" {
				return nil, lathe.Errorf(lathe.EINVALID, "s3 datastore %q: credentials need both access_key and secret_key (leave credentials out for anonymous access)", d.Name)
			}
		}
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		err := checkS3(cctx, d, creds)
		cancel()
		if err != nil {
			return nil, err
		}
		if spec.Credentials != nil {
			if s.seal == nil {
				return nil, lathe.Errorf(lathe.EUNAVAILABLE, "this server has no data key to encrypt credentials with; it cannot store S3 credentials")
			}
			plain, _ := json.Marshal(creds) // two strings always encode
			d.Credentials = s.seal.seal(ws, d.Name, plain)
		}
	}
	if err := s.o.Store.CreateDatastore(ctx, d); err != nil {
		return nil, err
	}
	s.o.Logger.Info("datastore created", "workspace", ws, "datastore", d.Name, "type", d.Type, "by", actor)
	d.Credentials = nil
	return d, nil
}

// parseEndpoint turns https://host:port, http://host:port or host:port into
// host:port and whether to use https; empty means Amazon S3.
func parseEndpoint(ep string) (string, bool, error) {
	if ep == "" {
		return s3.DefaultEndpoint, true, nil
	}
	if !strings.Contains(ep, "://") {
		ep = "https://" + ep
	}
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || (u.Path != "" && u.Path != "/") || u.User != nil || u.RawQuery != "" {
		return "", false, lathe.Errorf(lathe.EINVALID, "s3 endpoint %q must be https://host:port, http://host:port or host:port", ep)
	}
	return u.Host, u.Scheme == "https", nil
}

// s3Location checks bucket, prefix and endpoint with the S3 blob store's
// own rules.
func s3Location(d *lathe.Datastore) error {
	scheme := "http"
	if d.Secure {
		scheme = "https"
	}
	raw := "s3://" + d.Bucket + "/" + d.Prefix + "?endpoint=" + url.QueryEscape(scheme+"://"+d.Endpoint)
	if _, err := s3.ParseURL(raw); err != nil {
		return fmt.Errorf("s3 datastore %q: %w", d.Name, err)
	}
	return nil
}

// checkLocal checks that a local datastore's directory exists and can be
// listed by the server.
func checkLocal(d *lathe.Datastore) error {
	fi, err := os.Stat(d.Path)
	if err != nil {
		return lathe.Errorf(lathe.EINVALID, "local datastore %q: path %s: %v; give an existing directory on the server's machine", d.Name, d.Path, errors.Unwrap(err))
	}
	if !fi.IsDir() {
		return lathe.Errorf(lathe.EINVALID, "local datastore %q: path %s is not a directory", d.Name, d.Path)
	}
	f, err := os.Open(d.Path)
	if err == nil {
		_, err = f.Readdirnames(1)
		f.Close()
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return lathe.Errorf(lathe.EINVALID, "local datastore %q: the server cannot list %s: %v", d.Name, d.Path, err)
	}
	return nil
}

// s3Client returns a client of the datastore's endpoint.
func s3Client(d *lathe.Datastore, c Credentials) (*minio.Client, error) {
	cl, err := minio.New(d.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure: d.Secure,
		Region: d.Region,
	})
	if err != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "s3 datastore %q: endpoint %s: %v", d.Name, d.Endpoint, err)
	}
	return cl, nil
}

// checkS3 checks that the bucket exists and can be listed under the prefix
// with the credentials.
func checkS3(ctx context.Context, d *lathe.Datastore, c Credentials) error {
	cl, err := s3Client(d, c)
	if err != nil {
		return err
	}
	ok, err := cl.BucketExists(ctx, d.Bucket)
	if err != nil {
		return s3Error(ctx, d, "check bucket", err)
	}
	if !ok {
		return lathe.Errorf(lathe.EINVALID, "s3 datastore %q: bucket %q does not exist at %s; check the bucket name and the endpoint", d.Name, d.Bucket, d.Endpoint)
	}
	prefix := d.Prefix
	if prefix != "" {
		prefix += "/"
	}
	for obj := range cl.ListObjects(ctx, d.Bucket, minio.ListObjectsOptions{Prefix: prefix, MaxKeys: 1}) {
		if obj.Err != nil {
			return s3Error(ctx, d, "list bucket", obj.Err)
		}
		break
	}
	return nil
}

// s3Error explains an S3 failure: refused credentials and unreachable
// endpoints are the user's to fix.
func s3Error(ctx context.Context, d *lathe.Datastore, what string, err error) error {
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.StatusCode == 403 || resp.Code == "AccessDenied" || resp.Code == "InvalidAccessKeyId" || resp.Code == "SignatureDoesNotMatch":
		code := resp.Code
		if code == "" {
			code = "403 Forbidden"
		}
		return lathe.Errorf(lathe.EINVALID, "s3 datastore %q: %s refused the credentials (%s) when asked to %s %q; check access_key and secret_key, and that they may list the bucket",
			d.Name, d.Endpoint, code, what, d.Bucket)
	case resp.Code == "NoSuchBucket":
		return lathe.Errorf(lathe.EINVALID, "s3 datastore %q: bucket %q does not exist at %s", d.Name, d.Bucket, d.Endpoint)
	case ctx.Err() != nil || isNetError(err):
		return lathe.Errorf(lathe.EUNAVAILABLE, "s3 datastore %q: cannot reach %s to %s: %v; check the endpoint (and that it is up)", d.Name, d.Endpoint, what, err)
	}
	return fmt.Errorf("s3 datastore %s: %s: %w", d.Name, what, err)
}

func isNetError(err error) bool {
	var ne net.Error
	var ue *url.Error
	return errors.As(err, &ne) || errors.As(err, &ue)
}

// Datastores lists the workspace's datastores, the built-in one first.
func (s *Service) Datastores(ctx context.Context, ws string) ([]*lathe.Datastore, error) {
	list, err := s.o.Store.ListDatastores(ctx, ws)
	if err != nil {
		return nil, err
	}
	out := append([]*lathe.Datastore{builtin(ws)}, list...)
	for _, d := range out {
		d.Credentials = nil
	}
	return out, nil
}

// Datastore returns one datastore (without its credentials).
func (s *Service) Datastore(ctx context.Context, ws, name string) (*lathe.Datastore, error) {
	if err := lathe.ValidateName("datastore", name); err != nil {
		return nil, err
	}
	if name == lathe.WorkspaceBlobStore {
		return builtin(ws), nil
	}
	d, err := s.o.Store.Datastore(ctx, ws, name)
	if err != nil {
		return nil, err
	}
	d.Credentials = nil
	return d, nil
}

// DeleteDatastore deletes a datastore no version refers to.
func (s *Service) DeleteDatastore(ctx context.Context, ws, name string) error {
	if err := lathe.ValidateName("datastore", name); err != nil {
		return err
	}
	if name == lathe.WorkspaceBlobStore {
		return lathe.Errorf(lathe.ECONFLICT, "datastore %q is built in and cannot be deleted", name)
	}
	return s.o.Store.DeleteDatastore(ctx, ws, name)
}

// credentials opens a datastore's sealed credentials.
func (s *Service) credentials(d *lathe.Datastore) (Credentials, error) {
	var c Credentials
	if len(d.Credentials) == 0 {
		return c, nil
	}
	if s.seal == nil {
		return c, lathe.Errorf(lathe.EUNAVAILABLE, "this server has no data key, so the credentials of datastore %q cannot be read", d.Name)
	}
	plain, err := s.seal.open(d.WorkspaceID, d.Name, d.Credentials)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(plain, &c); err != nil {
		return c, lathe.Errorf(lathe.ECORRUPT, "the stored credentials of datastore %q are damaged; delete the datastore and create it again", d.Name)
	}
	return c, nil
}

package s3

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/latheml/lathe"
)

// DefaultEndpoint is the endpoint used when a URL names none: Amazon S3.
const DefaultEndpoint = "s3.amazonaws.com"

// DefaultConcurrency is how many requests Exists has in flight at once when
// Options.Concurrency is zero.
const DefaultConcurrency = 16

// maxPrefixLen keeps the keys below S3's limit of 1,024 bytes with room for
// the "/sha256/<2>/<64>" suffix.
const maxPrefixLen = 900

// Options configure a Store. Credentials are passed in by the caller (from
// Lathe's configuration); the package never reads the environment.
type Options struct {
	// Endpoint is the host[:port] of the S3 API, without a scheme.
	Endpoint string
	// Region is the bucket's region; empty lets the client discover it.
	Region string
	// Bucket holds the blobs.
	Bucket string
	// Prefix is prepended to every key, without leading or trailing slash;
	// empty puts the blobs at the top of the bucket.
	Prefix string
	// AccessKey and SecretKey sign the requests; both empty sends anonymous
	// requests.
	AccessKey string
	SecretKey string
	// Secure selects https.
	Secure bool
	// TempDir is a local directory where Put spools a stream before
	// uploading it. It is required, and needs room for the largest blob.
	TempDir string
	// CreateBucket makes New create the bucket if it does not exist, instead
	// of failing.
	CreateBucket bool
	// Concurrency bounds the requests Exists has in flight; 0 means
	// DefaultConcurrency.
	Concurrency int
}

// ParseURL parses a store URL of the form
//
//	s3://bucket/optional/prefix?endpoint=http://127.0.0.1:7070&region=us-east-1
//
// The endpoint's scheme decides Secure (http or https); without an endpoint
// the store is Amazon S3 over https. Credentials are never part of the URL:
// the caller sets AccessKey and SecretKey, and TempDir, on the result.
func ParseURL(raw string) (Options, error) {
	bad := func(format string, args ...any) (Options, error) {
		return Options{}, lathe.Errorf(lathe.EINVALID, "s3 URL %q: "+format, append([]any{redact(raw)}, args...)...)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("not a URL; write it as s3://bucket/prefix?endpoint=https://host:port")
	}
	if u.Scheme != "s3" {
		return bad("scheme must be s3, as in s3://bucket/prefix")
	}
	if u.User != nil {
		return bad("credentials must not be in the URL; set the access and secret keys in the configuration")
	}
	if u.Opaque != "" || u.Host == "" {
		return bad("names no bucket; write it as s3://bucket/prefix")
	}
	if u.Fragment != "" || strings.HasSuffix(raw, "#") {
		return bad("must not have a #fragment")
	}
	o := Options{
		Bucket:   u.Host,
		Prefix:   strings.Trim(u.Path, "/"),
		Endpoint: DefaultEndpoint,
		Secure:   true,
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return bad("bad query string; write it as ?endpoint=https://host:port&region=name")
	}
	allowed := []string{"endpoint", "region"}
	for k, vs := range q {
		if !slices.Contains(allowed, k) {
			return bad("unknown parameter %q; the parameters are %s", k, strings.Join(allowed, " and "))
		}
		if len(vs) != 1 || vs[0] == "" {
			return bad("parameter %q must be given once, with a value", k)
		}
	}
	o.Region = q.Get("region")
	if ep := q.Get("endpoint"); ep != "" {
		e, err := url.Parse(ep)
		if err != nil || e.Host == "" || (e.Scheme != "http" && e.Scheme != "https") {
			return bad("endpoint %q must be http://host:port or https://host:port", ep)
		}
		if e.User != nil || (e.Path != "" && e.Path != "/") || e.RawQuery != "" || e.Fragment != "" {
			return bad("endpoint %q must be only a scheme, a host and a port, like https://host:port", ep)
		}
		o.Endpoint = e.Host
		o.Secure = e.Scheme == "https"
	}
	if err := o.validateLocation(); err != nil {
		return Options{}, fmt.Errorf("s3 URL %q: %w", redact(raw), err)
	}
	return o, nil
}

// redact drops the user information (credentials) from a URL before it is
// quoted in an error.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}

// String returns o as a store URL, which ParseURL turns back into o less
// the credentials, TempDir, CreateBucket and Concurrency. It never contains
// the keys, so it is safe to log.
func (o Options) String() string {
	u := url.URL{Scheme: "s3", Host: o.Bucket}
	if o.Prefix != "" {
		u.Path = "/" + o.Prefix
	}
	q := url.Values{}
	if o.Endpoint != DefaultEndpoint || !o.Secure {
		q.Set("endpoint", o.endpointURL())
	}
	if o.Region != "" {
		q.Set("region", o.Region)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func (o Options) endpointURL() string {
	scheme := "http"
	if o.Secure {
		scheme = "https"
	}
	return scheme + "://" + o.Endpoint
}

// Validate checks o.
func (o Options) Validate() error {
	if err := o.validateLocation(); err != nil {
		return err
	}
	if o.TempDir == "" {
		return lathe.Errorf(lathe.EINVALID, "s3 blob store needs a local temp directory to spool uploads in; set it to a directory with room for the largest blob")
	}
	if o.Concurrency < 0 {
		return lathe.Errorf(lathe.EINVALID, "s3 blob store concurrency %d is negative; use 0 for the default of %d", o.Concurrency, DefaultConcurrency)
	}
	if (o.AccessKey == "") != (o.SecretKey == "") {
		return lathe.Errorf(lathe.EINVALID, "s3 blob store has an access key or a secret key but not both; set both, or neither for anonymous access")
	}
	return nil
}

// validateLocation checks the fields that a URL carries.
func (o Options) validateLocation() error {
	if err := validateEndpoint(o.Endpoint); err != nil {
		return err
	}
	if err := validateBucket(o.Bucket); err != nil {
		return err
	}
	return validatePrefix(o.Prefix)
}

func validateEndpoint(ep string) error {
	if ep == "" {
		return lathe.Errorf(lathe.EINVALID, "s3 endpoint is empty; set it to host:port, such as %s", DefaultEndpoint)
	}
	if strings.Contains(ep, "/") {
		return lathe.Errorf(lathe.EINVALID, "s3 endpoint %q must be host:port without a scheme or path; choose https with the secure setting", ep)
	}
	host := ep
	if h, _, err := net.SplitHostPort(ep); err == nil {
		host = h
	}
	if host == "" {
		return lathe.Errorf(lathe.EINVALID, "s3 endpoint %q has no host; set it to host:port", ep)
	}
	return nil
}

// validateBucket applies S3's bucket naming rules.
func validateBucket(b string) error {
	bad := func(why string) error {
		return lathe.Errorf(lathe.EINVALID, "s3 bucket name %q %s; bucket names are 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit", b, why)
	}
	if len(b) < 3 || len(b) > 63 {
		return bad(fmt.Sprintf("has %d characters", len(b)))
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return bad(fmt.Sprintf("has %q at position %d", c, i))
		}
	}
	if !isAlnum(b[0]) || !isAlnum(b[len(b)-1]) {
		return bad("must start and end with a letter or digit")
	}
	if strings.Contains(b, "..") {
		return bad("has two dots in a row")
	}
	if net.ParseIP(b) != nil {
		return bad("looks like an IP address")
	}
	return nil
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// validatePrefix accepts slash-separated segments that are not empty, "." or
// ".." (some S3 servers map keys to file paths) and have no control
// characters.
func validatePrefix(p string) error {
	if p == "" {
		return nil
	}
	bad := func(why string) error {
		return lathe.Errorf(lathe.EINVALID, "s3 key prefix %q %s; use slash-separated names such as lathe/blobs", p, why)
	}
	if len(p) > maxPrefixLen {
		return bad(fmt.Sprintf("is %d bytes long, more than %d", len(p), maxPrefixLen))
	}
	if strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
		return bad("must not start or end with a slash")
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return bad(fmt.Sprintf("has the path segment %q", seg))
		}
	}
	for i, r := range p {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return bad(fmt.Sprintf("has the character %q at byte %d", r, i))
		}
	}
	return nil
}

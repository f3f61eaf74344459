package lathe

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"time"
)

// AnonymousComponent is the name under which components without a
// registered name are stored: a `component: ./train.yml` file of a
// pipeline, keyed by the digest of its content (the version is the
// digest's hex), as Azure ML registers such components anonymously.
const AnonymousComponent = "azureml_anonymous"

// MaxComponentYAML bounds a component's YAML text.
const MaxComponentYAML = 64 << 10

// ComponentSpec is a component as stored: its commandComponent YAML as
// written (parsed again wherever it is used, so errors keep their file and
// line) and the snapshot of its code folder, uploaded by the client.
type ComponentSpec struct {
	// File is the name of the file the YAML came from, for positions in
	// error messages.
	File string        `json:"file" doc:"file name the YAML came from (for error positions)"`
	YAML string        `json:"yaml" doc:"the commandComponent YAML text"`
	Code *CodeSnapshot `json:"code,omitempty"`
}

// Validate checks sizes; the YAML itself is checked by the parser.
func (s *ComponentSpec) Validate() error {
	if strings.TrimSpace(s.YAML) == "" {
		return Errorf(EINVALID, "the component's YAML is empty; give a commandComponent document (name, version, inputs, outputs, command, environment)")
	}
	if len(s.YAML) > MaxComponentYAML {
		return Errorf(ETOOLARGE, "the component's YAML is %d bytes; the limit is %d", len(s.YAML), MaxComponentYAML)
	}
	if len(s.File) > MaxDataPathLen {
		return Errorf(EINVALID, "the component's file name is over %d bytes", MaxDataPathLen)
	}
	if s.Code != nil {
		if err := s.Code.Manifest.Validate(); err != nil {
			return fmt.Errorf("code: %w", err)
		}
	}
	return nil
}

// Digest is the content address of the component: its YAML and its code
// tree. The file name does not count, so the same file moved elsewhere is
// the same component.
func (s *ComponentSpec) Digest() Digest {
	h := sha256.New()
	fmt.Fprintf(h, "lathe component v1\n%d:%s,", len(s.YAML), s.YAML)
	if s.Code != nil {
		fmt.Fprintf(h, "%d:%s,", len(s.Code.Digest), s.Code.Digest)
	} else {
		h.Write([]byte("0:,"))
	}
	return NewDigest(h.Sum(nil))
}

// Component is a registered version of a command component (or an
// anonymous one, or a built-in one).
type Component struct {
	WorkspaceID string `json:"-"`
	Name        string `json:"name"`
	Version     string `json:"version"`
	// Anonymous components were registered from a pipeline's
	// `component: ./file.yml`; Name is AnonymousComponent and Version the
	// digest's hex.
	Anonymous bool `json:"anonymous,omitempty"`
	// Builtin components ship with Lathe (lathe.train_tabular ...); they
	// are not stored.
	Builtin         bool              `json:"builtin,omitempty"`
	DisplayName     string            `json:"display_name,omitempty"`
	Description     string            `json:"description,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
	IsDeterministic bool              `json:"is_deterministic"`
	Digest          Digest            `json:"digest"`
	Archived        bool              `json:"archived,omitempty"`
	Spec            ComponentSpec     `json:"spec"`
	CreatedAt       time.Time         `json:"created_at"`
	CreatedBy       string            `json:"created_by"`
}

// Ref is the component's reference as a pipeline step writes it:
// azureml:<name>:<version>.
func (c *Component) Ref() string { return "azureml:" + c.Name + ":" + c.Version }

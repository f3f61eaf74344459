package lathe

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"time"
)

// Environment kinds: how a job's command runs.
const (
	// EnvHost runs the command with the compute's own shell and python3.
	EnvHost = "host"
	// EnvPython runs it in a Python virtual environment with pip packages,
	// built once per spec digest and cached on the compute.
	EnvPython = "python"
	// EnvImage runs it in a container image through a container runtime.
	EnvImage = "image"
)

// HostEnvironment is the name of the built-in environment of kind host.
const HostEnvironment = "host"

// Limits on an environment spec.
const (
	MaxEnvPackages   = 500
	MaxEnvPackageLen = 1000
	MaxEnvFileSize   = 256 << 10 // a conda or requirements file
	MaxImageRefLen   = 1024
)

// EnvironmentSpec is what makes an environment: Azure's
// environment.schema.json image and conda_file, with the conda file's pip
// list (and its other packages, installed with pip too) or a requirements
// file read into Packages.
type EnvironmentSpec struct {
	Image string `json:"image,omitempty" doc:"container image, run through the compute's container runtime"`
	// CondaFile is the conda YAML as written, kept for reference.
	CondaFile string `json:"conda_file,omitempty"`
	// Packages are pip requirement lines (from the conda file's pip list and
	// dependencies, or from a requirements file).
	Packages []string `json:"packages,omitempty" doc:"pip requirement lines"`
	// Python is the Python version the conda file asks for, if any (the
	// compute's python3 is used; a mismatch is reported in the job's log).
	Python string `json:"python,omitempty"`
}

// Kind returns how the spec runs: image, python (with packages or a conda
// file) or host.
func (e *EnvironmentSpec) Kind() string {
	switch {
	case e == nil:
		return EnvHost
	case e.Image != "":
		return EnvImage
	case len(e.Packages) > 0 || e.CondaFile != "" || e.Python != "":
		return EnvPython
	}
	return EnvHost
}

// Digest is the content address of what the environment builds: kind,
// image, python and packages. Environments with equal digests share one
// build on a compute.
func (e *EnvironmentSpec) Digest() Digest {
	h := sha256.New()
	fmt.Fprintf(h, "kind %s\nimage %s\npython %s\n", e.Kind(), e.Image, e.Python)
	for _, p := range e.Packages {
		fmt.Fprintf(h, "pip %s\n", p)
	}
	return NewDigest(h.Sum(nil))
}

// Validate checks sizes and package lines. Lines that name local files
// (-r, -c, -e) are refused: the build runs on the compute, not where the
// file is.
func (e *EnvironmentSpec) Validate() error {
	if len(e.Image) > MaxImageRefLen || strings.ContainsAny(e.Image, " \t\n\x00") {
		return Errorf(EINVALID, "image %q is not an image reference like python:3.12-slim", truncate(e.Image, 80))
	}
	if len(e.CondaFile) > MaxEnvFileSize {
		return Errorf(ETOOLARGE, "conda_file is %d bytes; the limit is %d", len(e.CondaFile), MaxEnvFileSize)
	}
	if len(e.Packages) > MaxEnvPackages {
		return Errorf(ETOOLARGE, "the environment lists %d packages; the limit is %d", len(e.Packages), MaxEnvPackages)
	}
	for _, p := range e.Packages {
		if p == "" || len(p) > MaxEnvPackageLen || strings.ContainsAny(p, "\n\r\x00") {
			return Errorf(EINVALID, "package %q must be one pip requirement line of at most %d characters", truncate(p, 80), MaxEnvPackageLen)
		}
		f := strings.Fields(p)[0]
		switch {
		case f == "-r" || f == "-c" || f == "-e" || strings.HasPrefix(f, "--requirement") || strings.HasPrefix(f, "--constraint") || strings.HasPrefix(f, "--editable"):
			return Errorf(EINVALID, "package line %q refers to a local file, which the compute does not have; list the packages themselves", truncate(p, 80))
		}
	}
	if len(e.Python) > 64 {
		return Errorf(EINVALID, "python version %q is too long", truncate(e.Python, 40))
	}
	return nil
}

// Environment is a versioned, immutable environment of a workspace.
type Environment struct {
	WorkspaceID string            `json:"-"`
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	Kind        string            `json:"kind" doc:"host, python or image"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Spec        EnvironmentSpec   `json:"spec"`
	Digest      Digest            `json:"digest" doc:"what the environment builds; equal digests share a build"`
	CreatedAt   time.Time         `json:"created_at"`
	CreatedBy   string            `json:"created_by,omitempty"`
}

// Validate checks an environment before it is stored.
func (e *Environment) Validate() error {
	if err := ValidateName("environment", e.Name); err != nil {
		return err
	}
	if strings.EqualFold(e.Name, HostEnvironment) {
		return Errorf(EINVALID, "environment name %q is reserved for the compute's own shell and python3; choose another", e.Name)
	}
	if err := ValidateDataVersion(e.Version); err != nil {
		return fmt.Errorf("environment %s: %w", e.Name, err)
	}
	if err := validateMeta("environment "+e.Name, e.Description, e.Tags); err != nil {
		return err
	}
	return e.Spec.Validate()
}

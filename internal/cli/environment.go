package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
	"github.com/latheml/lathe/internal/spec"
)

func (a *app) environmentCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "environment",
		Aliases: []string{"env"},
		Short:   "Create, list and show environments (what a job's command runs in)",
		Long: `An environment is a versioned, immutable description of what a job's command
runs in: a container image, or a Python virtual environment built from a conda
file's packages or a pip requirements file (built once per contents on each
compute and cached), or the compute's own shell and python3 (environment: host,
the default). Jobs name one as azureml:<name>:<version> or azureml:<name>@latest.`,
	}
	cmd.AddCommand(a.envCreateCmd(), a.envListCmd(), a.envShowCmd())
	return cmd
}

// envRequest builds the create request of an environment document; files
// it names are read relative to dir.
func envRequest(e *spec.Environment, dir string, read readFunc) (client.EnvironmentRequest, error) {
	req := client.EnvironmentRequest{Version: e.Version, Description: e.Description, Tags: e.Tags, Image: e.Image}
	conda, reqs, err := environmentFiles(e, dir, read)
	if err != nil {
		return req, err
	}
	req.CondaFile, req.Requirements = conda, reqs
	return req, nil
}

func (a *app) envCreateCmd() *cobra.Command {
	var file, name, version, image, conda, reqs, desc string
	var tags []string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an environment version from a YAML file or flags",
		Long: `Create an environment version. The spec is Azure ML's environment YAML (name,
version, description, tags, image, conda_file) plus requirements_file; flags
override the file. A conda or requirements file is read on this machine,
relative to the YAML file, and its contents are stored with the environment.
Without a version, the next number is taken.`,
		Example: `  lathe environment create -f env.yml
  lathe environment create --name sklearn --conda-file conda.yml
  lathe environment create --name torch --requirements requirements.txt --version 2
  lathe environment create --name slim --image python:3.12-slim -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var req client.EnvironmentRequest
			if file != "" {
				src, err := readLimited(file, spec.MaxFileSize, "an environment spec")
				if err != nil {
					return err
				}
				doc, err := spec.ParseKind(spec.KindEnvironment, file, src)
				if err != nil {
					return err
				}
				e := doc.(*spec.Environment)
				if req, err = envRequest(e, filepath.Dir(file), readSpecFile); err != nil {
					return fmt.Errorf("%s: %w", file, err)
				}
				if !cmd.Flags().Changed("name") {
					name = e.Name
				}
			}
			fs := cmd.Flags()
			if fs.Changed("version") {
				req.Version = version
			}
			if fs.Changed("description") {
				req.Description = desc
			}
			if fs.Changed("image") {
				req.Image = image
			}
			if fs.Changed("conda-file") {
				b, err := readSpecFile(conda)
				if err != nil {
					return fmt.Errorf("--conda-file: %w", err)
				}
				req.CondaFile, req.Requirements = string(b), ""
			}
			if fs.Changed("requirements") {
				b, err := readSpecFile(reqs)
				if err != nil {
					return fmt.Errorf("--requirements: %w", err)
				}
				req.Requirements, req.CondaFile = string(b), ""
			}
			t, err := parseTags(tags)
			if err != nil {
				return err
			}
			for k, v := range t {
				if req.Tags == nil {
					req.Tags = map[string]string{}
				}
				req.Tags[k] = v
			}
			if name == "" {
				return &usageError{lathe.Errorf(lathe.EINVALID, "give --name (or -f env.yml with name)")}
			}
			if req.Image == "" && req.CondaFile == "" && req.Requirements == "" {
				return &usageError{lathe.Errorf(lathe.EINVALID, "environment %s defines nothing to run in; give --image, --conda-file or --requirements (jobs that need nothing use environment: host)", name)}
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			e, err := c.CreateEnvironment(cmd.Context(), ws, name, req)
			if err != nil {
				return err
			}
			return a.print(e, func() table { return envTable(e) })
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "Azure ML environment YAML (environment.schema.json)")
	f.StringVarP(&name, "name", "n", "", "environment name")
	f.StringVarP(&version, "version", "v", "", "version (default: the next number)")
	f.StringVar(&image, "image", "", "container image, e.g. python:3.12-slim")
	f.StringVar(&conda, "conda-file", "", "conda environment YAML whose pip list and packages are installed")
	f.StringVar(&reqs, "requirements", "", "pip requirements file")
	f.StringVarP(&desc, "description", "d", "", "description")
	f.StringArrayVar(&tags, "tag", nil, "tag key=value (repeatable)")
	return cmd
}

func envTable(e *lathe.Environment) table {
	t := kv("name", e.Name, "version", e.Version, "kind", e.Kind, "digest", string(e.Digest), "created", when(e.CreatedAt)+" by "+e.CreatedBy)
	add := func(k, v string) { t.rows = append(t.rows, []string{k, v}) }
	if e.Description != "" {
		add("description", e.Description)
	}
	if e.Spec.Image != "" {
		add("image", e.Spec.Image)
	}
	if e.Spec.Python != "" {
		add("python", e.Spec.Python)
	}
	for _, p := range e.Spec.Packages {
		add("package", p)
	}
	for _, k := range sortedNames(e.Tags) {
		add("tags."+k, e.Tags[k])
	}
	return t
}

func (a *app) envListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list [NAME]",
		Short: "List environments, or the versions of one",
		Example: `  lathe environment list
  lathe environment list sklearn -o json`,
		Args: args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			all := []lathe.Environment{}
			cursor := ""
			for {
				var page []lathe.Environment
				var next string
				if len(argv) == 1 {
					page, next, err = c.EnvironmentVersions(cmd.Context(), ws, argv[0], cursor, 1000)
				} else {
					page, next, err = c.Environments(cmd.Context(), ws, cursor, 1000)
				}
				if err != nil {
					return err
				}
				all = append(all, page...)
				if cursor = next; cursor == "" {
					break
				}
			}
			return a.print(all, func() table {
				t := table{header: []string{"NAME", "VERSION", "KIND", "IMAGE", "PACKAGES", "CREATED", "BY"}}
				for _, e := range all {
					t.rows = append(t.rows, []string{e.Name, e.Version, e.Kind, e.Spec.Image, fmt.Sprint(len(e.Spec.Packages)), when(e.CreatedAt), e.CreatedBy})
				}
				return t
			})
		},
	}
}

// splitEnvRef reads NAME, NAME:VERSION, NAME@latest (with or without the
// azureml: prefix) into a name and a version ("latest" for the newest).
func splitEnvRef(s string) (string, string, error) {
	bare := strings.TrimPrefix(strings.TrimPrefix(s, "azureml:"), "lathe:")
	name, version := bare, "latest"
	if n, label, ok := strings.Cut(bare, "@"); ok {
		if label != "latest" {
			return "", "", lathe.Errorf(lathe.EINVALID, "environment %q: the only label is @latest", s)
		}
		name = n
	} else if n, v, ok := strings.Cut(bare, ":"); ok {
		if v == "" {
			return "", "", lathe.Errorf(lathe.EINVALID, "environment %q has an empty version; write %s:<version> or %s@latest", s, n, n)
		}
		name, version = n, v
	}
	if err := lathe.ValidateName("environment", name); err != nil {
		return "", "", err
	}
	return name, version, nil
}

func (a *app) envShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME[:VERSION|@latest]",
		Short: "Show an environment version (the newest when no version is given)",
		Example: `  lathe environment show sklearn
  lathe environment show sklearn:2
  lathe environment show azureml:sklearn@latest -o json`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			name, version, err := splitEnvRef(argv[0])
			if err != nil {
				return &usageError{err}
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			e, err := c.Environment(cmd.Context(), ws, name, version)
			if err != nil {
				return err
			}
			return a.print(e, func() table { return envTable(e) })
		},
	}
}

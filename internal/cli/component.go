package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
	"github.com/latheml/lathe/internal/spec"
)

func (a *app) componentCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "component",
		Short: "Register, list, show and archive command and pipeline components",
		Long: `A component is a reusable, versioned command with typed inputs and outputs,
written in Azure ML's commandComponent YAML, or a pipeline component
(pipelineComponent YAML, type: pipeline) whose steps run registered ones. Pipelines name registered ones as
azureml:<name>:<version> or azureml:<name>@latest; the built-in components
(lathe.train_tabular, lathe.split_data, lathe.evaluate, lathe.automl_tabular)
need no registration. See docs/pipelines.md.`,
	}
	cmd.AddCommand(a.componentCreateCmd(), a.componentListCmd(), a.componentShowCmd(), a.componentArchiveCmd())
	return cmd
}

func (a *app) componentCreateCmd() *cobra.Command {
	var file, name, version string
	var parallel int
	cmd := &cobra.Command{
		Use:   "create -f component.yml",
		Short: "Register a component version (its code folder is uploaded)",
		Example: `  lathe component create -f train.yml
  lathe component create -f train.yml --version 2 -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return &usageError{lathe.Errorf(lathe.EINVALID, "give the component's YAML with -f component.yml")}
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			_, cs, err := a.componentSpec(cmd.Context(), c, ws, file, parallel)
			if err != nil {
				return err
			}
			comp, err := c.CreateComponent(cmd.Context(), ws, client.ComponentRequest{Name: name, Version: version, Spec: *cs})
			if err != nil {
				return err
			}
			return a.print(comp, func() table { return componentTable(comp) })
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "Azure ML command or pipeline component YAML (commandComponent or pipelineComponent schema)")
	f.StringVarP(&name, "name", "n", "", "the component's name (default: the YAML's)")
	f.StringVarP(&version, "version", "v", "", "the version (default: the YAML's, else the next number)")
	f.IntVar(&parallel, "parallel", 4, "uploads in flight")
	return cmd
}

func componentTable(c *lathe.Component) table {
	t := kv("name", c.Name, "version", c.Version, "kind", componentKind(c), "display_name", c.DisplayName, "description", c.Description,
		"is_deterministic", fmt.Sprint(c.IsDeterministic), "digest", string(c.Digest), "archived", fmt.Sprint(c.Archived),
		"created_by", c.CreatedBy)
	if c.Spec.Code != nil {
		t.rows = append(t.rows, []string{"code", fmt.Sprintf("%d files, %s", c.Spec.Code.Files, c.Spec.Code.Digest)})
	}
	t.rows = append(t.rows, []string{"ref", c.Ref()})
	return t
}

// componentKind is "pipeline" for a pipeline component, "command"
// otherwise, read from the component's YAML.
func componentKind(c *lathe.Component) string {
	if spec.ComponentKind(firstNonEmpty(c.Spec.File, "component.yml"), []byte(c.Spec.YAML)) == spec.KindPipelineComponent {
		return "pipeline"
	}
	return "command"
}

func (a *app) componentListCmd() *cobra.Command {
	var archived bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List components (newest version of each; built-ins first)",
		Example: `  lathe component list
  lathe component list --archived -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			list, err := c.Components(cmd.Context(), ws, archived)
			if err != nil {
				return err
			}
			return a.print(list, func() table {
				t := table{header: []string{"NAME", "VERSION", "KIND", "DETERMINISTIC", "DESCRIPTION"}}
				for _, x := range list {
					t.rows = append(t.rows, []string{x.Name, x.Version, componentKind(&x), fmt.Sprint(x.IsDeterministic), x.Description})
				}
				return t
			})
		},
	}
	cmd.Flags().BoolVar(&archived, "archived", false, "count archived versions too")
	return cmd
}

func (a *app) componentShowCmd() *cobra.Command {
	var name, version string
	var yamlOnly bool
	cmd := &cobra.Command{
		Use:   "show -n NAME [-v VERSION]",
		Short: "Show a component version (default: latest) and its YAML",
		Example: `  lathe component show -n train
  lathe component show -n train -v 2 --yaml
  lathe component show -n lathe.train_tabular`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return &usageError{lathe.Errorf(lathe.EINVALID, "give the component's name with -n")}
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			comp, err := c.Component(cmd.Context(), ws, name, firstNonEmpty(version, "latest"))
			if err != nil {
				return err
			}
			if yamlOnly {
				_, err := fmt.Fprint(a.io.Out, comp.Spec.YAML)
				return err
			}
			return a.print(comp, func() table { return componentTable(comp) })
		},
	}
	f := cmd.Flags()
	f.StringVarP(&name, "name", "n", "", "component name")
	f.StringVarP(&version, "version", "v", "", "version (default latest)")
	f.BoolVar(&yamlOnly, "yaml", false, "print the component's YAML only")
	return cmd
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func (a *app) componentArchiveCmd() *cobra.Command {
	var name, version string
	var restore bool
	cmd := &cobra.Command{
		Use:   "archive -n NAME -v VERSION",
		Short: "Archive a component version: no longer @latest, still usable by version",
		Example: `  lathe component archive -n train -v 1
  lathe component archive -n train -v 1 --restore`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" || version == "" {
				return &usageError{lathe.Errorf(lathe.EINVALID, "give the component's name and version with -n and -v")}
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			comp, err := c.ArchiveComponent(cmd.Context(), ws, name, version, restore)
			if err != nil {
				return err
			}
			return a.print(comp, func() table { return componentTable(comp) })
		},
	}
	f := cmd.Flags()
	f.StringVarP(&name, "name", "n", "", "component name")
	f.StringVarP(&version, "version", "v", "", "version")
	f.BoolVar(&restore, "restore", false, "restore an archived version")
	return cmd
}

package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
)

func (a *app) datastoreCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "datastore",
		Short: "Create, list, show and delete datastores",
		Long: `Datastores are where data lives: the built-in workspaceblobstore (uploads),
local directories on the server's machine (read-only; server administrators
create them), and S3 buckets. Data versions refer to them with
azureml://datastores/<name>/paths/<path>.

S3 credentials are checked when the datastore is created (the bucket must
answer a listing), stored encrypted, and never shown again.`,
	}
	cmd.AddCommand(a.datastoreCreateCmd(), a.datastoreListCmd(), a.datastoreShowCmd(), a.datastoreDeleteCmd())
	return cmd
}

// datastoreSpec is the datastore YAML: Lathe's local and s3 types, with
// Azure's field names where they exist. Azure's own storage fields are
// recognised only to say they are not supported.
type datastoreSpec struct {
	Schema      string            `yaml:"$schema"`
	Name        string            `yaml:"name"`
	Type        string            `yaml:"type"`
	Description string            `yaml:"description"`
	Tags        map[string]string `yaml:"tags"`
	Path        string            `yaml:"path"`
	Bucket      string            `yaml:"bucket"`
	Prefix      string            `yaml:"prefix"`
	Endpoint    string            `yaml:"endpoint"`
	Region      string            `yaml:"region"`
	Credentials *struct {
		AccessKey  string `yaml:"access_key"`
		SecretKey  string `yaml:"secret_key"`
		AccountKey string `yaml:"account_key"`
		SASToken   string `yaml:"sas_token"`
	} `yaml:"credentials"`
	AccountName   string `yaml:"account_name"`
	ContainerName string `yaml:"container_name"`
	FileShareName string `yaml:"file_share_name"`
	Filesystem    string `yaml:"filesystem"`
	StoreName     string `yaml:"store_name"`
	Protocol      string `yaml:"protocol"`
}

func (a *app) datastoreCreateCmd() *cobra.Command {
	var file, name, typ, path, bucket, prefix, endpoint, region, accessKey, secretKey, desc string
	var tags []string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a local or S3 datastore from a YAML file or flags",
		Long: `Create a datastore. type: local names an absolute directory on the server's
machine (server administrators only; read-only). type: s3 names a bucket, an
optional key prefix, an endpoint (https://host:port, http://host:port; default
Amazon S3), a region and credentials (access_key, secret_key). The server
checks an S3 datastore at once, so wrong credentials fail here, not at first
use. Prefer the YAML file (or --secret-key from a variable) over typing keys
on the command line.`,
		Example: `  lathe datastore create -f lake.yml
  lathe datastore create --name nfs --type local --path /srv/datasets
  lathe datastore create --name lake --type s3 --bucket ml --prefix raw \
      --endpoint http://127.0.0.1:9000 --region us-east-1 \
      --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY"`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var y datastoreSpec
			if file != "" {
				if _, err := readSpec(file, &y); err != nil {
					return err
				}
			}
			if strings.HasPrefix(y.Type, "azure_") || y.AccountName != "" || y.ContainerName != "" || y.FileShareName != "" || y.Filesystem != "" || y.StoreName != "" {
				return lathe.Errorf(lathe.EUNSUPPORTED, "%s: Azure storage datastores (%s) need Azure; Lathe's datastores are type local (a directory on the server) and type s3 (any S3-compatible store)", file, y.Type)
			}
			spec := client.DatastoreSpec{Name: y.Name, Type: y.Type, Description: y.Description, Tags: y.Tags, Path: y.Path,
				Bucket: y.Bucket, Prefix: y.Prefix, Endpoint: y.Endpoint, Region: y.Region}
			if c := y.Credentials; c != nil {
				if c.AccountKey != "" || c.SASToken != "" {
					return lathe.Errorf(lathe.EUNSUPPORTED, "%s: account_key and sas_token are Azure credentials; an s3 datastore takes access_key and secret_key", file)
				}
				spec.Credentials = &client.S3Credentials{AccessKey: c.AccessKey, SecretKey: c.SecretKey}
			}
			fs := cmd.Flags()
			for flag, dst := range map[string]*string{"name": &spec.Name, "type": &spec.Type, "path": &spec.Path, "bucket": &spec.Bucket,
				"prefix": &spec.Prefix, "endpoint": &spec.Endpoint, "region": &spec.Region, "description": &spec.Description} {
				if fs.Changed(flag) {
					v, _ := fs.GetString(flag)
					*dst = v
				}
			}
			if fs.Changed("access-key") || fs.Changed("secret-key") {
				spec.Credentials = &client.S3Credentials{AccessKey: accessKey, SecretKey: secretKey}
			}
			t, err := parseTags(tags)
			if err != nil {
				return err
			}
			for k, v := range t {
				if spec.Tags == nil {
					spec.Tags = map[string]string{}
				}
				spec.Tags[k] = v
			}
			if spec.Name == "" || spec.Type == "" {
				return &usageError{lathe.Errorf(lathe.EINVALID, "give --name and --type (local or s3), or -f datastore.yml")}
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			d, err := c.CreateDatastore(cmd.Context(), ws, spec)
			if err != nil {
				return err
			}
			return a.print(d, func() table { return datastoreTable(d) })
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "datastore YAML")
	f.StringVarP(&name, "name", "n", "", "datastore name")
	f.StringVarP(&typ, "type", "t", "", "local or s3")
	f.StringVar(&path, "path", "", "local: absolute directory on the server")
	f.StringVar(&bucket, "bucket", "", "s3: bucket")
	f.StringVar(&prefix, "prefix", "", "s3: key prefix")
	f.StringVar(&endpoint, "endpoint", "", "s3: https://host:port or http://host:port (default Amazon S3)")
	f.StringVar(&region, "region", "", "s3: region")
	f.StringVar(&accessKey, "access-key", "", "s3: access key")
	f.StringVar(&secretKey, "secret-key", "", "s3: secret key (stored encrypted, never shown again)")
	f.StringVarP(&desc, "description", "d", "", "description")
	f.StringArrayVar(&tags, "tag", nil, "tag key=value (repeatable)")
	return cmd
}

func datastoreTable(d *lathe.Datastore) table {
	t := kv("name", d.Name, "type", d.Type)
	add := func(k, v string) {
		if v != "" {
			t.rows = append(t.rows, []string{k, v})
		}
	}
	add("path", d.Path)
	add("bucket", d.Bucket)
	add("prefix", d.Prefix)
	add("endpoint", d.Endpoint)
	add("region", d.Region)
	if d.Type == lathe.DatastoreS3 {
		add("credentials", map[bool]string{true: "stored (encrypted)", false: "none (anonymous)"}[d.HasCredentials])
	}
	add("description", d.Description)
	if !d.CreatedAt.IsZero() {
		add("created", when(d.CreatedAt)+" by "+d.CreatedBy)
	}
	return t
}

func (a *app) datastoreListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the workspace's datastores",
		Example: "  lathe datastore list -o json",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			list, err := c.Datastores(cmd.Context(), ws)
			if err != nil {
				return err
			}
			return a.print(list, func() table {
				t := table{header: []string{"NAME", "TYPE", "WHERE", "CREATED"}}
				for _, d := range list {
					where := d.Path
					if d.Type == lathe.DatastoreS3 {
						where = "s3://" + d.Bucket + "/" + d.Prefix + " at " + d.Endpoint
					}
					t.rows = append(t.rows, []string{d.Name, d.Type, where, when(d.CreatedAt)})
				}
				return t
			})
		},
	}
}

func (a *app) datastoreShowCmd() *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:     "show",
		Short:   "Show a datastore (never its credentials)",
		Example: "  lathe datastore show -n lake",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return &usageError{lathe.Errorf(lathe.EINVALID, "give the datastore's --name")}
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			d, err := c.Datastore(cmd.Context(), ws, name)
			if err != nil {
				return err
			}
			return a.print(d, func() table { return datastoreTable(d) })
		},
	}
	cmd.Flags().StringVarP(&name, "name", "n", "", "datastore name")
	return cmd
}

func (a *app) datastoreDeleteCmd() *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:     "delete",
		Short:   "Delete a datastore that no data version refers to",
		Example: "  lathe datastore delete -n lake",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return &usageError{lathe.Errorf(lathe.EINVALID, "give the datastore's --name")}
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			if err := c.DeleteDatastore(cmd.Context(), ws, name); err != nil {
				return err
			}
			out := map[string]string{"name": name, "action": "delete"}
			return a.print(out, func() table { return table{rows: [][]string{{"deleted datastore " + name}}} })
		},
	}
	cmd.Flags().StringVarP(&name, "name", "n", "", "datastore name")
	return cmd
}

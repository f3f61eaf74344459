package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
	"github.com/latheml/lathe/internal/config"
	"github.com/latheml/lathe/internal/data/stage"
	"github.com/latheml/lathe/internal/data/upload"
	"github.com/latheml/lathe/internal/profile"
)

// maxSpecFile bounds a YAML spec file (data.yml, datastore.yml).
const maxSpecFile = 1 << 20

func (a *app) dataCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "data",
		Short: "Create, list, show, download, compare and archive data assets",
		Long: `Data assets are versioned, immutable references to data: a file (uri_file), a
folder (uri_folder) or a table (mltable: a folder with an MLTable file). They
are created from local files, which are uploaded once (only the contents the
server lacks are sent), or from a datastore path, which is referenced and
hashed where it is. Tabular data (CSV, Parquet) is profiled at creation.`,
	}
	cmd.AddCommand(a.dataCreateCmd(), a.dataListCmd(), a.dataShowCmd(), a.dataDownloadCmd(), a.dataDiffCmd(),
		a.dataArchiveCmd(true), a.dataArchiveCmd(false), a.dataUpdateCmd())
	return cmd
}

// dataSpec is Azure's data.schema.json.
type dataSpec struct {
	Schema      string            `yaml:"$schema"`
	Name        string            `yaml:"name"`
	Version     any               `yaml:"version"`
	Description string            `yaml:"description"`
	Tags        map[string]string `yaml:"tags"`
	Type        string            `yaml:"type"`
	Path        string            `yaml:"path"`
}

// readSpec reads a YAML spec file into v, refusing unknown fields with
// their line, and returns the file's directory (relative paths in it are
// relative to that).
func readSpec(file string, v any) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", &usageError{lathe.Errorf(lathe.EINVALID, "-f %s: %v", file, err)}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSpecFile+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", file, err)
	}
	if len(b) > maxSpecFile {
		return "", lathe.Errorf(lathe.ETOOLARGE, "%s is over %d bytes; a spec file is small YAML", file, maxSpecFile)
	}
	if err := yaml.NewDecoder(bytes.NewReader(b), yaml.DisallowUnknownField()).Decode(v); err != nil {
		return "", lathe.Errorf(lathe.EINVALID, "%s: %s", file, yaml.FormatError(err, false, true))
	}
	return filepath.Dir(file), nil
}

func versionString(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int:
		return strconv.Itoa(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	}
	return "", lathe.Errorf(lathe.EINVALID, "version %v must be a string or a number", v)
}

func parseTags(kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, &usageError{lathe.Errorf(lathe.EINVALID, "--tag %q: write key=value", kv)}
		}
		out[k] = v
	}
	return out, nil
}

// CreateResult is a created data version with what the upload did.
type CreateResult struct {
	lathe.DataVersion
	Upload *upload.Stats `json:"upload,omitempty"`
}

func (a *app) dataCreateCmd() *cobra.Command {
	var file, name, version, typ, path, desc string
	var tags []string
	var strict, noCache bool
	var parallel int
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a data version from a YAML file or flags (local files are uploaded once)",
		Long: `Create a data version. The spec is Azure ML's data YAML (name, version,
description, tags, type, path) or the same fields as flags; flags override the
file. A relative path in the file is relative to the file.

A local path is hashed on this machine (in parallel, with a hash cache in
$LATHE_HOME/cache so an unchanged tree is not read again), the server is asked
which contents it has, and only the missing ones are uploaded. An interrupted
create resumes where it stopped when run again. A path
azureml://datastores/<ds>/paths/<p> refers to data where it is.

Without a version, the next number is taken. CSV and Parquet data is profiled
on the server; problems (ragged rows, bad UTF-8) are recorded with their line,
or refuse the data with --strict.`,
		Example: `  lathe data create -f data.yml
  lathe data create --name bank --type uri_file --path ./bank.csv
  lathe data create --name images --type uri_folder --path ./images --version 2024-06
  lathe data create --name lake-raw --type uri_folder --path azureml://datastores/lake/paths/raw/2024
  lathe data create -n bank --type uri_file --path bank.csv --strict -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec := dataSpec{}
			base := ""
			if file != "" {
				var err error
				if base, err = readSpec(file, &spec); err != nil {
					return err
				}
			}
			v, err := versionString(spec.Version)
			if err != nil {
				return err
			}
			fs := cmd.Flags()
			set := func(dst *string, flag, val string) {
				if fs.Changed(flag) {
					*dst = val
				}
			}
			set(&spec.Name, "name", name)
			set(&v, "version", version)
			set(&spec.Type, "type", typ)
			set(&spec.Path, "path", path)
			set(&spec.Description, "description", desc)
			t, err := parseTags(tags)
			if err != nil {
				return err
			}
			for k, val := range t {
				if spec.Tags == nil {
					spec.Tags = map[string]string{}
				}
				spec.Tags[k] = val
			}
			if spec.Type == "" {
				spec.Type = lathe.DataURIFolder // Azure's default
			}
			if spec.Name == "" || spec.Path == "" {
				return &usageError{lathe.Errorf(lathe.EINVALID, "give --name and --path (or -f data.yml with name and path)")}
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			vs := client.VersionSpec{Version: v, Type: spec.Type, Description: spec.Description, Tags: spec.Tags, Strict: strict}
			res := CreateResult{}
			if strings.Contains(spec.Path, "://") {
				vs.Path = spec.Path
			} else {
				p := spec.Path
				if base != "" && !filepath.IsAbs(p) {
					p = filepath.Join(base, p)
				}
				st, m, err := a.uploadTree(cmd.Context(), c, ws, p, spec.Type, noCache, parallel)
				if err != nil {
					return err
				}
				vs.Manifest, res.Upload = m, st
			}
			dv, err := c.CreateDataVersion(cmd.Context(), ws, spec.Name, vs)
			if err != nil {
				return err
			}
			res.DataVersion = *dv
			return a.print(res, func() table {
				t := versionTable(dv)
				if st := res.Upload; st != nil {
					t.rows = append(t.rows, []string{"upload", fmt.Sprintf("%d files: %d hashed, %d from the hash cache, %d on the server already, %d sent (%s) in %s",
						st.Files, st.HashedFiles, st.CachedFiles, st.PresentFiles, st.SentFiles, lathe.FormatBytes(st.SentBytes), st.Duration.Round(time.Millisecond))})
				}
				if p, err := c.DataProfile(cmd.Context(), ws, dv.Name, dv.Version); err == nil {
					t.rows = append(t.rows, profileRows(p)...)
				}
				return t
			})
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "Azure ML data YAML (data.schema.json)")
	f.StringVarP(&name, "name", "n", "", "asset name")
	f.StringVarP(&version, "version", "v", "", "version label (default: the next number)")
	f.StringVarP(&typ, "type", "t", "", "uri_file, uri_folder (default) or mltable")
	f.StringVarP(&path, "path", "p", "", "local file or folder, or azureml://datastores/<ds>/paths/<p>")
	f.StringVarP(&desc, "description", "d", "", "description")
	f.StringArrayVar(&tags, "tag", nil, "tag key=value (repeatable)")
	f.BoolVar(&strict, "strict", false, "refuse tabular data with problems instead of recording them in the profile")
	f.BoolVar(&noCache, "no-hash-cache", false, "hash every file again instead of trusting the hash cache")
	f.IntVar(&parallel, "parallel", 4, "uploads in flight")
	return cmd
}

// cacheDir is where the hash cache lives: $LATHE_HOME/cache or
// ~/.lathe/cache.
func (a *app) cacheDir() string {
	return filepath.Join(config.Default(a.io.Getenv("LATHE_HOME")).DataDir, "cache")
}

// uploadTree scans, hashes and uploads a local path and returns the
// manifest, drawing progress on a terminal.
func (a *app) uploadTree(ctx context.Context, c *client.Client, ws, p, typ string, noCache bool, parallel int) (*upload.Stats, []lathe.ManifestEntry, error) {
	files, err := upload.Scan(p, typ)
	if err != nil {
		return nil, nil, err
	}
	var cache *upload.Cache
	if !noCache {
		if cache, err = upload.OpenCache(a.cacheDir()); err != nil {
			return nil, nil, err
		}
	}
	cnt := &upload.Counters{}
	stop := a.uploadProgress(cnt, len(files))
	m, st, err := upload.Run(ctx, files, c.Blobs(ws), upload.Options{Cache: cache, Uploaders: parallel, Counters: cnt})
	stop()
	if err != nil {
		return nil, nil, err
	}
	return &st, m, nil
}

// uploadProgress draws "hashed x/y, sent z, rate" on a terminal until the
// returned function is called.
func (a *app) uploadProgress(c *upload.Counters, files int) func() {
	if !isTerminal(a.io.Err) {
		return func() {}
	}
	start := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	draw := func(final bool) {
		el := time.Since(start).Seconds()
		h, s, t := c.HashedBytes.Load(), c.SentBytes.Load(), c.TotalBytes.Load()
		rate := 0.0
		if el > 0 {
			rate = float64(h) / el
		}
		end := ""
		if final {
			end = "\n"
		}
		fmt.Fprintf(a.io.Err, "\r\033[Kupload     %d/%d files  hashed %s/%s  sent %s  %s/s%s",
			c.DoneFiles.Load(), files, lathe.FormatBytes(h), lathe.FormatBytes(t), lathe.FormatBytes(s), lathe.FormatBytes(int64(rate)), end)
	}
	wg.Go(func() {
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-done:
				return
			case <-tk.C:
				draw(false)
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
		draw(true)
	}
}

func versionTable(v *lathe.DataVersion) table {
	t := kv("name", v.Name, "version", v.Version, "type", v.Type, "path", v.Path, "digest", string(v.Digest),
		"files", strconv.FormatInt(v.Files, 10), "size", lathe.FormatBytes(v.Size), "archived", strconv.FormatBool(v.Archived),
		"created", when(v.CreatedAt)+" by "+v.CreatedBy)
	if v.Description != "" {
		t.rows = append(t.rows, []string{"description", v.Description})
	}
	if len(v.Tags) > 0 {
		keys := make([]string, 0, len(v.Tags))
		for k := range v.Tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+"="+v.Tags[k])
		}
		t.rows = append(t.rows, []string{"tags", strings.Join(parts, ", ")})
	}
	return t
}

// profileRows summarises a profile for the table view: rows, columns,
// problems, and one line per column (at most 12).
func profileRows(raw json.RawMessage) [][]string {
	var p profile.Profile
	if json.Unmarshal(raw, &p) != nil {
		return nil
	}
	rows := [][]string{{"profile", fmt.Sprintf("%d rows × %d columns (%s)", p.Rows, len(p.Columns), p.Format)}}
	if p.ProblemCount > 0 {
		first := ""
		if len(p.Problems) > 0 {
			first = fmt.Sprintf("; first at line %d: %s", p.Problems[0].Line, p.Problems[0].Message)
		}
		rows = append(rows, []string{"problems", fmt.Sprintf("%d (ragged rows %d, invalid UTF-8 rows %d)%s", p.ProblemCount, p.RaggedRows, p.InvalidUTF8Rows, first)})
	}
	for i, c := range p.Columns {
		if i == 12 {
			rows = append(rows, []string{"", fmt.Sprintf("… %d more columns (-o json shows all)", len(p.Columns)-12)})
			break
		}
		rows = append(rows, []string{"  " + c.Name, ColumnSummary(c)})
	}
	return rows
}

// ColumnSummary is one line about a profiled column.
func ColumnSummary(c profile.ColumnProfile) string {
	s := string(c.Type)
	if c.Categorical {
		s += " (categorical)"
	}
	s += fmt.Sprintf(", %.1f%% null, %d distinct", c.NullRate*100, c.Distinct)
	if c.Mean != nil && c.Min != nil && c.Max != nil {
		s += fmt.Sprintf(", mean %.4g in [%.4g, %.4g]", *c.Mean, *c.Min, *c.Max)
	}
	if len(c.TopK) > 0 {
		s += fmt.Sprintf(", top %q", c.TopK[0].Value)
	}
	return s
}

// refFlags are -n/--name and -v/--version (or --label latest).
type refFlags struct{ name, version, label string }

func (r *refFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&r.name, "name", "n", "", "asset name (name@latest works too)")
	cmd.Flags().StringVarP(&r.version, "version", "v", "", "version")
	cmd.Flags().StringVar(&r.label, "label", "", "latest: the newest version that is not archived")
}

// resolve returns the name and version ("latest" for the label).
func (r *refFlags) resolve() (string, string, error) {
	name, version := r.name, r.version
	if base, ok := strings.CutSuffix(name, "@latest"); ok {
		name, r.label = base, "latest"
	}
	switch {
	case name == "":
		return "", "", &usageError{lathe.Errorf(lathe.EINVALID, "give the asset's --name")}
	case r.label != "" && r.label != "latest":
		return "", "", &usageError{lathe.Errorf(lathe.EINVALID, "--label %q: the only label is latest", r.label)}
	case r.label != "" && version != "":
		return "", "", &usageError{lathe.Errorf(lathe.EINVALID, "give --version or --label, not both")}
	case r.label != "":
		version = "latest"
	case version == "":
		return "", "", &usageError{lathe.Errorf(lathe.EINVALID, "give --version (or --label latest)")}
	}
	return name, version, nil
}

func (a *app) dataListCmd() *cobra.Command {
	var name string
	var archived bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List data assets, or the versions of one (-n)",
		Example: `  lathe data list
  lathe data list -n bank --archived -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			if name == "" {
				var all []lathe.DataAsset
				cursor := ""
				for {
					page, next, err := c.DataAssets(cmd.Context(), ws, archived, cursor, 1000)
					if err != nil {
						return err
					}
					all = append(all, page...)
					if cursor = next; cursor == "" {
						break
					}
				}
				if all == nil {
					all = []lathe.DataAsset{}
				}
				return a.print(all, func() table {
					t := table{header: []string{"NAME", "LATEST", "VERSIONS", "UPDATED", "ARCHIVED"}}
					for _, d := range all {
						t.rows = append(t.rows, []string{d.Name, d.LatestVersion, strconv.FormatInt(d.Versions, 10), when(d.UpdatedAt), strconv.FormatBool(d.Archived)})
					}
					return t
				})
			}
			var all []lathe.DataVersion
			cursor := ""
			for {
				page, next, err := c.DataVersions(cmd.Context(), ws, name, archived, cursor, 1000)
				if err != nil {
					return err
				}
				all = append(all, page...)
				if cursor = next; cursor == "" {
					break
				}
			}
			if all == nil {
				all = []lathe.DataVersion{}
			}
			return a.print(all, func() table {
				t := table{header: []string{"VERSION", "TYPE", "FILES", "SIZE", "CREATED", "BY", "ARCHIVED", "PATH"}}
				for _, v := range all {
					t.rows = append(t.rows, []string{v.Version, v.Type, strconv.FormatInt(v.Files, 10), lathe.FormatBytes(v.Size), when(v.CreatedAt), v.CreatedBy, strconv.FormatBool(v.Archived), v.Path})
				}
				return t
			})
		},
	}
	cmd.Flags().StringVarP(&name, "name", "n", "", "list this asset's versions")
	cmd.Flags().BoolVar(&archived, "archived", false, "include archived assets or versions")
	return cmd
}

// ShowResult is a data version with its profile.
type ShowResult struct {
	lathe.DataVersion
	Profile json.RawMessage `json:"profile,omitempty"`
}

func (a *app) dataShowCmd() *cobra.Command {
	var ref refFlags
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Show a data version and its profile",
		Example: `  lathe data show -n bank -v 3
  lathe data show -n bank --label latest -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			name, version, err := ref.resolve()
			if err != nil {
				return err
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			v, err := c.DataVersion(cmd.Context(), ws, name, version)
			if err != nil {
				return err
			}
			res := ShowResult{DataVersion: *v}
			if p, err := c.DataProfile(cmd.Context(), ws, v.Name, v.Version); err == nil {
				res.Profile = p
			} else if !lathe.IsCode(err, lathe.ENOTFOUND) {
				return err
			}
			return a.print(res, func() table {
				t := versionTable(v)
				if res.Profile != nil {
					t.rows = append(t.rows, profileRows(res.Profile)...)
				}
				return t
			})
		},
	}
	ref.add(cmd)
	return cmd
}

// DownloadResult says what a download wrote.
type DownloadResult struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Path    string `json:"path"`
	stage.Result
}

func (a *app) dataDownloadCmd() *cobra.Command {
	var ref refFlags
	var to string
	var parallel int
	cmd := &cobra.Command{
		Use:   "download",
		Short: "Download a data version into a folder (parallel, verified)",
		Long: `Download every file of a data version into a folder (created if missing),
several at a time. Each file is written to a temporary name, checked against
its recorded digest and only then renamed into place; files of the folder that
the version does not list are left alone.`,
		Example: `  lathe data download -n bank -v 3 --to ./bank
  lathe data download -n images --label latest --to /tmp/images -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			name, version, err := ref.resolve()
			if err != nil {
				return err
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			v, m, err := c.DataManifest(cmd.Context(), ws, name, version)
			if err != nil {
				return err
			}
			if to == "" {
				to = v.Name + "-" + v.Version
			}
			p := newProgress(a.io.Err, "download", v.Size)
			src := stage.SourceFunc(func(ctx context.Context, e lathe.ManifestEntry) (io.ReadCloser, error) {
				return c.OpenDataFile(ctx, ws, v.Name, v.Version, e)
			})
			res, err := stage.Materialize(cmd.Context(), m, src, to, stage.Options{Parallel: parallel, Progress: func(n int64) { p.done.Add(n) }})
			p.Finish()
			if err != nil {
				return err
			}
			out := DownloadResult{Name: v.Name, Version: v.Version, Path: to, Result: res}
			return a.print(out, func() table {
				return kv("asset", v.Name+":"+v.Version, "path", to, "files", strconv.Itoa(res.Files), "bytes", lathe.FormatBytes(res.Bytes))
			})
		},
	}
	ref.add(cmd)
	cmd.Flags().StringVar(&to, "to", "", "folder to write into (default <name>-<version>)")
	cmd.Flags().StringVar(&to, "download-path", "", "same as --to (Azure's name)")
	cmd.Flags().IntVar(&parallel, "parallel", 4, "downloads in flight")
	return cmd
}

func (a *app) dataDiffCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "diff FROM TO",
		Short: "Compare two data versions: files, and for tables rows and schema",
		Long: `List the files added, removed and changed between two versions (name:version
or name@latest, of one asset or two). For tabular versions, also compare the
row counts and the schemas: columns added, removed or retyped.`,
		Example: `  lathe data diff bank:1 bank:2
  lathe data diff bank:1 bank@latest -o json`,
		Args: args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			for _, s := range argv {
				if _, err := lathe.ParseAssetRef(s, false); err != nil {
					return &usageError{err}
				}
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			d, err := c.DiffData(cmd.Context(), ws, argv[0], argv[1])
			if err != nil {
				return err
			}
			return a.print(d, func() table { return diffTable(d) })
		},
	}
}

func diffTable(d *client.DataDiff) table {
	t := table{header: []string{"CHANGE", "PATH / COLUMN", "DETAIL"}}
	for _, f := range d.Added {
		t.rows = append(t.rows, []string{"added", f.Path, lathe.FormatBytes(f.ToSize)})
	}
	for _, f := range d.Removed {
		t.rows = append(t.rows, []string{"removed", f.Path, lathe.FormatBytes(f.FromSize)})
	}
	for _, f := range d.Changed {
		t.rows = append(t.rows, []string{"changed", f.Path, lathe.FormatBytes(f.FromSize) + " → " + lathe.FormatBytes(f.ToSize)})
	}
	if tb := d.Table; tb != nil {
		if tb.FromRows != tb.ToRows {
			t.rows = append(t.rows, []string{"rows", "", fmt.Sprintf("%d → %d", tb.FromRows, tb.ToRows)})
		}
		for _, c := range tb.Added {
			t.rows = append(t.rows, []string{"column added", c.Name, c.ToType})
		}
		for _, c := range tb.Removed {
			t.rows = append(t.rows, []string{"column removed", c.Name, c.FromType})
		}
		for _, c := range tb.Retyped {
			t.rows = append(t.rows, []string{"column retyped", c.Name, c.FromType + " → " + c.ToType})
		}
	}
	summary := fmt.Sprintf("%d unchanged", d.Unchanged)
	if d.Same {
		summary = "identical contents"
	}
	t.rows = append(t.rows, []string{"", d.From + " → " + d.To, summary})
	return t
}

func (a *app) dataArchiveCmd(archive bool) *cobra.Command {
	verb, short := "restore", "Restore an archived data asset or version"
	if archive {
		verb, short = "archive", "Archive a data asset (-n) or one version (-n -v); it stays readable"
	}
	var name, version string
	cmd := &cobra.Command{
		Use:     verb,
		Short:   short,
		Example: fmt.Sprintf("  lathe data %s -n bank -v 2\n  lathe data %s -n bank", verb, verb),
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return &usageError{lathe.Errorf(lathe.EINVALID, "give the asset's --name")}
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			if err := c.SetDataArchived(cmd.Context(), ws, name, version, archive); err != nil {
				return err
			}
			what := name
			if version != "" {
				what += ":" + version
			}
			out := map[string]string{"name": name, "version": version, "action": verb}
			return a.print(out, func() table { return table{rows: [][]string{{verb + "d " + what}}} })
		},
	}
	cmd.Flags().StringVarP(&name, "name", "n", "", "asset name")
	cmd.Flags().StringVarP(&version, "version", "v", "", "version (default: the whole asset)")
	return cmd
}

func (a *app) dataUpdateCmd() *cobra.Command {
	var ref refFlags
	var desc string
	var tags []string
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Edit a data version's description or tags (its data never changes)",
		Example: `  lathe data update -n bank -v 3 --description "cleaned" --tag stage=gold
  lathe data update -n bank -v 3 --tag ""   # remove every tag`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			name, version, err := ref.resolve()
			if err != nil {
				return err
			}
			var u client.VersionUpdate
			if cmd.Flags().Changed("description") {
				u.Description = &desc
			}
			if cmd.Flags().Changed("tag") {
				u.Tags = map[string]string{}
				if !(len(tags) == 1 && tags[0] == "") {
					if u.Tags, err = parseTags(tags); err != nil {
						return err
					}
				}
			}
			if u.Description == nil && u.Tags == nil {
				return &usageError{lathe.Errorf(lathe.EINVALID, "give --description or --tag")}
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			v, err := c.UpdateDataVersion(cmd.Context(), ws, name, version, u)
			if err != nil {
				return err
			}
			return a.print(v, func() table { return versionTable(v) })
		},
	}
	ref.add(cmd)
	cmd.Flags().StringVarP(&desc, "description", "d", "", "new description")
	cmd.Flags().StringArrayVar(&tags, "tag", nil, "tag key=value, replacing all tags (repeatable; --tag \"\" clears them)")
	return cmd
}

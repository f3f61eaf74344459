package spec

import "github.com/latheml/lathe"

// Data is Azure's data asset (data.schema.json), as internal/data and
// "lathe data create" read it.
type Data struct {
	Meta
	Pos         Pos
	Name        string
	Version     string // "" for the next number
	Description string
	Tags        map[string]string
	Properties  map[string]string
	// Type is uri_file, uri_folder (the default) or mltable.
	Type string
	// Path is a local path (uploaded by the CLI), a datastore path, an
	// http(s) URL (uri_file only) or a job output.
	Path *Ref
}

// Kind implements Document.
func (*Data) Kind() Kind { return KindData }

var dataSchema = schema{
	name:   "data",
	fields: []string{"$schema", "name", "version", "description", "tags", "properties", "type", "path"},
	rejected: withRefused(map[string]string{
		"datastore":           "local files are uploaded to the workspace blob store; to refer to data in place give path: azureml://datastores/<ds>/paths/<p>",
		"auto_delete_setting": "data versions are archived with lathe data archive, not expired",
		"latest_version":      "it is set by the server; remove it",
	}),
}

func decodeData(d *dec, root *node, m Meta) *Data {
	a := &Data{Meta: m, Pos: root.pos, Type: TypeURIFolder}
	var pe *entry
	d.fields(root, &dataSchema, "data", func(c *entry) {
		switch c.key {
		case "name":
			a.Name = d.name(c, c.key, "data asset")
		case "version":
			if s := d.reqStr(c, "version"); s != "" {
				if err := lathe.ValidateDataVersion(s); err != nil {
					d.errf(c.val.pos, "version: %s", lathe.ErrorMessage(err))
				}
				a.Version = s
			}
		case "description":
			a.Description = d.text(c, c.key, lathe.MaxDescriptionLen)
		case "tags":
			a.Tags = d.tags(c, c.key)
		case "properties":
			a.Properties = d.tags(c, c.key)
		case "type":
			a.Type = d.oneOf(c, "type", []string{TypeURIFile, TypeURIFolder, TypeMLTable}, map[string]string{
				"mlflow_model": "register models with lathe model create",
				"custom_model": "register models with lathe model create",
			})
		case "path":
			pe = c
		}
	})
	if root.get("name") == nil {
		d.errf(root.pos, "data has no name; add name: <name>")
	}
	if pe == nil {
		d.errf(root.pos, "data has no path; give a local path, azureml://datastores/<ds>/paths/<p> or an http(s) URL")
		return a
	}
	s := d.reqStr(pe, "path")
	if s == "" {
		return a
	}
	r, err := ParseRef(s)
	switch {
	case err != nil:
		d.errf(pe.val.pos, "path: %s", lathe.ErrorMessage(err))
	case r.Kind == RefAsset || r.Kind == RefRegistry:
		d.errf(pe.val.pos, "path names an asset; a data version's path is a local path, a datastore path, a URL or a job output")
	case r.Kind == RefURL && a.Type != TypeURIFile:
		d.errf(pe.val.pos, "path: an http(s) URL is one file; use it with type uri_file")
	default:
		a.Path = &r
	}
	return a
}

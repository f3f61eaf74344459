package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/latheml/lathe"
)

// OpenAPI builds the OpenAPI 3.1 document of the route table. It is generated
// from the same table that registers the routes, so it cannot drift from
// what the server serves; a golden test pins it.
func (a *API) OpenAPI() map[string]any {
	g := &schemaGen{schemas: map[string]any{}}
	paths := map[string]map[string]any{}
	for _, rt := range a.routes {
		if rt.Compat {
			continue
		}
		op := map[string]any{
			"operationId": rt.ID,
			"summary":     rt.Summary,
			"tags":        []string{rt.Tag},
		}
		op["x-lathe-action"] = rt.Action
		if rule, _ := lathe.PolicyFor(rt.Action); rule.Need == lathe.NeedPublic {
			op["security"] = []any{}
		} else {
			op["x-lathe-access"] = accessText(rule)
		}
		var params []any
		for _, name := range pathParams(rt.Path) {
			params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Doc, "schema": map[string]any{"type": q.Type}})
		}
		for _, h := range rt.Headers {
			params = append(params, map[string]any{"name": h.Name, "in": "header", "description": h.Doc, "schema": map[string]any{"type": h.Type}})
		}
		if params != nil {
			op["parameters"] = params
		}
		switch {
		case rt.RawBody:
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/octet-stream": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
		case rt.Body != nil:
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Body))}}}
		}
		status := rt.Status
		if status == 0 {
			status = http.StatusOK
		}
		ok := map[string]any{"description": http.StatusText(status)}
		switch {
		case rt.RawResponse:
			ok["content"] = map[string]any{"application/octet-stream": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}
		case rt.Response != nil:
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Response))}}
		}
		op["responses"] = map[string]any{
			itoa(status): ok,
			"default": map[string]any{"description": "An error.", "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(ErrorBody{}))}}},
		}
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "Lathe API",
			"version":     "1",
			"description": "The native REST API of Lathe, a self-hosted MLOps platform. Every route except /healthz, /readyz and /metrics needs `Authorization: Bearer <token>`. Errors have the shape {\"error\":{\"code\",\"message\",\"request_id\"}}.",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": g.schemas,
			"securitySchemes": map[string]any{
				"bearerAuth": map[string]any{"type": "http", "scheme": "bearer"},
			},
		},
		"security": []any{map[string]any{"bearerAuth": []any{}}},
	}
}

var (
	pathParamRE = regexp.MustCompile(`\{([a-zA-Z_]+)\}`)
)

// accessText says in words who may call a route.
func accessText(r lathe.Rule) string {
	switch r.Need {
	case lathe.NeedAuthenticated:
		return "any signed-in user"
	case lathe.NeedAdmin:
		return "server administrators"
	default:
		return "workspace role " + string(r.Role) + " or above"
	}
}

func pathParams(p string) []string {
	var out []string
	for _, m := range pathParamRE.FindAllStringSubmatch(p, -1) {
		out = append(out, m[1])
	}
	return out
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func (a *API) openapi(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, a.OpenAPI())
	return nil
}

// schemaGen turns Go types into JSON Schemas, collecting named structs as
// components.
type schemaGen struct {
	schemas map[string]any
}

var timeType = reflect.TypeOf(time.Time{})

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Name() == "Digest":
		return map[string]any{"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Uint32:
		return map[string]any{"type": "integer"}
	case reflect.Int64, reflect.Uint64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		name := schemaName(t)
		ref := map[string]any{"$ref": "#/components/schemas/" + name}
		if _, done := g.schemas[name]; done {
			return ref
		}
		g.schemas[name] = nil // placeholder breaks recursion
		props := map[string]any{}
		var required []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("json")
			jname, opts, _ := strings.Cut(tag, ",")
			if jname == "-" {
				continue
			}
			if jname == "" {
				jname = f.Name
			}
			s := g.schema(f.Type)
			if d := f.Tag.Get("doc"); d != "" {
				s = withDoc(s, d)
			}
			props[jname] = s
			if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
				required = append(required, jname)
			}
		}
		obj := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		if len(required) > 0 {
			obj["required"] = required
		}
		g.schemas[name] = obj
		return ref
	default:
		return map[string]any{}
	}
}

// withDoc adds a description; a $ref cannot carry siblings in every tool, so
// it is wrapped in allOf.
func withDoc(s map[string]any, doc string) map[string]any {
	if _, ok := s["$ref"]; ok {
		return map[string]any{"allOf": []any{s}, "description": doc}
	}
	out := map[string]any{"description": doc}
	for k, v := range s {
		out[k] = v
	}
	return out
}

// schemaName names a struct type for components: Page[pkg.Blob] becomes
// PageBlob.
func schemaName(t reflect.Type) string {
	n := t.Name()
	base, args, ok := strings.Cut(n, "[")
	if !ok {
		return n
	}
	args = strings.TrimSuffix(args, "]")
	if i := strings.LastIndex(args, "."); i >= 0 {
		args = args[i+1:]
	}
	return base + args
}

package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/latheml/lathe/internal/api"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestOpenAPIGolden pins the OpenAPI document: a change to the API shows up
// as a diff of testdata/openapi.golden.json (go test -update to accept it).
func TestOpenAPIGolden(t *testing.T) {
	t.Parallel()
	a := api.New(api.Options{})
	got, err := json.MarshalIndent(a.OpenAPI(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	const path = "testdata/openapi.golden.json"
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/api -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("OpenAPI document changed; review the diff and run go test ./internal/api -update\n%s", firstDiff(string(want), string(got)))
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return "line " + itoa(i+1) + ":\n- " + al[i] + "\n+ " + bl[i]
		}
	}
	return "lengths differ"
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestOpenAPIValid checks the document's structure: the fields OpenAPI 3.1
// requires, an operation per route with a unique operationId, every $ref
// resolving, and every path parameter declared.
func TestOpenAPIValid(t *testing.T) {
	t.Parallel()
	a := api.New(api.Options{})
	b, _ := json.Marshal(a.OpenAPI())
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v", doc["openapi"])
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] == nil || info["version"] == nil {
		t.Fatal("info needs title and version")
	}
	paths, _ := doc["paths"].(map[string]any)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	ids := map[string]bool{}
	for _, rt := range a.Routes() {
		op, ok := paths[rt.Path].(map[string]any)[strings.ToLower(rt.Method)].(map[string]any)
		if !ok {
			t.Errorf("route %s %s missing from the document", rt.Method, rt.Path)
			continue
		}
		id := op["operationId"].(string)
		if ids[id] {
			t.Errorf("operationId %s used twice", id)
		}
		ids[id] = true
		if _, ok := op["responses"].(map[string]any); !ok {
			t.Errorf("%s has no responses", id)
		}
		declared := map[string]bool{}
		params, _ := op["parameters"].([]any)
		for _, p := range params {
			pm := p.(map[string]any)
			if pm["in"] == "path" {
				declared[pm["name"].(string)] = true
			}
		}
		for _, seg := range strings.Split(rt.Path, "/") {
			if strings.HasPrefix(seg, "{") && !declared[strings.Trim(seg, "{}")] {
				t.Errorf("%s: path parameter %s not declared", id, seg)
			}
		}
	}
	var refs []string
	collectRefs(doc, &refs)
	if len(refs) == 0 {
		t.Fatal("no $ref at all")
	}
	for _, r := range refs {
		name := strings.TrimPrefix(r, "#/components/schemas/")
		if _, ok := schemas[name]; !ok || name == r {
			t.Errorf("$ref %s does not resolve", r)
		}
	}
}

func collectRefs(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == "$ref" {
				*out = append(*out, e.(string))
			}
			collectRefs(e, out)
		}
	case []any:
		for _, e := range x {
			collectRefs(e, out)
		}
	}
}

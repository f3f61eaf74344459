package api_test

import (
	"encoding/json"
	"testing"

	"github.com/latheml/lathe/internal/api"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
)

// TestOpenAPISchemaValid validates the document against the OpenAPI 3.1
// schema with an independent implementation.
func TestOpenAPISchemaValid(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(api.New(api.Options{}).OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := libopenapi.NewDocument(b)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("build validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("%s: %s", e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  %s at %s", se.Reason, se.KeywordLocation)
			}
		}
	}
}

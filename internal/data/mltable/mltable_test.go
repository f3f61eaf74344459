package mltable_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/latheml/lathe/internal/data/mltable"
)

func TestParseAzureExample(t *testing.T) {
	t.Parallel()
	// cli/assets/data/local-mltable/MLTable in Azure/azureml-examples.
	tb, err := mltable.Parse([]byte("paths:\n    - file: ./titanic.csv\ntransformations:\n  - read_delimited:\n        delimiter: \",\"\n        header: from_first_file\n        encoding: utf8\n"))
	if err != nil {
		t.Fatal(err)
	}
	if tb.Format != mltable.Delimited || tb.Delimited.Header != mltable.FromFirstFile || tb.Delimited.Delimiter != "," {
		t.Fatalf("table = %+v", tb)
	}
	files, err := tb.Resolve([]string{"MLTable", "titanic.csv", "other.csv"})
	if err != nil || !reflect.DeepEqual(files, []string{"titanic.csv"}) {
		t.Fatalf("Resolve = %v, %v", files, err)
	}
	pq, err := mltable.Parse([]byte("type: mltable\npaths:\n  - folder: ./data\ntransformations:\n  - read_parquet:\n"))
	if err != nil || pq.Format != mltable.Parquet {
		t.Fatalf("parquet = %+v, %v", pq, err)
	}
	files, err = pq.Resolve([]string{"MLTable", "data/b.parquet", "data/a.parquet", "database.txt"})
	if err != nil || !reflect.DeepEqual(files, []string{"data/a.parquet", "data/b.parquet"}) {
		t.Fatalf("folder = %v, %v", files, err)
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, mention string }{
		{"paths:\n  - file: a.csv\n    folder: b\ntransformations:\n  - read_parquet: {}\n", "exactly one"},
		{"paths:\n  - file: a.csv\n", "read_delimited or read_parquet"},
		{"paths:\n  - file: a.csv\ntransformations:\n  - read_delimited:\n      sep: ';'\n", "sep"},
		{"paths:\n  - file: a.csv\ntransformations:\n  - read_delimited:\n      encoding: utf16\n", "UTF-8"},
		{"paths:\n  - file: a.csv\ntransformations:\n  - read_delimited: {header: maybe}\n", "header"},
		{"paths:\n  - file: a.csv\ntransformations:\n  - read_json_lines: {}\n", "not supported"},
		{"paths:\n  - file: a.csv\ntransformations:\n  - read_delimited: {}\n  - read_parquet: {}\n", "one way"},
		{"paths:\n  - file: a.csv\nextra: 1\n", "extra"},
		{strings.Repeat("#", mltable.MaxSize+1), "limit"},
	}
	for _, tc := range tests {
		if _, err := mltable.Parse([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("Parse(%q) = %v, want an error mentioning %q", tc.in, err, tc.mention)
		}
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"*.csv", "a.csv", true},
		{"*.csv", "d/a.csv", false},
		{"d/**/*.csv", "d/a.csv", true},
		{"d/**/*.csv", "d/x/y/a.csv", true},
		{"**", "a/b", true},
		{"d/*.parquet", "d/a.csv", false},
		{"part-?.csv", "part-1.csv", true},
	}
	for _, tc := range tests {
		if got := mltable.Match(tc.pattern, tc.name); got != tc.want {
			t.Errorf("Match(%q, %q) = %v", tc.pattern, tc.name, got)
		}
	}
}

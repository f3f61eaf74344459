package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/goccy/go-yaml"
)

// table is the human form of a result: a header row and data rows.
type table struct {
	header []string
	rows   [][]string
}

// print writes v in the chosen output format; tbl builds the table form.
func (a *app) print(v any, tbl func() table) error {
	return printTo(a.io.Out, a.output, v, tbl)
}

func printTo(w io.Writer, format string, v any, tbl func() table) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "yaml":
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode output: %w", err)
		}
		y, err := yaml.JSONToYAML(b)
		if err != nil {
			return fmt.Errorf("encode output: %w", err)
		}
		_, err = w.Write(y)
		return err
	default:
		t := tbl()
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		if len(t.header) > 0 {
			fmt.Fprintln(tw, strings.Join(t.header, "\t"))
		}
		for _, r := range t.rows {
			fmt.Fprintln(tw, strings.Join(r, "\t"))
		}
		return tw.Flush()
	}
}

// kv is a two-column table of fields.
func kv(pairs ...string) table {
	t := table{header: []string{"FIELD", "VALUE"}}
	for i := 0; i+1 < len(pairs); i += 2 {
		t.rows = append(t.rows, []string{pairs[i], pairs[i+1]})
	}
	return t
}

// when formats a time for tables.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

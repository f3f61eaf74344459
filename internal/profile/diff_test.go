package profile

import (
	"fmt"
	"testing"
)

func TestDiff(t *testing.T) {
	t.Parallel()
	mk := func(rows int64, cols ...string) *Profile {
		p := &Profile{Rows: rows}
		for i := 0; i < len(cols); i += 2 {
			p.Columns = append(p.Columns, ColumnProfile{Name: cols[i], Type: Type(cols[i+1])})
		}
		return p
	}
	for _, tc := range []struct {
		name    string
		a, b    *Profile
		want    string
		changed bool
	}{
		{"same", mk(10, "a", "int"), mk(12, "a", "int"), "10→12 +[] -[] ~[]", false},
		{"added and removed", mk(10, "a", "int", "b", "string"), mk(10, "a", "int", "c", "float"), "10→10 +[{c float}] -[{b string}] ~[]", true},
		{"retyped", mk(5, "a", "int", "b", "string"), mk(5, "b", "datetime", "a", "float"), "5→5 +[] -[] ~[{b string datetime} {a int float}]", true},
		{"from nothing", nil, mk(3, "a", "bool"), "0→3 +[{a bool}] -[] ~[]", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := Diff(tc.a, tc.b)
			got := fmt.Sprintf("%d→%d +%v -%v ~%v", d.RowsBefore, d.RowsAfter, d.Added, d.Removed, d.Retyped)
			if got != tc.want || d.Changed() != tc.changed {
				t.Errorf("got %s changed=%v, want %s changed=%v", got, d.Changed(), tc.want, tc.changed)
			}
		})
	}
}

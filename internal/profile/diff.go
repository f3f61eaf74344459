package profile

// SchemaDiff is how the shape of a table changed between two profiles: the
// row counts and the columns added, removed or retyped. Columns are matched
// by name.
type SchemaDiff struct {
	RowsBefore int64          `json:"rows_before"`
	RowsAfter  int64          `json:"rows_after"`
	Added      []ColumnType   `json:"added"`   // in the new profile only, in its order
	Removed    []ColumnType   `json:"removed"` // in the old profile only, in its order
	Retyped    []ColumnRetype `json:"retyped"` // in both with different types, in the new order
}

// ColumnType names a column and its type.
type ColumnType struct {
	Name string `json:"name"`
	Type Type   `json:"type"`
}

// ColumnRetype is a column whose type changed.
type ColumnRetype struct {
	Name string `json:"name"`
	From Type   `json:"from"`
	To   Type   `json:"to"`
}

// Changed reports whether the schema changed (row counts aside).
func (d SchemaDiff) Changed() bool {
	return len(d.Added)+len(d.Removed)+len(d.Retyped) > 0
}

// Diff compares profile a (before) with b (after). A nil profile has no rows
// and no columns.
func Diff(a, b *Profile) SchemaDiff {
	if a == nil {
		a = &Profile{}
	}
	if b == nil {
		b = &Profile{}
	}
	d := SchemaDiff{
		RowsBefore: a.Rows,
		RowsAfter:  b.Rows,
		Added:      []ColumnType{},
		Removed:    []ColumnType{},
		Retyped:    []ColumnRetype{},
	}
	before := make(map[string]Type, len(a.Columns))
	for _, c := range a.Columns {
		before[c.Name] = c.Type
	}
	after := make(map[string]bool, len(b.Columns))
	for _, c := range b.Columns {
		after[c.Name] = true
		t, ok := before[c.Name]
		switch {
		case !ok:
			d.Added = append(d.Added, ColumnType{c.Name, c.Type})
		case t != c.Type:
			d.Retyped = append(d.Retyped, ColumnRetype{c.Name, t, c.Type})
		}
	}
	for _, c := range a.Columns {
		if !after[c.Name] {
			d.Removed = append(d.Removed, ColumnType{c.Name, c.Type})
		}
	}
	return d
}

package data

import (
	"context"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/profile"
)

// FileChange is a file that differs between two versions.
type FileChange struct {
	Path       string       `json:"path"`
	FromDigest lathe.Digest `json:"from_digest,omitempty"`
	ToDigest   lathe.Digest `json:"to_digest,omitempty"`
	FromSize   int64        `json:"from_size"`
	ToSize     int64        `json:"to_size"`
}

// Diff is what changed from one data version to another.
type Diff struct {
	From      lathe.AssetRef `json:"-"`
	To        lathe.AssetRef `json:"-"`
	FromRef   string         `json:"from"`
	ToRef     string         `json:"to"`
	Same      bool           `json:"same" doc:"the two versions hold identical trees"`
	Added     []FileChange   `json:"added"`
	Removed   []FileChange   `json:"removed"`
	Changed   []FileChange   `json:"changed"`
	Unchanged int64          `json:"unchanged"`
	// Table compares the profiles of tabular versions: row counts and the
	// schema (columns added, removed, retyped). Absent unless both have one.
	Table *TableDiff `json:"table,omitempty"`
}

// TableDiff compares two tables' profiles.
type TableDiff struct {
	FromRows int64          `json:"from_rows"`
	ToRows   int64          `json:"to_rows"`
	Added    []ColumnChange `json:"columns_added"`
	Removed  []ColumnChange `json:"columns_removed"`
	Retyped  []ColumnChange `json:"columns_retyped"`
}

// ColumnChange is a column that differs between two profiles.
type ColumnChange struct {
	Name     string `json:"name"`
	FromType string `json:"from_type,omitempty"`
	ToType   string `json:"to_type,omitempty"`
}

// maxDiffList bounds each list of a diff; the counts stay exact.
const maxDiffList = 10_000

// DiffVersions compares two data versions (of the same asset or not).
func (s *Service) DiffVersions(ctx context.Context, ws string, from, to lathe.AssetRef) (*Diff, error) {
	a, err := s.Version(ctx, ws, from)
	if err != nil {
		return nil, err
	}
	b, err := s.Version(ctx, ws, to)
	if err != nil {
		return nil, err
	}
	ma, err := s.manifest(ctx, a)
	if err != nil {
		return nil, err
	}
	mb, err := s.manifest(ctx, b)
	if err != nil {
		return nil, err
	}
	d := diffManifests(ma, mb)
	d.From, d.To = lathe.AssetRef{Name: a.Name, Version: a.Version}, lathe.AssetRef{Name: b.Name, Version: b.Version}
	d.FromRef, d.ToRef = d.From.String(), d.To.String()
	d.Same = a.Digest == b.Digest
	pa, errA := s.o.Store.DataProfile(ctx, ws, a.Name, a.Version)
	pb, errB := s.o.Store.DataProfile(ctx, ws, b.Name, b.Version)
	for _, err := range []error{errA, errB} {
		if err != nil && !lathe.IsCode(err, lathe.ENOTFOUND) {
			return nil, err
		}
	}
	if errA == nil && errB == nil {
		x, err := decodeProfile(pa)
		if err != nil {
			return nil, err
		}
		y, err := decodeProfile(pb)
		if err != nil {
			return nil, err
		}
		d.Table = tableDiff(x, y)
	}
	return d, nil
}

// diffManifests merges two manifests sorted by path.
func diffManifests(a, b []lathe.ManifestEntry) *Diff {
	d := &Diff{Added: []FileChange{}, Removed: []FileChange{}, Changed: []FileChange{}}
	add := func(list *[]FileChange, c FileChange) {
		if len(*list) < maxDiffList {
			*list = append(*list, c)
		}
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].Path < b[j].Path):
			add(&d.Removed, FileChange{Path: a[i].Path, FromDigest: a[i].Digest, FromSize: a[i].Size})
			i++
		case i == len(a) || b[j].Path < a[i].Path:
			add(&d.Added, FileChange{Path: b[j].Path, ToDigest: b[j].Digest, ToSize: b[j].Size})
			j++
		default:
			if a[i].Digest != b[j].Digest || a[i].Mode != b[j].Mode {
				add(&d.Changed, FileChange{Path: a[i].Path, FromDigest: a[i].Digest, ToDigest: b[j].Digest, FromSize: a[i].Size, ToSize: b[j].Size})
			} else {
				d.Unchanged++
			}
			i++
			j++
		}
	}
	return d
}

// tableDiff compares the schemas and row counts of two profiles
// (profile.Diff), in the API's shape.
func tableDiff(a, b *profile.Profile) *TableDiff {
	d := profile.Diff(a, b)
	t := &TableDiff{FromRows: d.RowsBefore, ToRows: d.RowsAfter, Added: []ColumnChange{}, Removed: []ColumnChange{}, Retyped: []ColumnChange{}}
	for _, c := range d.Added {
		t.Added = append(t.Added, ColumnChange{Name: c.Name, ToType: string(c.Type)})
	}
	for _, c := range d.Removed {
		t.Removed = append(t.Removed, ColumnChange{Name: c.Name, FromType: string(c.Type)})
	}
	for _, c := range d.Retyped {
		t.Retyped = append(t.Retyped, ColumnChange{Name: c.Name, FromType: string(c.From), ToType: string(c.To)})
	}
	return t
}

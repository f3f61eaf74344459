package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/data"
	"github.com/latheml/lathe/internal/profile"
	"github.com/latheml/lathe/internal/web"
)

var (
	_ web.DataAssets = (*fakeData)(nil)
	_ web.DataAssets = (*data.Service)(nil)
)

// fakeData is an in-memory web.DataAssets. Its tables are generated CSV
// files profiled by the real internal/profile, so the pages show real
// histograms, top values, quantiles and reading problems. It is built on
// first use: most tests never open a data page.
type fakeData struct {
	once   sync.Once
	now    time.Time
	mu     sync.Mutex
	assets map[string][]*fakeAsset // workspace ID → assets, by name
	calls  map[string]int          // method → calls
}

// fakeAsset is one data asset and its versions, oldest first.
type fakeAsset struct {
	name     string
	archived bool
	versions []*fakeVersion
}

// fakeVersion is one data version with its files and profile.
type fakeVersion struct {
	v       lathe.DataVersion
	files   []lathe.ManifestEntry
	content map[string][]byte
	profile []byte
}

// The fake's assets in workspace default.
const (
	assetCustomers = "customers"             // uri_file CSV; 1, 2 (latest: new and retyped columns, problems), 3 (archived copy of 2)
	assetLabels    = "customer-churn-labels" // uri_file CSV, one version
	assetImages    = "images"                // uri_folder of 130 PNG names; 1 and 2
	assetOld       = "old-scrape"            // archived
)

func newFakeData(now time.Time) *fakeData {
	return &fakeData{now: now, assets: map[string][]*fakeAsset{}, calls: map[string]int{}}
}

// init builds the data the first time a method is called.
func (f *fakeData) init() {
	f.once.Do(func() {
		day := 24 * time.Hour
		cust := &fakeAsset{name: assetCustomers}
		v1 := customersCSV(1, 2000)
		v2 := customersCSV(2, 2400)
		f.addVersion(cust, "1", lathe.DataURIFile, map[string][]byte{"customers.csv": v1}, f.now.Add(-9*day), "olivia",
			"Customer table exported from the CRM.", map[string]string{"source": "crm", "stage": "raw"}, false)
		f.addVersion(cust, "2", lathe.DataURIFile, map[string][]byte{"customers.csv": v2}, f.now.Add(-2*day), "rita",
			"March export: adds region, zip codes with +4 suffixes, drops notes.", map[string]string{"source": "crm", "stage": "clean", "owner": "data-team"}, false)
		f.addVersion(cust, "3", lathe.DataURIFile, map[string][]byte{"customers.csv": v2}, f.now.Add(-day), "rita",
			"", map[string]string{"stage": "copy"}, true)
		labels := &fakeAsset{name: assetLabels}
		var lb strings.Builder
		lb.WriteString("id,churned\n")
		for i := range 300 {
			fmt.Fprintf(&lb, "%d,%t\n", i+1, i%6 == 0)
		}
		f.addVersion(labels, "1", lathe.DataURIFile, map[string][]byte{"labels.csv": []byte(lb.String())}, f.now.Add(-5*day), "olivia", "", nil, false)
		imgs := &fakeAsset{name: assetImages}
		one, two := map[string][]byte{}, map[string][]byte{}
		for i := range 130 {
			b := bytes.Repeat([]byte{byte(i)}, 200+(i*53)%900)
			one[fmt.Sprintf("train/img-%04d.png", i)] = b
			switch {
			case i < 10: // removed in 2
			case i < 15:
				two[fmt.Sprintf("train/img-%04d.png", i)] = append(b, 'x') // changed
			default:
				two[fmt.Sprintf("train/img-%04d.png", i)] = b
			}
		}
		for i := range 15 {
			two[fmt.Sprintf("val/img-%04d.png", i)] = bytes.Repeat([]byte{byte(i + 7)}, 300+i)
		}
		f.addVersion(imgs, "1", lathe.DataURIFolder, one, f.now.Add(-6*day), "olivia", "", map[string]string{"kind": "images"}, false)
		f.addVersion(imgs, "2", lathe.DataURIFolder, two, f.now.Add(-3*day), "olivia", "Adds a validation split.", map[string]string{"kind": "images"}, false)
		old := &fakeAsset{name: assetOld, archived: true}
		f.addVersion(old, "1", lathe.DataURIFolder, map[string][]byte{"a.html": []byte("<p>a</p>"), "b.html": []byte("<p>b</p>")}, f.now.Add(-30*day), "admin", "", nil, true)
		f.assets["ws-default"] = []*fakeAsset{labels, cust, imgs, old} // by name
	})
}

// addVersion adds a version of a; a .csv uri_file is profiled.
func (f *fakeData) addVersion(a *fakeAsset, version, typ string, files map[string][]byte, at time.Time, by, desc string, tags map[string]string, archived bool) {
	fv := &fakeVersion{content: files}
	for p, b := range files {
		sum := sha256.Sum256(b)
		fv.files = append(fv.files, lathe.ManifestEntry{Path: p, Digest: lathe.NewDigest(sum[:]), Size: int64(len(b)), Mode: 0o644})
	}
	lathe.SortManifest(fv.files)
	d := lathe.ManifestDigest(fv.files)
	fv.v = lathe.DataVersion{WorkspaceID: "ws-default", Name: a.name, Version: version, Type: typ, Description: desc, Tags: tags,
		Datastore: lathe.WorkspaceBlobStore, DatastorePath: "LocalUpload/" + d.Hex(), Digest: d, Files: int64(len(fv.files)),
		Archived: archived, CreatedAt: at, CreatedBy: by}
	if typ == lathe.DataURIFile {
		fv.v.DatastorePath += "/" + fv.files[0].Path
	}
	fv.v.Path = lathe.DatastoreURI(fv.v.Datastore, fv.v.DatastorePath)
	for _, e := range fv.files {
		fv.v.Size += e.Size
	}
	if typ == lathe.DataURIFile && strings.HasSuffix(fv.files[0].Path, ".csv") {
		p, err := profile.ProfileCSV(context.Background(), bytes.NewReader(files[fv.files[0].Path]), profile.CSVOptions{})
		if err != nil {
			panic(err) // the generated CSV is wrong
		}
		if fv.profile, err = json.Marshal(p); err != nil {
			panic(err)
		}
	}
	a.versions = append(a.versions, fv)
}

// customersCSV generates the customers table. Version 2 shifts ages and
// incomes, makes some ages null, writes some zip codes with a +4 suffix
// (so zip turns from int to string), adds region, drops notes, and has
// three ragged rows and two rows that are not UTF-8.
func customersCSV(version, rows int) []byte {
	rng := rand.New(rand.NewPCG(uint64(version), 42))
	var b strings.Builder
	v2 := version >= 2
	if v2 {
		b.WriteString("id,age,income,segment,signup,churned,zip,region\n")
	} else {
		b.WriteString("id,age,income,segment,signup,churned,zip,notes\n")
	}
	segments := []string{"retail", "retail", "retail", "retail", "retail", "smb", "smb", "smb", "enterprise", "public"}
	if v2 {
		segments = []string{"retail", "retail", "retail", "retail", "smb", "smb", "smb", "smb", "enterprise", "enterprise", "public"}
	}
	regions := []string{"north", "south", "east", "west", "west"}
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		age := 41 + 12*rng.NormFloat64()
		if v2 {
			age += 3
		}
		ageText := fmt.Sprint(int(math.Max(18, math.Min(90, math.Round(age)))))
		if v2 && rng.IntN(25) == 0 {
			ageText = "NA"
		}
		income := math.Exp(10.6 + 0.45*rng.NormFloat64())
		if v2 {
			income *= 1.1
		}
		seg := segments[rng.IntN(len(segments))]
		signup := t0.Add(time.Duration(rng.IntN(540*24)) * time.Hour).Format("2006-01-02")
		churned := rng.Float64() < 0.18
		zip := fmt.Sprintf("%05d", 1000+rng.IntN(98000))
		if v2 && rng.IntN(5) == 0 {
			zip += fmt.Sprintf("-%04d", rng.IntN(10000))
		}
		last := ""
		switch {
		case v2:
			last = regions[rng.IntN(len(regions))]
		case rng.IntN(10) < 3:
			last = fmt.Sprintf("called about invoice %d", 10000+i)
		}
		line := fmt.Sprintf("%d,%s,%.2f,%s,%s,%t,%s,%s", i+1, ageText, income, seg, signup, churned, zip, last)
		if v2 && (i == 117 || i == 1290 || i == 2001) {
			line += ",extra" // ragged
		}
		if v2 && (i == 640 || i == 1811) {
			line = strings.Replace(line, seg, seg+"\xff", 1) // not UTF-8
		}
		b.WriteString(line + "\n")
	}
	return []byte(b.String())
}

// called counts a call and returns the workspace's assets.
func (f *fakeData) called(method, ws string) []*fakeAsset {
	f.init()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[method]++
	return f.assets[ws]
}

// callsOf returns how many times a method was called.
func (f *fakeData) callsOf(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

func (f *fakeData) find(ws, name string) (*fakeAsset, error) {
	for _, a := range f.called("find", ws) {
		if a.name == name {
			return a, nil
		}
	}
	return nil, lathe.Errorf(lathe.ENOTFOUND, "data asset %q not found; `lathe data list` shows the workspace's assets", name)
}

// summary is an asset's lathe.DataAsset.
func (a *fakeAsset) summary() *lathe.DataAsset {
	s := &lathe.DataAsset{WorkspaceID: "ws-default", Name: a.name, Versions: int64(len(a.versions)), Archived: a.archived,
		CreatedAt: a.versions[0].v.CreatedAt}
	for _, v := range a.versions {
		s.UpdatedAt = v.v.CreatedAt
		if !v.v.Archived {
			s.LatestVersion = v.v.Version
		}
	}
	return s
}

// version finds the version a reference names.
func (a *fakeAsset) version(ref lathe.AssetRef) (*fakeVersion, error) {
	for i := len(a.versions) - 1; i >= 0; i-- {
		v := a.versions[i]
		if ref.Latest && !v.v.Archived || !ref.Latest && v.v.Version == ref.Version {
			return v, nil
		}
	}
	if ref.Latest {
		return nil, lathe.Errorf(lathe.ENOTFOUND, "data asset %s has no versions that are not archived", a.name)
	}
	return nil, lathe.Errorf(lathe.ENOTFOUND, "data asset %s has no version %q", a.name, ref.Version)
}

func (f *fakeData) versionOf(ws string, ref lathe.AssetRef) (*fakeVersion, error) {
	a, err := f.find(ws, ref.Name)
	if err != nil {
		return nil, err
	}
	return a.version(ref)
}

func copyVersion(v *fakeVersion) *lathe.DataVersion {
	c := v.v
	return &c
}

// Assets implements web.DataAssets.
func (f *fakeData) Assets(ctx context.Context, ws string, archived bool, after string, limit int) ([]*lathe.DataAsset, error) {
	var out []*lathe.DataAsset
	for _, a := range f.called("Assets", ws) {
		if (a.archived && !archived) || a.name <= after || len(out) == limit {
			continue
		}
		out = append(out, a.summary())
	}
	return out, nil
}

// Asset implements web.DataAssets.
func (f *fakeData) Asset(ctx context.Context, ws, name string) (*lathe.DataAsset, error) {
	a, err := f.find(ws, name)
	if err != nil {
		return nil, err
	}
	return a.summary(), nil
}

// Versions implements web.DataAssets.
func (f *fakeData) Versions(ctx context.Context, ws, name string, archived bool, offset, limit int) ([]*lathe.DataVersion, error) {
	a, err := f.find(ws, name)
	if err != nil {
		return nil, err
	}
	var all []*lathe.DataVersion
	for i := len(a.versions) - 1; i >= 0; i-- {
		if archived || !a.versions[i].v.Archived {
			all = append(all, copyVersion(a.versions[i]))
		}
	}
	return all[min(offset, len(all)):min(offset+limit, len(all))], nil
}

// Version implements web.DataAssets.
func (f *fakeData) Version(ctx context.Context, ws string, ref lathe.AssetRef) (*lathe.DataVersion, error) {
	v, err := f.versionOf(ws, ref)
	if err != nil {
		return nil, err
	}
	return copyVersion(v), nil
}

// Files implements web.DataAssets.
func (f *fakeData) Files(ctx context.Context, ws string, ref lathe.AssetRef, after string, limit int) (*lathe.DataVersion, []lathe.ManifestEntry, error) {
	v, err := f.versionOf(ws, ref)
	if err != nil {
		return nil, nil, err
	}
	var out []lathe.ManifestEntry
	for _, e := range v.files {
		if e.Path > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return copyVersion(v), out, nil
}

// OpenFile implements web.DataAssets.
func (f *fakeData) OpenFile(ctx context.Context, ws string, ref lathe.AssetRef, p string) (*lathe.ManifestEntry, io.ReadCloser, error) {
	if err := lathe.ValidateDataPath(p); err != nil {
		return nil, nil, err
	}
	v, err := f.versionOf(ws, ref)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range v.files {
		if e.Path == p {
			return &e, io.NopCloser(bytes.NewReader(v.content[p])), nil
		}
	}
	return nil, nil, lathe.Errorf(lathe.ENOTFOUND, "%s:%s has no file %q", v.v.Name, v.v.Version, p)
}

// Profile implements web.DataAssets.
func (f *fakeData) Profile(ctx context.Context, ws string, ref lathe.AssetRef) (*lathe.DataVersion, json.RawMessage, error) {
	v, err := f.versionOf(ws, ref)
	if err != nil {
		return nil, nil, err
	}
	if v.profile == nil {
		return nil, nil, lathe.Errorf(lathe.ENOTFOUND, "%s:%s has no profile: only tabular data (CSV or Parquet) is profiled", v.v.Name, v.v.Version)
	}
	return copyVersion(v), slices.Clone(v.profile), nil
}

// DiffVersions implements web.DataAssets like the service: a merge of the
// two manifests, and profile.Diff of the profiles.
func (f *fakeData) DiffVersions(ctx context.Context, ws string, from, to lathe.AssetRef) (*data.Diff, error) {
	a, err := f.versionOf(ws, from)
	if err != nil {
		return nil, err
	}
	b, err := f.versionOf(ws, to)
	if err != nil {
		return nil, err
	}
	d := &data.Diff{From: lathe.AssetRef{Name: a.v.Name, Version: a.v.Version}, To: lathe.AssetRef{Name: b.v.Name, Version: b.v.Version},
		Same: a.v.Digest == b.v.Digest, Added: []data.FileChange{}, Removed: []data.FileChange{}, Changed: []data.FileChange{}}
	d.FromRef, d.ToRef = d.From.String(), d.To.String()
	old := map[string]lathe.ManifestEntry{}
	for _, e := range a.files {
		old[e.Path] = e
	}
	for _, e := range b.files {
		o, ok := old[e.Path]
		switch {
		case !ok:
			d.Added = append(d.Added, data.FileChange{Path: e.Path, ToDigest: e.Digest, ToSize: e.Size})
		case o.Digest != e.Digest:
			d.Changed = append(d.Changed, data.FileChange{Path: e.Path, FromDigest: o.Digest, ToDigest: e.Digest, FromSize: o.Size, ToSize: e.Size})
		default:
			d.Unchanged++
		}
		delete(old, e.Path)
	}
	for _, e := range a.files {
		if _, ok := old[e.Path]; ok {
			d.Removed = append(d.Removed, data.FileChange{Path: e.Path, FromDigest: e.Digest, FromSize: e.Size})
		}
	}
	if a.profile != nil && b.profile != nil {
		var x, y profile.Profile
		if err := json.Unmarshal(a.profile, &x); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b.profile, &y); err != nil {
			return nil, err
		}
		sd := profile.Diff(&x, &y)
		t := &data.TableDiff{FromRows: sd.RowsBefore, ToRows: sd.RowsAfter, Added: []data.ColumnChange{}, Removed: []data.ColumnChange{}, Retyped: []data.ColumnChange{}}
		for _, c := range sd.Added {
			t.Added = append(t.Added, data.ColumnChange{Name: c.Name, ToType: string(c.Type)})
		}
		for _, c := range sd.Removed {
			t.Removed = append(t.Removed, data.ColumnChange{Name: c.Name, FromType: string(c.Type)})
		}
		for _, c := range sd.Retyped {
			t.Retyped = append(t.Retyped, data.ColumnChange{Name: c.Name, FromType: string(c.From), ToType: string(c.To)})
		}
		d.Table = t
	}
	return d, nil
}

// addWide adds the asset wide: one CSV version with n numeric columns
// c0, c1, …, to page through column cards.
func (f *fakeData) addWide(n int) {
	f.init()
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "c%d", i)
	}
	b.WriteByte('\n')
	for r := range 50 {
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%d", (r*(i+1))%17)
		}
		b.WriteByte('\n')
	}
	a := &fakeAsset{name: "wide"}
	f.addVersion(a, "1", lathe.DataURIFile, map[string][]byte{"wide.csv": []byte(b.String())}, f.now, "olivia", "", nil, false)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.assets["ws-default"] = append(f.assets["ws-default"], a)
	slices.SortFunc(f.assets["ws-default"], func(x, y *fakeAsset) int { return strings.Compare(x.name, y.name) })
}

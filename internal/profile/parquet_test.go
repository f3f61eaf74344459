package profile

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/latheml/lathe"
)

type pqRow struct {
	ID     int64     `parquet:"id"`
	Age    *int32    `parquet:"age,optional"`
	Score  float64   `parquet:"score"`
	Name   string    `parquet:"name,dict"`
	Active bool      `parquet:"active"`
	Seen   time.Time `parquet:"seen,timestamp(microsecond)"`
	Day    int32     `parquet:"day,date"` // days since 1970-01-01
	Price  int64     `parquet:"price,decimal(2:10)"`
	Tags   []string  `parquet:"tags,list"`
}

func pqRows(n int) []pqRow {
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	rows := make([]pqRow, n)
	for i := range rows {
		r := pqRow{
			ID:     int64(i + 1),
			Score:  float64(i) / 4,
			Name:   []string{"ann", "bob", "cy"}[i%3],
			Active: i%4 != 0,
			Seen:   base.Add(time.Duration(i) * time.Hour),
			Day:    int32(base.AddDate(0, 0, i).Unix() / 86400),
			Price:  int64(1000 + i), // 10.00 + i/100
			Tags:   []string{"t", "u"}[:i%3],
		}
		if i%5 != 0 {
			age := int32(20 + i)
			r.Age = &age
		}
		rows[i] = r
	}
	return rows
}

func writeParquet(t testing.TB, rows []pqRow) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := parquet.Write(&buf, rows); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParquetRoundTrip(t *testing.T) {
	t.Parallel()
	data := writeParquet(t, pqRows(100))
	p, err := ProfileParquet(context.Background(), bytes.NewReader(data), int64(len(data)), ParquetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Format != FormatParquet || p.Rows != 100 {
		t.Fatalf("format %s rows %d", p.Format, p.Rows)
	}
	if got := names(p); got != "id,age,score,name,active,seen,day,price,tags.list.element" {
		t.Errorf("columns %s", got)
	}
	for _, tc := range []struct {
		col             string
		typ             Type
		count, nulls    int64
		distinct        int64
		min, max        float64
		tmin, tmax, top string
	}{
		{col: "id", typ: TypeInt, count: 100, distinct: 100, min: 1, max: 100},
		{col: "age", typ: TypeInt, count: 80, nulls: 20, distinct: 80, min: 21, max: 119},
		{col: "score", typ: TypeFloat, count: 100, distinct: 100, min: 0, max: 24.75},
		{col: "name", typ: TypeString, count: 100, distinct: 3, top: "ann"},
		{col: "active", typ: TypeBool, count: 100, distinct: 2, top: "true"},
		{col: "seen", typ: TypeDatetime, count: 100, distinct: 100, tmin: "2024-03-01T12:00:00Z", tmax: "2024-03-05T15:00:00Z"},
		{col: "day", typ: TypeDatetime, count: 100, distinct: 100, tmin: "2024-03-01T00:00:00Z", tmax: "2024-06-08T00:00:00Z"},
		{col: "price", typ: TypeFloat, count: 100, distinct: 100, min: 10, max: 10.99},
		{col: "tags.list.element", typ: TypeString, count: 99, nulls: 34, distinct: 2, top: "t"},
	} {
		c := p.Column(tc.col)
		if c == nil {
			t.Errorf("no column %s", tc.col)
			continue
		}
		if c.Type != tc.typ || c.Count != tc.count || c.Nulls != tc.nulls || c.Distinct != tc.distinct {
			t.Errorf("%s: type %s count %d nulls %d distinct %d; want %s %d %d %d", tc.col, c.Type, c.Count, c.Nulls, c.Distinct, tc.typ, tc.count, tc.nulls, tc.distinct)
		}
		if tc.typ.Numeric() && (c.Min == nil || *c.Min != tc.min || *c.Max != tc.max) {
			t.Errorf("%s: min %v max %v, want %v %v", tc.col, c.Min, c.Max, tc.min, tc.max)
		}
		if c.DatetimeMin != tc.tmin || c.DatetimeMax != tc.tmax {
			t.Errorf("%s: datetimes [%s, %s], want [%s, %s]", tc.col, c.DatetimeMin, c.DatetimeMax, tc.tmin, tc.tmax)
		}
		if tc.top != "" && (len(c.TopK) == 0 || c.TopK[0].Value != tc.top) {
			t.Errorf("%s: top %+v, want %s first", tc.col, c.TopK, tc.top)
		}
	}
}

// TestParquetMatchesCSV profiles the same table as Parquet and as CSV.
func TestParquetMatchesCSV(t *testing.T) {
	t.Parallel()
	type row struct {
		N int64   `parquet:"n"`
		X float64 `parquet:"x"`
		S string  `parquet:"s"`
	}
	var rows []row
	var csv strings.Builder
	csv.WriteString("n,x,s\n")
	for i := range 20_000 { // past the exact limit of 10,000 distinct values
		r := row{int64(i * 7 % 20_011), math.Round(math.Sin(float64(i))*1e4) / 1e4, []string{"p", "q", "r", "s"}[i%4]}
		rows = append(rows, r)
		csv.WriteString(strings.Join([]string{
			formatInt(r.N), formatFloat(r.X), r.S}, ",") + "\n")
	}
	var buf bytes.Buffer
	if err := parquet.Write(&buf, rows); err != nil {
		t.Fatal(err)
	}
	pq, err := ProfileParquet(context.Background(), bytes.NewReader(buf.Bytes()), int64(buf.Len()), ParquetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pc := profileString(t, csv.String(), CSVOptions{})
	for i := range pq.Columns {
		a, b := pq.Columns[i], pc.Columns[i]
		a.Histogram, b.Histogram = nil, nil // identical inputs, but float edges may round differently
		if ja, jb := mustJSON(t, a), mustJSON(t, b); ja != jb {
			t.Errorf("column %s differs:\nparquet %s\ncsv     %s", a.Name, ja, jb)
		}
	}
}

func TestParquetCorrupt(t *testing.T) {
	t.Parallel()
	good := writeParquet(t, pqRows(500))
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"not parquet", []byte("id,name\n1,ann\n"), "not a valid Parquet file"},
		{"empty", nil, "not a valid Parquet file"},
		{"truncated footer", good[:len(good)-20], "not a valid Parquet file"},
		{"cut in half", append(append([]byte{}, good[:len(good)/2]...), good[len(good)-8:]...), "not a valid Parquet file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ProfileParquet(ctx, bytes.NewReader(tc.data), int64(len(tc.data)), ParquetOptions{})
			if !lathe.IsCode(err, lathe.EINVALID) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want EINVALID containing %q", err, tc.want)
			}
		})
	}
	// Flipping bytes inside the column data must give EINVALID or a profile,
	// never a panic or another error.
	t.Run("scrambled pages", func(t *testing.T) {
		t.Parallel()
		failed := 0
		for off := 4; off < len(good)-1000; off += 199 {
			bad := append([]byte{}, good...)
			for i := off; i < off+16; i++ {
				bad[i] ^= 0xA5
			}
			_, err := ProfileParquet(ctx, bytes.NewReader(bad), int64(len(bad)), ParquetOptions{})
			if err != nil {
				failed++
				if !lathe.IsCode(err, lathe.EINVALID) {
					t.Fatalf("offset %d: %v is not EINVALID", off, err)
				}
			}
		}
		if failed == 0 {
			t.Error("no scrambled file was refused")
		}
	})
}

// TestParquetPageLimits feeds checkPages page headers that claim more than
// their chunk holds or more than the page limits, as a corrupt file would.
func TestParquetPageLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                     string
		uncompressed, compressed int32
		body                     int
		values                   int32
		want                     string
	}{
		{"fits", 100, 10, 10, 5, ""},
		{"beyond the chunk", 100, 1 << 30, 10, 5, "beyond its column chunk"},
		{"too large uncompressed", 1 << 30, 10, 10, 5, "uncompressed bytes, more than the limit"},
		{"too many values", 100, 10, 10, 1 << 30, "values, more than the limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := format.PageHeader{Type: format.DataPage, UncompressedPageSize: tc.uncompressed, CompressedPageSize: tc.compressed}
			h.DataPageHeader.Valid = true
			h.DataPageHeader.V.NumValues = tc.values
			hdr, err := thrift.Marshal(new(thrift.CompactProtocol), &h)
			if err != nil {
				t.Fatal(err)
			}
			file := append([]byte("PAR1"), hdr...)
			file = append(file, make([]byte, tc.body)...)
			meta := &format.FileMetaData{RowGroups: []format.RowGroup{{Columns: []format.ColumnChunk{{MetaData: format.ColumnMetaData{
				PathInSchema: []string{"x"}, DataPageOffset: 4, TotalCompressedSize: int64(len(hdr) + tc.body),
			}}}}}}
			err = checkPages(bytes.NewReader(file), int64(len(file)), meta)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("checkPages: %v", err)
			case tc.want != "" && (!lathe.IsCode(err, lathe.EINVALID) || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("checkPages: %v, want EINVALID containing %q", err, tc.want)
			}
		})
	}
}

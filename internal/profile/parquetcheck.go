package profile

import (
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/latheml/lathe"
)

// Limits on what one Parquet page may claim. parquet-go allocates page
// buffers from the sizes in page headers before reading the bytes, so a
// corrupt header would otherwise become an allocation of up to 2 GiB.
const (
	maxPageBytes  = 256 << 20 // uncompressed bytes of one page
	maxPageValues = 1 << 26   // values (with nulls) in one page
	maxHeaderSize = 16 << 20  // bytes of one page header (statistics included)
)

// checkPages walks the page headers of every column chunk and refuses the
// file if a page does not fit in its chunk, a chunk in the file, or a page
// within the limits above — before parquet-go reads any page.
func checkPages(r io.ReaderAt, size int64, meta *format.FileMetaData) error {
	var proto thrift.CompactProtocol
	var buf []byte
	for g, rg := range meta.RowGroups {
		for c := range rg.Columns {
			cm := &rg.Columns[c].MetaData
			where := fmt.Sprintf("row group %d, column %q", g, columnPath(cm.PathInSchema))
			start := cm.DataPageOffset
			if d := cm.DictionaryPageOffset; d > 0 && d < start {
				start = d
			}
			end := start + cm.TotalCompressedSize
			if start < 4 || cm.TotalCompressedSize < 0 || end > size || end < start {
				return corrupt(where, "the column chunk at %d (+%d bytes) lies outside the %d-byte file", start, cm.TotalCompressedSize, size)
			}
			for pos := start; pos < end; {
				window := min(end-pos, 64<<10)
				var h format.PageHeader
				var n int
				for {
					if int64(cap(buf)) < window {
						buf = make([]byte, window)
					}
					b := buf[:window]
					if _, err := r.ReadAt(b, pos); err != nil && !errors.Is(err, io.EOF) {
						return fmt.Errorf("parquet: %s: read at %d: %w", where, pos, err)
					}
					rd := proto.NewReaderFromBytes(b)
					h = format.PageHeader{}
					err := thrift.NewDecoder(rd).Decode(&h)
					if err == nil {
						n = rd.BytesRead()
						break
					}
					if window == end-pos || window >= maxHeaderSize {
						return corrupt(where, "unreadable page header at byte %d: %v", pos, err)
					}
					window = min(end-pos, 4*window, maxHeaderSize)
				}
				body := int64(h.CompressedPageSize)
				switch {
				case body < 0 || h.UncompressedPageSize < 0 || pos+int64(n)+body > end:
					return corrupt(where, "the page at byte %d claims %d bytes, beyond its column chunk", pos, body)
				case h.UncompressedPageSize > maxPageBytes:
					return corrupt(where, "the page at byte %d claims %d uncompressed bytes, more than the limit of %d", pos, h.UncompressedPageSize, maxPageBytes)
				case pageValues(&h) > maxPageValues:
					return corrupt(where, "the page at byte %d claims %d values, more than the limit of %d", pos, pageValues(&h), maxPageValues)
				}
				pos += int64(n) + body
			}
		}
	}
	return nil
}

func pageValues(h *format.PageHeader) int64 {
	switch {
	case h.DataPageHeader.Valid:
		return int64(h.DataPageHeader.V.NumValues)
	case h.DataPageHeaderV2.Valid:
		return int64(h.DataPageHeaderV2.V.NumValues)
	case h.DictionaryPageHeader.Valid:
		return int64(h.DictionaryPageHeader.V.NumValues)
	}
	return 0
}

func columnPath(p []string) string {
	s := ""
	for i, x := range p {
		if i > 0 {
			s += "."
		}
		s += x
	}
	return s
}

func corrupt(where, format string, args ...any) error {
	return lathe.Errorf(lathe.EINVALID, "parquet: %s: the file is corrupt: %s", where, fmt.Sprintf(format, args...))
}

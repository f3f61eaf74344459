package frame

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"

	"github.com/latheml/lathe"
)

// ReadCSV reads a CSV stream with a header row into a frame, inferring column
// kinds as FromRecords does. Fields may be quoted; every row must have as many
// fields as the header.
func ReadCSV(r io.Reader, opts Options) (*Frame, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, lathe.Errorf(lathe.EINVALID, "the CSV is empty; it needs a header row")
	}
	if err != nil {
		return nil, csvErr(err)
	}
	header = append([]string(nil), header...)
	if len(header) > 0 {
		header[0] = trimBOM(header[0])
	}
	b, err := newBuilder(header, opts)
	if err != nil {
		return nil, err
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvErr(err)
		}
		if err := b.add(rec, line); err != nil {
			return nil, err
		}
	}
	return b.frame()
}

func trimBOM(s string) string {
	if len(s) >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF {
		return s[3:]
	}
	return s
}

// csvErr turns a parse error into an EINVALID that names the line; other
// errors (from the underlying reader) are passed on wrapped.
func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return lathe.Errorf(lathe.EINVALID, "CSV line %d, column %d: %v", pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("read CSV: %w", err)
}

package profile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/latheml/lathe"
)

// csvReader reads CSV records as RFC 4180 describes them: fields separated by
// a delimiter, records by LF or CRLF; a field that starts with the quote
// character (after optional spaces) runs to the next lone quote and may hold
// delimiters, newlines and doubled quotes. Blank lines are skipped. Where the
// input strays from the RFC — text after a closing quote, a quote inside an
// unquoted field, a quote left open at the end — the reader keeps what a
// lenient reader would (the text, literally) and notes the problem.
type csvReader struct {
	br        *bufio.Reader
	delim     byte
	quote     byte
	maxRecord int

	line    int64 // physical lines consumed
	recLine int64 // the line where the current record starts
	valid   bool  // the current record is valid UTF-8
	issues  []string

	fields [][]byte
	data   []byte // decoded fields of a record that had quotes
	ends   []int
	long   []byte // a line longer than the bufio buffer
}

func newCSVReader(r io.Reader, delim, quote byte, maxRecord int) *csvReader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 256<<10)
	}
	return &csvReader{br: br, delim: delim, quote: quote, maxRecord: maxRecord}
}

// readLine returns the next physical line with its line ending, valid until
// the next call; io.EOF only when no bytes are left.
func (r *csvReader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		r.long = append(r.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			if len(r.long) > r.maxRecord {
				return nil, r.tooLong()
			}
			line, err = r.br.ReadSlice('\n')
			r.long = append(r.long, line...)
		}
		line = r.long
	}
	if len(line) > r.maxRecord {
		return nil, r.tooLong()
	}
	if len(line) > 0 {
		r.line++
		if errors.Is(err, io.EOF) {
			err = nil
		}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read csv line %d: %w", r.line+1, err)
	}
	return line, err
}

func (r *csvReader) tooLong() error {
	return lathe.Errorf(lathe.EINVALID,
		"csv line %d: record longer than %d bytes; raise the record size limit, or check for a quote that is never closed",
		r.recLine, r.maxRecord)
}

// eolLen is the length of line's ending: 2 for CRLF, 1 for LF, 0 at EOF.
func eolLen(line []byte) int {
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		if n > 1 && line[n-2] == '\r' {
			return 2
		}
		return 1
	}
	return 0
}

// next returns the next record's fields, valid until the next call, or
// io.EOF. r.recLine, r.valid and r.issues describe the record.
func (r *csvReader) next() ([][]byte, error) {
	r.issues = r.issues[:0]
	for {
		r.recLine = r.line + 1
		line, err := r.readLine()
		if err != nil {
			return nil, err
		}
		if bytes.IndexByte(line, r.quote) >= 0 {
			return r.parseQuoted(line)
		}
		body := line[:len(line)-eolLen(line)]
		if len(body) == 0 {
			continue
		}
		r.valid = utf8.Valid(body)
		r.fields = r.fields[:0]
		for {
			i := bytes.IndexByte(body, r.delim)
			if i < 0 {
				r.fields = append(r.fields, body)
				return r.fields, nil
			}
			r.fields = append(r.fields, body[:i])
			body = body[i+1:]
		}
	}
}

// parseQuoted parses a record with at least one quote character, reading
// more lines while a quoted field is open.
func (r *csvReader) parseQuoted(line []byte) ([][]byte, error) {
	r.data, r.ends = r.data[:0], r.ends[:0]
	pos := 0
	for {
		end := len(line) - eolLen(line) // end of this line's text
		start := pos
		for start < end && line[start] == ' ' && r.delim != ' ' {
			start++
		}
		if start < end && line[start] == r.quote {
			pos = start + 1
			closed := false
			for !closed {
				i := bytes.IndexByte(line[pos:], r.quote)
				if i < 0 { // the field goes on past this line
					rest := line[pos:]
					r.data = append(r.data, rest...)
					if len(r.data) > r.maxRecord {
						return nil, r.tooLong()
					}
					next, err := r.readLine()
					if errors.Is(err, io.EOF) {
						r.issue("a quoted field is not closed before the end of the input")
						r.data = r.data[:len(r.data)-eolLen(rest)] // the input's final line ending
						line, pos = nil, 0
						break
					}
					if err != nil {
						return nil, err
					}
					line, pos = next, 0
					continue
				}
				r.data = append(r.data, line[pos:pos+i]...)
				pos += i + 1
				if pos < len(line) && line[pos] == r.quote {
					r.data = append(r.data, r.quote)
					pos++
					continue
				}
				closed = true
			}
			end = len(line) - eolLen(line)
			for pos < end && line[pos] == ' ' && r.delim != ' ' {
				pos++ // spaces between a closing quote and the delimiter
			}
			if pos < end && line[pos] != r.delim {
				r.issue(fmt.Sprintf("text after the closing quote of field %d; a quote inside a quoted field must be doubled", len(r.ends)+1))
				j := bytes.IndexByte(line[pos:end], r.delim)
				if j < 0 {
					j = end - pos
				}
				r.data = append(r.data, line[pos:pos+j]...)
				pos += j
			}
		} else {
			j := bytes.IndexByte(line[pos:end], r.delim)
			if j < 0 {
				j = end - pos
			}
			field := line[pos : pos+j]
			if bytes.IndexByte(field, r.quote) >= 0 {
				r.issue(fmt.Sprintf("a quote inside unquoted field %d; quote the field and double the quote", len(r.ends)+1))
			}
			r.data = append(r.data, field...)
			pos += j
		}
		r.ends = append(r.ends, len(r.data))
		if pos < len(line) && line[pos] == r.delim {
			pos++
			continue
		}
		break
	}
	r.fields = r.fields[:0]
	prev := 0
	for _, e := range r.ends {
		r.fields = append(r.fields, r.data[prev:e])
		prev = e
	}
	r.valid = utf8.Valid(r.data)
	return r.fields, nil
}

func (r *csvReader) issue(msg string) { r.issues = append(r.issues, msg) }

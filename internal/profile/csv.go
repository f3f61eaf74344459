package profile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/latheml/lathe"
)

// Header says whether a CSV input starts with a header record.
type Header int

// Header modes.
const (
	HeaderAuto    Header = iota // detect it (see detectHeader)
	HeaderPresent               // the first record names the columns
	HeaderAbsent                // every record is data; columns are column_1, column_2, …
)

// CSVOptions configure ProfileCSV. The zero value detects the delimiter and
// the header, reads RFC 4180 quoting and records problems without failing.
type CSVOptions struct {
	Options

	// Delimiter separates fields; 0 detects it among ',', ';', '\t' and '|'
	// (see detectDelimiter).
	Delimiter byte
	// Quote opens and closes quoted fields (default '"').
	Quote byte
	// Header says whether the first record is a header (default: detect).
	Header Header
	// NullValues replaces the default null tokens (see the package doc);
	// empty cells are always null.
	NullValues []string
	// MaxRecordBytes refuses longer records (default 1 MiB, at most 1 GiB).
	MaxRecordBytes int
	// Strict refuses the input at its first problem (a ragged row, invalid
	// UTF-8, a stray quote) instead of recording it and going on.
	Strict bool
}

// DefaultMaxRecordBytes is the default CSVOptions.MaxRecordBytes.
const DefaultMaxRecordBytes = 1 << 20

func (o CSVOptions) withDefaults() (CSVOptions, error) {
	var err error
	if o.Options, err = o.Options.withDefaults(); err != nil {
		return o, err
	}
	if o.Quote == 0 {
		o.Quote = '"'
	}
	switch {
	case o.MaxRecordBytes == 0:
		o.MaxRecordBytes = DefaultMaxRecordBytes
	case o.MaxRecordBytes < 0 || o.MaxRecordBytes > 1<<30:
		return o, lathe.Errorf(lathe.EINVALID, "csv record size limit %d is out of range; use 1 to %d bytes (0 means %d)", o.MaxRecordBytes, 1<<30, DefaultMaxRecordBytes)
	}
	bad := func(b byte) bool { return b == '\n' || b == '\r' || b >= utf8.RuneSelf }
	if bad(o.Quote) || o.Delimiter != 0 && (bad(o.Delimiter) || o.Delimiter == o.Quote) {
		return o, lathe.Errorf(lathe.EINVALID, "csv delimiter %q and quote %q must be different ASCII characters other than CR and LF", o.Delimiter, o.Quote)
	}
	if o.Header < HeaderAuto || o.Header > HeaderAbsent {
		return o, lathe.Errorf(lathe.EINVALID, "csv header mode %d is unknown", o.Header)
	}
	return o, nil
}

// ProfileCSV profiles CSV read from r in one pass. Memory is bounded by the
// number of columns, the sketch sizes and MaxRecordBytes, whatever the number
// of rows. Errors a user can fix carry lathe.EINVALID and name the line.
func ProfileCSV(ctx context.Context, r io.Reader, opts CSVOptions) (*Profile, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(r, 256<<10)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\uFEFF" {
		_, _ = br.Discard(3)
	}
	sample, complete, err := peekSample(br)
	if err != nil {
		return nil, fmt.Errorf("profile csv: read: %w", err)
	}
	nulls := newNullSet(opts.NullValues)
	delim := opts.Delimiter
	if delim == 0 {
		delim = detectDelimiter(sample, opts.Quote, complete)
	}
	header := opts.Header == HeaderPresent
	if opts.Header == HeaderAuto {
		header = detectHeader(sampleRecordsOf(sample, delim, opts.Quote, complete), nulls)
	}

	p := &profiler{opts: opts, nulls: nulls, rd: newCSVReader(br, delim, opts.Quote, opts.MaxRecordBytes)}
	p.probs.max = opts.MaxProblems
	first, err := p.rd.next()
	switch {
	case errors.Is(err, io.EOF):
		first, err = nil, nil
	case err != nil:
		return nil, err
	}
	if err := p.start(first, header); err != nil {
		return nil, err
	}
	if first != nil && !header {
		if err := p.record(first); err != nil {
			return nil, err
		}
	}
	if first != nil {
		err = p.run(ctx)
	}
	if err != nil {
		return nil, err
	}
	prof := &Profile{
		Version:         Version,
		Format:          FormatCSV,
		Rows:            p.rows,
		Delimiter:       string(delim),
		Header:          header && first != nil,
		Columns:         make([]ColumnProfile, len(p.cols)),
		RaggedRows:      p.ragged,
		InvalidUTF8Rows: p.badUTF8,
	}
	for i, c := range p.cols {
		prof.Columns[i] = c.finish(opts.Options)
	}
	p.probs.fill(prof)
	return prof, nil
}

// profiler is one ProfileCSV call: the reader fills batches of rows, and
// workers, each owning a fixed share of the columns, update the columns from
// every batch in order — so the result does not depend on scheduling.
type profiler struct {
	opts  CSVOptions
	nulls nullSet
	rd    *csvReader
	cols  []*column
	probs problems

	rows, ragged, badUTF8 int64

	cur *batch // the batch being filled
}

// batch is a run of rows: cell i of row r ends at ends[r*ncols+i] in data.
type batch struct {
	data    []byte
	ends    []uint32
	rows    int
	pending atomic.Int32 // workers yet to finish with it
}

// A batch holds up to batchBytes of cells, and up to batchCells/ncols rows
// (at least 16, at most 4096).
const (
	batchBytes = 1 << 20
	batchCells = 1 << 17
)

func batchRows(ncols int) int { return min(max(batchCells/max(ncols, 1), 16), 4096) }

// start names the columns from the first record.
func (p *profiler) start(first [][]byte, header bool) error {
	if len(first) > p.opts.MaxColumns {
		return lathe.Errorf(lathe.EINVALID, "csv line %d: %d columns, more than the limit of %d", p.rd.recLine, len(first), p.opts.MaxColumns)
	}
	names := make([]string, len(first))
	if header {
		if problem := p.recordProblems(); problem != nil {
			return problem
		}
		for i, f := range first {
			names[i] = string(trim(f))
			if !utf8.ValidString(names[i]) {
				names[i] = toValidUTF8(names[i])
			}
		}
	}
	names = uniqueNames(names)
	limit := p.opts.exactLimit(len(names))
	p.cols = make([]*column, len(names))
	for i, n := range names {
		p.cols[i] = newColumn(n, limit, i)
	}
	p.cur = newBatch(len(names))
	return nil
}

func newBatch(ncols int) *batch {
	return &batch{data: make([]byte, 0, 64<<10), ends: make([]uint32, 0, min(batchRows(ncols)*ncols, 4096))}
}

// uniqueNames fills in empty names as column_<n> and makes duplicates unique
// with a .1, .2, … suffix, as pandas does.
func uniqueNames(names []string) []string {
	used := make(map[string]bool, len(names))
	for i, n := range names {
		if n == "" {
			names[i] = "column_" + strconv.Itoa(i+1)
		}
		used[names[i]] = true
	}
	seen := make(map[string]bool, len(names))
	for i, n := range names {
		if !seen[n] {
			seen[n] = true
			continue
		}
		for k := 1; ; k++ {
			cand := n + "." + strconv.Itoa(k)
			if !used[cand] {
				names[i] = cand
				used[cand], seen[cand] = true, true
				break
			}
		}
	}
	return names
}

// recordProblems reports the current record's format issues: in strict mode
// the first as an error, else all of them as Problems.
func (p *profiler) recordProblems() error {
	for _, msg := range p.rd.issues {
		if err := p.problem(msg); err != nil {
			return err
		}
	}
	if !p.rd.valid {
		p.badUTF8++
		col := 0
		for i, f := range p.rd.fields {
			if !utf8.Valid(f) {
				col = i
				break
			}
		}
		name := strconv.Itoa(col + 1)
		if col < len(p.cols) {
			name = strconv.Quote(p.cols[col].name)
		}
		if err := p.problem(fmt.Sprintf("invalid UTF-8 in column %s; the bad bytes count as U+FFFD", name)); err != nil {
			return err
		}
	}
	return nil
}

func (p *profiler) problem(msg string) error {
	if p.opts.Strict {
		return lathe.Errorf(lathe.EINVALID, "csv line %d: %s (strict mode refuses the input)", p.rd.recLine, msg)
	}
	p.probs.add(p.rd.recLine, msg)
	return nil
}

// record appends one data record to the current batch.
func (p *profiler) record(fields [][]byte) error {
	if err := p.recordProblems(); err != nil {
		return err
	}
	ncols := len(p.cols)
	if len(fields) != ncols {
		p.ragged++
		msg := fmt.Sprintf("%d fields where the header has %d; missing cells count as null, extra cells are dropped", len(fields), ncols)
		if err := p.problem(msg); err != nil {
			return err
		}
	}
	b := p.cur
	for i := range ncols {
		if i < len(fields) {
			f := fields[i]
			if !p.rd.valid && !utf8.Valid(f) {
				f = []byte(toValidUTF8(string(f)))
			}
			b.data = append(b.data, f...)
		}
		b.ends = append(b.ends, uint32(len(b.data)))
	}
	b.rows++
	p.rows++
	return nil
}

func toValidUTF8(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// run reads the remaining records and feeds them to the workers.
func (p *profiler) run(ctx context.Context) error {
	nw := min(runtime.GOMAXPROCS(0), len(p.cols), 4)
	in := make([]chan *batch, nw)
	free := make(chan *batch, 4)
	var wg sync.WaitGroup
	for w := range nw {
		in[w] = make(chan *batch, 2)
		wg.Go(func() {
			for b := range in[w] {
				p.consume(b, w, nw)
				if b.pending.Add(-1) == 0 {
					b.data, b.ends, b.rows = b.data[:0], b.ends[:0], 0
					free <- b
				}
			}
		})
	}
	batches, maxRows := 1, batchRows(len(p.cols))
	send := func() {
		b := p.cur
		b.pending.Store(int32(nw))
		for _, ch := range in {
			ch <- b
		}
		if batches < cap(free) {
			batches++
			p.cur = newBatch(len(p.cols))
		} else {
			p.cur = <-free
		}
	}
	err := func() error {
		for {
			fields, err := p.rd.next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := p.record(fields); err != nil {
				return err
			}
			if p.cur.rows == maxRows || len(p.cur.data) >= batchBytes {
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("profile csv: %w", err)
				}
				send()
			}
		}
	}()
	if err == nil && p.cur.rows > 0 {
		send()
	}
	for _, ch := range in {
		close(ch)
	}
	wg.Wait()
	return err
}

// consume updates worker w's columns from b.
func (p *profiler) consume(b *batch, w, nw int) {
	ncols := len(p.cols)
	for c := w; c < ncols; c += nw {
		col := p.cols[c]
		for r := range b.rows {
			i := r*ncols + c
			start := uint32(0)
			if i > 0 {
				start = b.ends[i-1]
			}
			col.addText(b.data[start:b.ends[i]], p.nulls)
		}
	}
}

package profile

import (
	"bytes"
	"errors"
	"io"
)

// Sniffing looks at the first sampleBytes of the input, at most sampleRecords
// records of it.
const (
	sampleBytes   = 64 << 10
	sampleRecords = 100
)

// delimiterCandidates are the delimiters detectDelimiter chooses among, in
// order of preference on a tie.
const delimiterCandidates = ",;\t|"

// sampleRecordsOf parses up to sampleRecords records of sample with delim.
// When the sample is not the whole input (complete false) its last record may
// be cut short and is dropped.
func sampleRecordsOf(sample []byte, delim, quote byte, complete bool) [][]string {
	r := newCSVReader(bytes.NewReader(sample), delim, quote, len(sample)+1)
	var recs [][]string
	for len(recs) <= sampleRecords {
		fields, err := r.next()
		if err != nil {
			break
		}
		rec := make([]string, len(fields))
		for i, f := range fields {
			rec[i] = string(f)
		}
		recs = append(recs, rec)
	}
	if !complete && len(recs) > 1 {
		recs = recs[:len(recs)-1]
	}
	return recs[:min(len(recs), sampleRecords)]
}

// detectDelimiter picks the candidate that splits the sampled records most
// consistently: for each candidate, the most common number of fields per
// record (the mode) must be at least 2; the candidate whose mode covers the
// largest share of the records wins, then the one with more fields, then
// the earlier in ",;\t|". With no candidate splitting the lines, the input
// is one column and the delimiter is a comma.
func detectDelimiter(sample []byte, quote byte, complete bool) byte {
	best, bestShare, bestMode := byte(','), 0.0, 0
	for _, d := range []byte(delimiterCandidates) {
		recs := sampleRecordsOf(sample, d, quote, complete)
		if len(recs) == 0 {
			continue
		}
		freq := map[int]int{}
		for _, r := range recs {
			freq[len(r)]++
		}
		mode, n := 0, 0
		for width, c := range freq {
			if c > n || c == n && width > mode {
				mode, n = width, c
			}
		}
		if mode < 2 {
			continue
		}
		share := float64(n) / float64(len(recs))
		if share > bestShare || share == bestShare && mode > bestMode {
			best, bestShare, bestMode = d, share, mode
		}
	}
	return best
}

// detectHeader decides whether the first sampled record is a header:
//
//  1. every cell of the first record must be non-null, distinct, and text —
//     not a number, a bool or a datetime; otherwise there is no header;
//  2. a lone record that passes (1) is a header;
//  3. if any column holds a number, bool or datetime in the later sampled
//     records, the text above it is a header;
//  4. if every sampled cell is text, the first record is a header unless
//     one of its cells appears again in its own column further down (a name
//     is rarely also a value of its column; a data row's values often are).
func detectHeader(recs [][]string, nulls nullSet) bool {
	if len(recs) == 0 {
		return false
	}
	first := recs[0]
	seen := map[string]bool{}
	for _, cell := range first {
		t := trim([]byte(cell))
		if nulls.is(t) || typedText(t) || seen[string(t)] {
			return false
		}
		seen[string(t)] = true
	}
	if len(recs) == 1 {
		return true
	}
	for _, r := range recs[1:] {
		for _, cell := range r {
			if t := trim([]byte(cell)); !nulls.is(t) && typedText(t) {
				return true
			}
		}
	}
	for _, r := range recs[1:] {
		for c, cell := range r {
			if c < len(first) && bytes.Equal(trim([]byte(cell)), trim([]byte(first[c]))) {
				return false
			}
		}
	}
	return true
}

// typedText reports whether t reads as a number, a bool or a datetime.
func typedText(t []byte) bool {
	if _, _, ok := parseNumber(t); ok {
		return true
	}
	if _, ok := parseBool(t); ok {
		return true
	}
	for _, order := range []int{orderISO, orderMDY, orderDMY} {
		if _, ok := parseTime(t, order); ok {
			return true
		}
	}
	return false
}

// peekSample returns the first bytes of br without consuming them, and
// whether they are the whole input.
func peekSample(br interface {
	Peek(int) ([]byte, error)
}) ([]byte, bool, error) {
	b, err := br.Peek(sampleBytes)
	switch {
	case err == nil:
		return b, false, nil
	case errors.Is(err, io.EOF):
		return b, true, nil
	}
	return nil, false, err
}

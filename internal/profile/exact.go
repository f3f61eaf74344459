package profile

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
)

// exactTable counts a column's distinct values exactly. It is built to cost
// the garbage collector nothing: keys live in one byte arena, and the index
// maps their 64-bit hashes (the same hash64 the HyperLogLog uses) to entries,
// so neither the index nor the entries hold pointers. Two keys with the same
// hash — about one chance in 10^11 at 10,000 keys — are told apart by a
// second, ordinary map.
type exactTable struct {
	index   map[uint64]int32
	clash   map[string]int32 // keys whose hash another key already has
	entries []entry
	arena   []byte
}

// entry is one distinct value: its key in the arena, its count and, while
// the column is numeric, its number (NaN for a value that is not one).
type entry struct {
	hash     uint64
	off, len uint32
	count    int64
	num      float64
}

func newExactTable() *exactTable {
	return &exactTable{index: make(map[uint64]int32)}
}

func (t *exactTable) key(e *entry) []byte { return t.arena[e.off : e.off+e.len] }

// find returns the entry of key k, whose hash64 is h.
func (t *exactTable) find(k []byte, h uint64) *entry {
	i, ok := t.index[h]
	if !ok {
		return nil
	}
	if e := &t.entries[i]; bytes.Equal(t.key(e), k) {
		return e
	}
	if i, ok := t.clash[string(k)]; ok {
		return &t.entries[i]
	}
	return nil
}

// insert adds a new key with a count of one.
func (t *exactTable) insert(k []byte, h uint64, num float64) {
	i := int32(len(t.entries))
	t.entries = append(t.entries, entry{hash: h, off: uint32(len(t.arena)), len: uint32(len(k)), count: 1, num: num})
	t.arena = append(t.arena, k...)
	if _, taken := t.index[h]; !taken {
		t.index[h] = i
		return
	}
	if t.clash == nil {
		t.clash = make(map[string]int32)
	}
	t.clash[string(k)] = i
}

// counts returns every key with its count.
func (t *exactTable) counts() []keyCount {
	out := make([]keyCount, len(t.entries))
	for i := range t.entries {
		e := &t.entries[i]
		out[i] = keyCount{key: string(t.key(e)), count: e.count}
	}
	return out
}

// keyCount is a distinct-value key, its count and, for a SpaceSaving
// estimate, by how much the count may exceed the true one.
type keyCount struct {
	key        string
	count, err int64
}

// topOf returns the k keys with the largest guaranteed counts (count - err;
// the count itself when exact) as ValueCounts, ties broken by the larger
// count, then the smaller key.
func topOf(kcs []keyCount, k int) []ValueCount {
	slices.SortFunc(kcs, func(a, b keyCount) int {
		if c := cmp.Compare(b.count-b.err, a.count-a.err); c != 0 {
			return c
		}
		if c := cmp.Compare(b.count, a.count); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	kcs = kcs[:min(k, len(kcs))]
	out := make([]ValueCount, len(kcs))
	for i, kc := range kcs {
		out[i] = ValueCount{Value: strings.ToValidUTF8(displayKey(kc.key), "\uFFFD"), Count: kc.count, Error: kc.err}
	}
	return out
}

package profile

import (
	"bytes"
	"cmp"
	"slices"
)

// topCounters is the number of SpaceSaving counters: each reported count
// over-estimates the true one by at most n/topCounters.
const topCounters = 1024

// spaceSaving is the heavy-hitters summary of Metwally, Agrawal and El Abbadi,
// "Efficient Computation of Frequent and Top-k Elements in Data Streams"
// (2005): a fixed number of counters; a value without one takes over the
// smallest counter and adds one to it. It uses the paper's Stream-Summary
// layout, so that every update is O(1): counters with equal counts share a
// bucket, and buckets form a list in ascending count order. Counters are
// identified by the value's 64-bit hash, and keep the value's key bytes for
// display in a buffer each reuses. Links are slice indexes (-1 for none), so
// the structure holds few pointers for the garbage collector to follow.
type spaceSaving struct {
	ctr     []ssCounter
	buckets []ssBucket
	free    []int32 // unused bucket slots
	head    int32   // the bucket with the smallest count
	index   map[uint64]int32
}

type ssCounter struct {
	hash       uint64
	err        int64 // the count inherited when the counter was taken over
	bucket     int32
	prev, next int32 // siblings in the bucket
	key        []byte
}

type ssBucket struct {
	count      int64
	first      int32 // a counter in the bucket
	prev, next int32 // neighbouring buckets, ascending by count
}

func newSpaceSaving() *spaceSaving {
	return &spaceSaving{head: -1, index: make(map[uint64]int32, topCounters)}
}

// seed loads exact counts, keeping the largest topCounters of them; every
// value left out occurred no more often than the smallest kept counter, which
// is the invariant SpaceSaving's bounds rest on.
func (s *spaceSaving) seed(t *exactTable) {
	top := slices.Clone(t.entries)
	slices.SortFunc(top, func(a, b entry) int {
		if c := cmp.Compare(b.count, a.count); c != 0 {
			return c
		}
		return bytes.Compare(t.key(&a), t.key(&b))
	})
	top = top[:min(len(top), topCounters)]
	// Insert the largest first, each at the head of the bucket list.
	for i := range top {
		e := &top[i]
		c := s.newCounter(t.key(e), e.hash)
		if s.head >= 0 && s.buckets[s.head].count == e.count {
			s.link(c, s.head)
		} else {
			s.link(c, s.newBucket(e.count, -1, s.head))
		}
	}
}

// add counts one occurrence of key, whose hash64 is h.
func (s *spaceSaving) add(key []byte, h uint64) {
	if c, ok := s.index[h]; ok {
		s.increment(c)
		return
	}
	if len(s.ctr) < topCounters {
		c := s.newCounter(key, h)
		if s.head >= 0 && s.buckets[s.head].count == 1 {
			s.link(c, s.head)
		} else {
			s.link(c, s.newBucket(1, -1, s.head))
		}
		return
	}
	c := s.buckets[s.head].first // take over a smallest counter
	ctr := &s.ctr[c]
	delete(s.index, ctr.hash)
	ctr.hash = h
	ctr.err = s.buckets[s.head].count
	ctr.key = append(ctr.key[:0], key...)
	s.index[h] = c
	s.increment(c)
}

func (s *spaceSaving) newCounter(key []byte, h uint64) int32 {
	c := int32(len(s.ctr))
	s.ctr = append(s.ctr, ssCounter{hash: h, bucket: -1, prev: -1, next: -1, key: slices.Clone(key)})
	s.index[h] = c
	return c
}

// newBucket makes a bucket between prev and next (either may be -1).
func (s *spaceSaving) newBucket(count int64, prev, next int32) int32 {
	b := ssBucket{count: count, first: -1, prev: prev, next: next}
	var i int32
	if n := len(s.free); n > 0 {
		i = s.free[n-1]
		s.free = s.free[:n-1]
		s.buckets[i] = b
	} else {
		i = int32(len(s.buckets))
		s.buckets = append(s.buckets, b)
	}
	if prev >= 0 {
		s.buckets[prev].next = i
	} else {
		s.head = i
	}
	if next >= 0 {
		s.buckets[next].prev = i
	}
	return i
}

// link puts counter c into bucket b.
func (s *spaceSaving) link(c, b int32) {
	ctr, bk := &s.ctr[c], &s.buckets[b]
	ctr.bucket, ctr.prev, ctr.next = b, -1, bk.first
	if bk.first >= 0 {
		s.ctr[bk.first].prev = c
	}
	bk.first = c
}

// unlink takes counter c out of its bucket, dropping the bucket if it
// empties.
func (s *spaceSaving) unlink(c int32) {
	ctr := &s.ctr[c]
	b := ctr.bucket
	if ctr.prev >= 0 {
		s.ctr[ctr.prev].next = ctr.next
	} else {
		s.buckets[b].first = ctr.next
	}
	if ctr.next >= 0 {
		s.ctr[ctr.next].prev = ctr.prev
	}
	if bk := s.buckets[b]; bk.first < 0 {
		if bk.prev >= 0 {
			s.buckets[bk.prev].next = bk.next
		} else {
			s.head = bk.next
		}
		if bk.next >= 0 {
			s.buckets[bk.next].prev = bk.prev
		}
		s.free = append(s.free, b)
	}
}

// increment moves counter c to the bucket one count up.
func (s *spaceSaving) increment(c int32) {
	b := s.ctr[c].bucket
	want := s.buckets[b].count + 1
	next := s.buckets[b].next
	nextFits := next >= 0 && s.buckets[next].count == want
	if s.buckets[b].first == c && s.ctr[c].next < 0 && !nextFits {
		s.buckets[b].count = want // alone in its bucket: the bucket moves up
		return
	}
	s.unlink(c) // b survives unless c was alone, and then next fits
	if nextFits {
		s.link(c, next)
		return
	}
	s.link(c, s.newBucket(want, b, next))
}

// count returns counter c's count.
func (s *spaceSaving) count(c int32) int64 { return s.buckets[s.ctr[c].bucket].count }

// top returns the k counters with the largest guaranteed counts.
func (s *spaceSaving) top(k int) []ValueCount {
	kcs := make([]keyCount, len(s.ctr))
	for i, c := range s.ctr {
		kcs[i] = keyCount{key: string(c.key), count: s.count(int32(i)), err: c.err}
	}
	return topOf(kcs, k)
}

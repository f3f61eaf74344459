// Package cache is a small, bounded, time-limited map for hot lookups
// (tokens, workspaces, roles) that may serve a value for a short while
// after it changed elsewhere. Owners clear it when they make a change
// themselves, so a single server sees its own changes at once.
package cache

import (
	"sync"
	"time"
)

// Map maps keys to values for at most TTL each, and holds at most Max
// entries (when full, it starts over).
type Map[K comparable, V any] struct {
	TTL time.Duration
	Max int
	Now func() time.Time

	mu sync.Mutex
	m  map[K]entry[V]
}

type entry[V any] struct {
	v  V
	at time.Time
}

// Get returns the value of k if it was put less than TTL ago.
func (c *Map[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || c.Now().Sub(e.at) >= c.TTL {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Put stores v under k.
func (c *Map[K, V]) Put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= c.Max {
		c.m = make(map[K]entry[V])
	}
	c.m[k] = entry[V]{v, c.Now()}
}

// Clear forgets everything.
func (c *Map[K, V]) Clear() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}

package cache_test

import (
	"testing"
	"time"

	"github.com/latheml/lathe/internal/cache"
)

func TestMap(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	c := &cache.Map[string, int]{TTL: time.Second, Max: 2, Now: func() time.Time { return now }}
	if _, ok := c.Get("a"); ok {
		t.Fatal("empty cache hit")
	}
	c.Put("a", 1)
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Fatalf("Get = %d, %v", v, ok)
	}
	now = now.Add(time.Second)
	if _, ok := c.Get("a"); ok {
		t.Fatal("expired entry served")
	}
	c.Put("a", 1)
	c.Put("b", 2)
	c.Put("c", 3) // full: starts over
	if _, ok := c.Get("a"); ok {
		t.Fatal("entry survived a reset at the size bound")
	}
	if v, ok := c.Get("c"); !ok || v != 3 {
		t.Fatal("newest entry lost")
	}
	c.Clear()
	if _, ok := c.Get("c"); ok {
		t.Fatal("Clear kept an entry")
	}
}

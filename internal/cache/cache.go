// Package cache keeps the per-key state that a long-lived clients object
// shares between the clients it builds: access tokens per credential, pacers
// per account. It is bounded: it holds at most a fixed number of entries and
// drops the least recently used one beyond that, and whenever a new key
// comes in it first drops the entries that say they are idle (an expired
// token, a pacer nobody used for an hour), oldest first.
//
// A client keeps the entry it got for its whole life (one run): an entry
// dropped meanwhile is only made anew for the next client.
package cache

import (
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// Cache is safe for concurrent use.
type Cache[K comparable, V any] struct {
	mu   sync.Mutex
	lru  *simplelru.LRU[K, V]
	idle func(V) bool
}

// New returns a cache of at most size entries (at least 1); idle says
// whether an entry may be dropped.
func New[K comparable, V any](size int, idle func(V) bool) *Cache[K, V] {
	l, err := simplelru.NewLRU[K, V](max(size, 1), nil)
	if err != nil {
		panic(err) // only for a size below 1, ruled out above
	}
	return &Cache[K, V]{lru: l, idle: idle}
}

// Get returns key's entry, made by create when there is none.
func (c *Cache[K, V]) Get(key K, create func() V) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.lru.Get(key); ok {
		return v
	}
	// The least recently used entries are the likeliest to be idle: drop
	// them until one is in use.
	for {
		k, v, ok := c.lru.GetOldest()
		if !ok || !c.idle(v) {
			break
		}
		c.lru.Remove(k)
	}
	v := create()
	c.lru.Add(key, v)
	return v
}

// Len is the number of entries held.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

package cache

import (
	"fmt"
	"testing"
)

type entry struct {
	key  string
	idle bool
}

func TestGetMakesOnceAndKeeps(t *testing.T) {
	c := New[string, *entry](4, func(e *entry) bool { return e.idle })
	made := 0
	mk := func(k string) func() *entry { return func() *entry { made++; return &entry{key: k} } }
	a := c.Get("a", mk("a"))
	if b := c.Get("a", mk("a")); b != a || made != 1 {
		t.Fatalf("second Get made a new entry (%d made)", made)
	}
}

// TestBounded: however many keys come, the cache holds at most its size,
// dropping the least recently used entry.
func TestBounded(t *testing.T) {
	c := New[string, *entry](3, func(e *entry) bool { return e.idle })
	for i := range 100 {
		c.Get(fmt.Sprint(i), func() *entry { return &entry{} })
	}
	if c.Len() != 3 {
		t.Fatalf("Len = %d, want 3", c.Len())
	}
	made := false
	c.Get("99", func() *entry { made = true; return &entry{} })
	if made {
		t.Fatal("the most recent entry was dropped")
	}
}

// TestIdleDropped: a new key drops the idle entries at the old end, and an
// entry in use stops the sweep (it is dropped later, once idle and oldest).
func TestIdleDropped(t *testing.T) {
	c := New[string, *entry](10, func(e *entry) bool { return e.idle })
	a := c.Get("a", func() *entry { return &entry{} })
	b := c.Get("b", func() *entry { return &entry{} })
	c.Get("c", func() *entry { return &entry{} })
	a.idle, b.idle = true, true
	c.Get("d", func() *entry { return &entry{} })
	if c.Len() != 2 {
		t.Fatalf("Len = %d, want 2 (a and b dropped as idle)", c.Len())
	}
	c.Get("c", nil) // c is now the most recently used; d the oldest
	d := c.Get("d", nil)
	d.idle = true
	c.Get("e", func() *entry { return &entry{} })
	if c.Len() != 3 {
		t.Fatalf("Len = %d, want 3: d is idle but was used after c", c.Len())
	}
}

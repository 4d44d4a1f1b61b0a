package http

import (
	"context"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// pageTTL is how long a page's data is reused. The pollers write once per interval (a
// second at the shortest), so viewers of the same page within this moment share one set
// of queries, and a crowd of open dashboards costs Postgres one read per page per second.
const pageTTL = time.Second

// pageCache keeps the data of pages for pageTTL, keyed by everything that selects it (the
// clusters the viewer may see included). Concurrent misses of one key run one load.
type pageCache struct {
	mu      sync.Mutex
	entries map[string]pageEntry
	flight  singleflight.Group
}

type pageEntry struct {
	v  any
	at time.Time
}

// maxPageEntries bounds the cache; expired entries are dropped when it is reached.
const maxPageEntries = 2000

// get returns the value stored under key if it is fresh, or loads, stores and returns it.
func get[T any](c *pageCache, key string, load func() (T, error)) (T, error) {
	now := time.Now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < pageTTL {
		return e.v.(T), nil
	}
	v, err, _ := c.flight.Do(key, func() (any, error) {
		v, err := load()
		if err != nil {
			return v, err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.entries == nil || len(c.entries) >= maxPageEntries {
			fresh := map[string]pageEntry{}
			for k, e := range c.entries {
				if time.Since(e.at) < pageTTL {
					fresh[k] = e
				}
			}
			c.entries = fresh
		}
		c.entries[key] = pageEntry{v: v, at: time.Now()}
		return v, nil
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return v.(T), nil
}

// loadContext is the context of a load the cache may share between requests: it keeps the
// request's values but not its cancellation, since other requests may be waiting on it.
func loadContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
}

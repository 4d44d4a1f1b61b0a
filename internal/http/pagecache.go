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

// maxStale is how old a page's data may be and still be served while one request reloads
// it; older data is waited for.
const maxStale = 10 * time.Second

// pageCache keeps the data of pages for pageTTL, keyed by everything that selects it (the
// groups the viewer may see included). Concurrent misses of one key run one load. Once an
// entry expires, the next request reloads it and waits; requests that come meanwhile get
// the expired entry at once, so a crowd of viewers never queues behind a reload.
type pageCache struct {
	mu      sync.Mutex
	entries map[string]pageEntry
	flight  singleflight.Group
}

type pageEntry struct {
	v  any
	at time.Time
	// loading is set while one request reloads the expired entry.
	loading bool
}

// maxPageEntries bounds the cache; expired entries are dropped when it is reached.
const maxPageEntries = 2000

// get returns the value stored under key if it is fresh, or loads, stores and returns it.
func get[T any](c *pageCache, key string, load func() (T, error)) (T, error) {
	now := time.Now()
	c.mu.Lock()
	e, ok := c.entries[key]
	switch age := now.Sub(e.at); {
	case ok && age < pageTTL:
		c.mu.Unlock()
		return e.v.(T), nil
	case ok && e.loading && age < maxStale:
		c.mu.Unlock()
		return e.v.(T), nil
	case ok:
		e.loading = true
		c.entries[key] = e
	}
	c.mu.Unlock()
	v, err, _ := c.flight.Do(key, func() (any, error) {
		v, err := load()
		c.mu.Lock()
		defer c.mu.Unlock()
		if err != nil {
			if e, ok := c.entries[key]; ok {
				e.loading = false // the next request tries again
				c.entries[key] = e
			}
			return v, err
		}
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

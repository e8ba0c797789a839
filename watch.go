package s1crets

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"

	"github.com/s1crets/s1crets/driver"
)

// Watch reads the secret at path and keeps it fresh: onChange is called
// with each new value that a later read, refresh or Update of this client
// brings, as a rotation does. It returns the current value and a function
// that stops the watch.
//
// The watch is driven by the refresh the cache already does: each watched
// secret is reloaded through the load pipeline (so through the disk and
// Redis tiers and the fleet lock) shortly before its entry would expire, by
// a timer of the client, not a polling loop per watcher; watchers of one
// secret share it. onChange runs on a goroutine of the client, one call at
// a time per secret; it must return quickly. Query options (Decrypt,
// VersionStage, ...) apply; KeyPath, Default, NoCache and MaxAge do not.
// Close stops every watch.
func (c *Client) Watch(ctx context.Context, path string, onChange func(Value), opts ...Option) (Value, func(), error) {
	o, err := parseCall(opts)
	switch {
	case err != nil:
	case onChange == nil:
		err = invalidf("Watch needs an onChange function")
	case len(o.keys) > 0 || o.hasDef || o.noCache || o.hasAge:
		err = invalidf("%s does not apply to Watch (look into the value in onChange)", o.perCall)
	default:
		err = c.check(ctx, driver.OpGet, path, &o)
	}
	if err != nil {
		return Value{}, nil, c.fail("watch", path, err)
	}
	k := keyOf(path, o.q)
	v, err := c.loadValue(ctx, k, o.q, false)
	if err != nil {
		return Value{}, nil, c.fail("watch", path, err)
	}
	stop := c.watches.add(c, k, o.q, v, onChange)
	return v, stop, nil
}

// watches are the watched secrets of a client.
type watches struct {
	n  atomic.Int32 // watched keys: a lock-free "none" for every load
	mu sync.Mutex   // guards m and next
	m  map[cacheKey]*watch
	id int
}

type watch struct {
	q     driver.Query
	last  Value // the last value told
	subs  map[int]func(Value)
	timer stopper
	calls sync.Mutex // one onChange round at a time
}

func (ws *watches) add(c *Client, k cacheKey, q driver.Query, v Value, f func(Value)) (stop func()) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.m == nil {
		ws.m = map[cacheKey]*watch{}
	}
	w := ws.m[k]
	if w == nil {
		w = &watch{q: q, last: v, subs: map[int]func(Value){}}
		ws.m[k] = w
		ws.n.Add(1)
		ws.arm(c, k, w)
	}
	ws.id++
	id := ws.id
	w.subs[id] = f
	var once sync.Once
	return func() {
		once.Do(func() {
			ws.mu.Lock()
			defer ws.mu.Unlock()
			delete(w.subs, id)
			if len(w.subs) == 0 && ws.m[k] == w {
				w.timer.Stop()
				delete(ws.m, k)
				ws.n.Add(-1)
			}
		})
	}
}

// arm schedules the next refresh of a watched key, shortly before its
// entry expires. Call with mu held.
func (ws *watches) arm(c *Client, k cacheKey, w *watch) {
	period := c.mem.ttl - max(c.mem.refreshAhead, c.mem.ttl/10)
	w.timer = c.mem.clock.AfterFunc(period, func() {
		ws.mu.Lock()
		if ws.m[k] != w {
			ws.mu.Unlock()
			return
		}
		ws.arm(c, k, w)
		ws.mu.Unlock()
		c.refresh(context.Background(), k, w.q)
	})
}

// notify tells the watchers of k about v when it differs from the last
// value they were told.
func (ws *watches) notify(k cacheKey, v Value) {
	if ws.n.Load() == 0 {
		return
	}
	ws.mu.Lock()
	w := ws.m[k]
	if w == nil || sameValue(w.last, v) {
		ws.mu.Unlock()
		return
	}
	w.last = v
	subs := make([]func(Value), 0, len(w.subs))
	for _, f := range w.subs {
		subs = append(subs, f)
	}
	ws.mu.Unlock()
	w.calls.Lock()
	defer w.calls.Unlock()
	for _, f := range subs {
		f(v)
	}
}

// watched returns the watched keys of path.
func (ws *watches) watched(path string) []cacheKey {
	if ws.n.Load() == 0 {
		return nil
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	var out []cacheKey
	for k := range ws.m {
		if k.path == path {
			out = append(out, k)
		}
	}
	return out
}

// stopAll stops every watch (Close).
func (ws *watches) stopAll() {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for k, w := range ws.m {
		w.timer.Stop()
		delete(ws.m, k)
	}
	ws.n.Store(0)
}

func sameValue(a, b Value) bool {
	if a.IsBinary() != b.IsBinary() {
		return false
	}
	if a.IsBinary() {
		return bytes.Equal(a.Bytes(), b.Bytes())
	}
	return a.Text() == b.Text()
}

// refreshWatched reloads the watched forms of path after an Update or an
// Invalidate, so that their watchers hear of the new value at once.
func (c *Client) refreshWatched(ctx context.Context, path string) {
	for _, k := range c.watches.watched(path) {
		c.refresh(ctx, k, watchQuery(c, k))
	}
}

func watchQuery(c *Client, k cacheKey) driver.Query {
	c.watches.mu.Lock()
	defer c.watches.mu.Unlock()
	if w := c.watches.m[k]; w != nil {
		return w.q
	}
	return defaultQuery
}

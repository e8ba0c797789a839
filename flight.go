package s1crets

import "sync"

// flightKey names one load: what it reads, under which memory generation,
// and whether it may be served from a cache.
type flightKey struct {
	key     cacheKey
	gen     uint64
	list    bool // a listing (GetByPath), not a value
	noCache bool
}

// flight is a load that concurrent readers of one key share: one remote
// call for all of them (what golang.org/x/sync/singleflight does, with a
// typed key and a leader that can take several keys at once, for GetMany).
type flight struct {
	done chan struct{}
	res  loaded
	err  error
}

// flights are the loads in progress of one provider.
type flights struct {
	mu sync.Mutex // guards m
	m  map[flightKey]*flight
}

// join returns the flight of k, and whether the caller started it and so
// must end it.
func (fs *flights) join(k flightKey) (f *flight, leader bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f = fs.m[k]; f != nil {
		return f, false
	}
	if fs.m == nil {
		fs.m = map[flightKey]*flight{}
	}
	f = &flight{done: make(chan struct{})}
	fs.m[k] = f
	return f, true
}

// end records the result of the flight of k and wakes its readers.
func (fs *flights) end(k flightKey, f *flight, res loaded, err error) {
	fs.mu.Lock()
	delete(fs.m, k)
	fs.mu.Unlock()
	f.res, f.err = res, err
	close(f.done)
}

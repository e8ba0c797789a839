package diskcache

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// The size bound. Every Put that creates an entry file appends one byte to
// DIR/counter (O_APPEND, so the appends of all processes add up); the Put
// whose append makes it reach the sweep interval (MaxEntries/16, at least 1)
// claims the counter by renaming it away, and sweeps: it reads every entry,
// removes what is damaged, expired or of an obsolete generation, and then the
// oldest live ones (by write time) down to MaxEntries - interval + 1. The next
// sweep comes after interval more entries created by any process, so the
// bound holds for all the processes that share the directory together, not
// for each. See the package documentation for the slack.

// noteCreated counts one created entry and sweeps when that makes a sweep due.
func (c *Cache) noteCreated(ctx context.Context) {
	n, err := c.bumpCounter()
	if err != nil {
		// No usable counter file (something else in its place): count this
		// process's entries instead, and sweep as often.
		if c.localCreated.Add(1)%int64(c.interval) == 0 {
			once := true
			c.sweepLocked(ctx, func() bool { due := once; once = false; return due })
		}
		return
	}
	if n >= int64(c.interval) {
		c.sweepIfDue(ctx)
	}
}

// bumpCounter appends one byte to the counter file and returns its new size.
func (c *Cache) bumpCounter() (int64, error) {
	f, err := c.root.OpenFile(counterFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE|openNonblock, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if _, err := f.Write([]byte{'+'}); err != nil {
		return 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, errNotEntry
	}
	return fi.Size(), nil
}

// sweepIfDue sweeps while the counter shows a sweep is due. One sweep runs at
// a time in a Cache (a Put that finds one running waits for it, or for its
// ctx, and then looks at the counter again); each sweep claims the counter
// first, so that the entries created during the sweep count towards the next.
func (c *Cache) sweepIfDue(ctx context.Context) {
	c.sweepLocked(ctx, func() bool {
		fi, err := c.root.Lstat(counterFile)
		if err != nil || !fi.Mode().IsRegular() || fi.Size() < int64(c.interval) {
			return false
		}
		claim := tempPrefix + "sweep-" + randomHex(8)
		if c.root.Rename(counterFile, claim) != nil {
			return false // another process claimed it
		}
		c.root.Remove(claim)
		return true
	})
}

// sweepLocked runs sweeps, one at a time in this Cache, while due returns
// true (at most a few in a row).
func (c *Cache) sweepLocked(ctx context.Context, due func() bool) {
	select {
	case c.sweepSem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-c.sweepSem }()
	for range 4 {
		if c.closed.Load() || ctx.Err() != nil || !due() {
			return
		}
		c.sweep(ctx)
	}
}

type liveEntry struct {
	path    string
	fi      fs.FileInfo
	written int64
}

// sweep removes damaged, expired and obsolete entries, stale temporary files
// and empty entry directories, then the oldest entries until at most
// c.max - c.interval + 1 are left, so that the next interval of created
// entries keeps the directory within c.max. Concurrent sweeps of other
// processes are harmless: all they do is remove.
func (c *Cache) sweep(ctx context.Context) {
	subs, err := c.readDirNames(".")
	if err != nil {
		return
	}
	now := c.now().UnixNano()
	g, gerr := c.readToken(globalGenFile)
	var live []liveEntry
	for _, n := range subs {
		if ctx.Err() != nil {
			return // a later Put sweeps again
		}
		switch {
		case strings.HasPrefix(n, tempPrefix):
			c.removeIfStale(n)
		case isHash(n):
			gen, ok := "", false
			if gerr == nil {
				if tok, err := c.readToken(filepath.Join(genDir(g), n)); err == nil {
					gen, ok = g+"/"+tok, true
				}
			}
			live = c.sweepEntryDir(n, gen, ok, now, live)
		}
	}
	if keep := c.max - c.interval + 1; len(live) > keep {
		sort.Slice(live, func(i, j int) bool {
			if live[i].written != live[j].written {
				return live[i].written < live[j].written
			}
			return live[i].path < live[j].path
		})
		for _, le := range live[:len(live)-keep] {
			c.removeIfSame(le.path, le.fi)
		}
	}
	c.sweepGenerations(g, gerr == nil)
}

// sweepEntryDir checks the entries in the directory hn, whose current
// generation is gen (if known), and appends the live ones to live.
func (c *Cache) sweepEntryDir(hn, gen string, genKnown bool, now int64, live []liveEntry) []liveEntry {
	names, err := c.readDirNames(hn)
	if err != nil {
		return live
	}
	kept := 0
	for _, fn := range names {
		p := filepath.Join(hn, fn)
		hv, isEntry := strings.CutSuffix(fn, entrySuffix)
		switch {
		case strings.HasPrefix(fn, tempPrefix):
			if !c.removeIfStale(p) {
				kept++
			}
		case isEntry && isHash(hv):
			raw, fi, err := c.readRegular(p, maxFileSize)
			if err != nil {
				if fi != nil {
					c.removeIfSame(p, fi)
				}
				continue
			}
			e, err := c.unseal(raw, hn, hv)
			if err != nil || c.hash(string(e.name)) != hn || c.hash(string(e.variant)) != hv ||
				!fresh(e.written, e.ttl, now) || genKnown && string(e.gen) != gen {
				c.removeIfSame(p, fi)
				continue
			}
			live = append(live, liveEntry{path: p, fi: fi, written: e.written})
			kept++
		default:
			kept++ // not ours: leave it
		}
	}
	// An empty directory goes, unless it is new: a writer may have just
	// made it, to put its entry in (removing it would only make that writer
	// try again, but a busy directory could make it fail).
	if fi, err := c.root.Lstat(hn); kept == 0 && err == nil && time.Since(fi.ModTime()) > staleDirAge {
		c.root.Remove(hn) // fails harmlessly if a writer just put a file there
	}
	return live
}

// sweepGenerations removes the generations of obsolete global generations
// and stale temporary files among the current ones. When the names'
// generation files of the current global generation outnumber MaxEntries
// (one is left by every name ever deleted), it starts a new global
// generation, which makes them all obsolete; that costs every entry.
func (c *Cache) sweepGenerations(g string, ok bool) {
	if ok {
		d := genDir(g)
		if names, err := c.readDirNames(d); err == nil {
			tokens := 0
			for _, n := range names {
				if strings.HasPrefix(n, tempPrefix) {
					c.removeIfStale(filepath.Join(d, n))
				} else {
					tokens++
				}
			}
			if tokens > c.max {
				c.newGlobalGen()
			}
		}
	}
	c.gcGenerations()
}

// removeIfStale removes the temporary file p if it is old enough to be the
// leftover of a crashed writer, and reports whether it did.
func (c *Cache) removeIfStale(p string) bool {
	fi, err := c.root.Lstat(p)
	if err != nil || time.Since(fi.ModTime()) <= staleTempAge {
		return false
	}
	c.removeIfSame(p, fi)
	return true
}

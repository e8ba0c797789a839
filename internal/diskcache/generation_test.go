package diskcache

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s1crets/s1crets/driver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// invalidations are the two ways to start a new generation of "/n": Delete
// of the name and Purge of the whole cache.
var invalidations = []struct {
	name string
	run  func(c *Cache) error
}{
	{"Delete", func(c *Cache) error { return c.Delete(bg, "/n") }},
	{"Purge", func(c *Cache) error { return c.Purge(bg) }},
}

// pairs are a reader and an invalidator: one Cache, or two Caches on one
// directory (two processes, as far as the cache can tell).
func pairs(t *testing.T, key []byte) map[string][2]*Cache {
	dir := t.TempDir()
	one := openT(t, dir, Options{Key: key})
	dir2 := t.TempDir()
	return map[string][2]*Cache{
		"one cache":  {one, one},
		"two caches": {openT(t, dir2, Options{Key: key}), openT(t, dir2, Options{Key: key})},
	}
}

// Contract point 2: a fetch that read its Stamp before a Delete or Purge
// does not put its older value back when its Put comes after it. This is
// the interleaving Stamp -> Delete -> Put(old stamp) -> Get.
func TestGenerationPutAfterInvalidation(t *testing.T) {
	for _, m := range modes {
		for _, inv := range invalidations {
			for pair, cs := range pairs(t, m.key) {
				reader, other := cs[0], cs[1]
				t.Run(m.name+"/"+inv.name+"/"+pair, func(t *testing.T) {
					require.NoError(t, put(bg, reader, "/n", "v", []byte("old"), time.Hour))
					require.NoError(t, other.Purge(bg)) // start from no entry
					_, st, hit := reader.Get(bg, "/n", "v")
					require.False(t, hit)
					require.True(t, st.OK)
					assert.Equal(t, reader.Stamp(bg, "/n"), st, "a miss returns the current Stamp")

					// The fetch takes a while; meanwhile an Update invalidates.
					require.NoError(t, inv.run(other))
					assert.NotEqual(t, st, other.Stamp(bg, "/n"), "a new generation")
					assert.NotEqual(t, st, reader.Stamp(bg, "/n"), "seen by every Cache on the directory")

					require.NoError(t, reader.Put(bg, "/n", "v", []byte("old"), time.Hour, st))
					for _, c := range cs {
						got, _, hit := c.Get(bg, "/n", "v")
						assert.False(t, hit, "the older value came back: %q", got)
					}

					// A fetch that starts now writes, and is read, as usual.
					_, st, hit = other.Get(bg, "/n", "v")
					require.False(t, hit)
					require.NoError(t, other.Put(bg, "/n", "v", []byte("new"), time.Hour, st))
					for _, c := range cs {
						got, st2, hit := c.Get(bg, "/n", "v")
						assert.True(t, hit)
						assert.Equal(t, "new", string(got))
						assert.Equal(t, st, st2)
					}
				})
			}
		}
	}
}

// The same, when the Put has already checked its Stamp and the Delete or
// Purge comes before its rename: the file lands, written under the older
// generation, and must never be returned.
func TestGenerationWriteLandsAfterInvalidation(t *testing.T) {
	for _, m := range modes {
		for _, inv := range invalidations {
			for pair, cs := range pairs(t, m.key) {
				reader, other := cs[0], cs[1]
				t.Run(m.name+"/"+inv.name+"/"+pair, func(t *testing.T) {
					st := reader.Stamp(bg, "/n")
					require.True(t, st.OK)
					ran := false
					testHookTempCreated = func(string) {
						if !ran {
							ran = true
							require.NoError(t, inv.run(other))
						}
					}
					err := reader.Put(bg, "/n", "v", []byte("old"), time.Hour, st)
					testHookTempCreated = nil
					require.NoError(t, err)
					require.True(t, ran)
					p := entryPath(reader, "/n", "v")
					require.FileExists(t, p, "the write landed after the invalidation")

					for _, c := range cs {
						got, st2, hit := c.Get(bg, "/n", "v")
						assert.False(t, hit, "the older value came back: %q", got)
						assert.True(t, st2.OK)
						assert.NotEqual(t, st, st2)
					}
					assert.NoFileExists(t, p, "an entry of an obsolete generation is removed when met")
				})
			}
		}
	}
}

// A Delete that races with a Purge is redone under the Purge's generation:
// a Stamp read between the two is obsolete once the Delete returns, whether
// the Purge comes while the Delete writes the name's token (and removes the
// directory it writes in) or just after.
func TestGenerationDeleteRacingPurge(t *testing.T) {
	for _, when := range []string{"during", "after"} {
		for pair, cs := range pairs(t, nil) {
			reader, other := cs[0], cs[1]
			t.Run(when+"/"+pair, func(t *testing.T) {
				var between driver.Stamp
				ran := false
				purge := func() {
					if !ran {
						ran = true
						require.NoError(t, reader.Purge(bg))
						between = reader.Stamp(bg, "/n")
					}
				}
				if when == "during" {
					testHookTempCreated = func(string) { purge() }
				} else {
					testHookNameGenWritten = purge
				}
				err := other.Delete(bg, "/n")
				testHookTempCreated, testHookNameGenWritten = nil, nil
				require.NoError(t, err)
				require.True(t, ran)
				require.True(t, between.OK)

				require.NoError(t, reader.Put(bg, "/n", "v", []byte("old"), time.Hour, between))
				got, _, hit := reader.Get(bg, "/n", "v")
				assert.False(t, hit, "a value fetched before the Delete returned came back: %q", got)
			})
		}
	}
}

// Get, Stamp and Put on one name leave other names alone; every variant of
// a deleted name goes.
func TestGenerationPerName(t *testing.T) {
	c := openT(t, t.TempDir(), Options{})
	for _, n := range []string{"/a", "/b"} {
		for _, v := range []string{"", "x"} {
			require.NoError(t, put(bg, c, n, v, []byte(n+v), time.Hour))
		}
	}
	sa, sb := c.Stamp(bg, "/a"), c.Stamp(bg, "/b")
	require.NoError(t, c.Delete(bg, "/a"))
	assert.NotEqual(t, sa, c.Stamp(bg, "/a"))
	assert.Equal(t, sb, c.Stamp(bg, "/b"))
	for _, v := range []string{"", "x"} {
		_, ok := get(bg, c, "/a", v)
		assert.False(t, ok)
		got, ok := get(bg, c, "/b", v)
		assert.True(t, ok)
		assert.Equal(t, "/b"+v, string(got))
	}
	// An entry written under an obsolete Stamp of /a does not land at all.
	require.NoError(t, c.Put(bg, "/a", "", []byte("old"), time.Hour, sa))
	assert.NoFileExists(t, entryPath(c, "/a", ""))
}

// Contract: a Put under a Stamp that is not OK writes nothing, and a Stamp
// is not OK when the generations cannot be read (here: a directory where the
// global generation file belongs, which cannot be replaced either).
func TestStampNotOK(t *testing.T) {
	c := openT(t, t.TempDir(), Options{})
	require.NoError(t, c.Put(bg, "/n", "", []byte("x"), time.Hour, driver.Stamp{}))
	assert.Empty(t, entryFiles(t, c.Dir()), "a Put under a Stamp that is not OK wrote")

	require.NoError(t, put(bg, c, "/n", "", []byte("x"), time.Hour))
	require.NoError(t, os.MkdirAll(filepath.Join(c.Dir(), globalGenFile, "sub"), 0o700))
	st := c.Stamp(bg, "/n")
	assert.False(t, st.OK)
	_, st, hit := c.Get(bg, "/n", "")
	assert.False(t, hit, "an entry whose generation cannot be checked is a miss")
	assert.False(t, st.OK)
	assert.Error(t, c.Delete(bg, "/n"), "a Delete that cannot start a generation says so")
	assert.Error(t, c.Purge(bg))

	require.NoError(t, os.RemoveAll(filepath.Join(c.Dir(), globalGenFile)))
	assert.True(t, c.Stamp(bg, "/n").OK, "a missing generation file is the empty generation")
}

// A damaged generation file (a crash while writing it, or anything else in
// its place) is replaced by a new generation: entries written before are
// misses, and the cache works on.
func TestDamagedGenerationFile(t *testing.T) {
	for _, which := range []string{"global", "name"} {
		t.Run(which, func(t *testing.T) {
			c := openT(t, t.TempDir(), Options{})
			require.NoError(t, c.Purge(bg))        // creates the global generation file
			require.NoError(t, c.Delete(bg, "/n")) // and the name's
			require.NoError(t, put(bg, c, "/n", "", []byte("x"), time.Hour))
			before := c.Stamp(bg, "/n")
			p := filepath.Join(c.Dir(), globalGenFile)
			if which == "name" {
				g, err := c.readToken(globalGenFile)
				require.NoError(t, err)
				p = filepath.Join(c.Dir(), genDir(g), c.hash("/n"))
			}
			require.FileExists(t, p)
			for _, bad := range [][]byte{nil, []byte("short"), []byte(strings.Repeat("z", tokenSize)), []byte(strings.Repeat("a", tokenSize+1))} {
				require.NoError(t, os.WriteFile(p, bad, 0o600))
				_, st, hit := c.Get(bg, "/n", "")
				assert.False(t, hit)
				require.True(t, st.OK, "a damaged generation file is replaced")
				assert.NotEqual(t, before, st)
				require.NoError(t, c.Put(bg, "/n", "", []byte("y"), time.Hour, st))
				got, ok := get(bg, c, "/n", "")
				assert.True(t, ok)
				assert.Equal(t, "y", string(got))
				before = st
			}
		})
	}
}

// The generation files of deleted names do not pile up: a Purge makes them
// obsolete and removes them, and a sweep starts a new global generation when
// they outnumber MaxEntries.
func TestGenerationFilesBounded(t *testing.T) {
	genFiles := func(c *Cache) int {
		n := 0
		filepath.WalkDir(filepath.Join(c.Dir(), genDirName), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				n++
			}
			return nil
		})
		return n
	}
	c := openT(t, t.TempDir(), Options{MaxEntries: 32})
	for i := range 10 {
		require.NoError(t, c.Delete(bg, fmt.Sprint("/d/", i)))
	}
	assert.Equal(t, 10, genFiles(c))
	require.NoError(t, c.Purge(bg))
	assert.Zero(t, genFiles(c))

	for i := range 100 {
		require.NoError(t, c.Delete(bg, fmt.Sprint("/d/", i)))
		require.NoError(t, put(bg, c, fmt.Sprint("/d/", i), "", []byte("x"), time.Hour))
		assert.LessOrEqual(t, genFiles(c), 32+c.interval, "after %d", i)
	}
	// What is cached after all that is still served.
	got, ok := get(bg, c, "/d/99", "")
	assert.True(t, ok)
	assert.Equal(t, "x", string(got))
}

//go:build unix

package diskcache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withUmask runs f under umask 0, so that a mode wider than 0700/0600 given
// at creation would show: the modes must not depend on the umask narrowing
// them. (The umask is process-wide; no test of this package is parallel.)
func withUmask0(t *testing.T, f func()) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	f()
}

// Requirement 3: Open creates the directory and its missing parents 0700.
func TestOpenCreatesPrivateDirs(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "a", "b", "cache")
	withUmask0(t, func() {
		openT(t, dir, Options{})
	})
	for _, p := range []string{filepath.Join(base, "a"), filepath.Join(base, "a", "b"), dir} {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o700), fi.Mode().Perm(), p)
	}
}

// Requirement 3: entry directories are 0700 and files 0600, from the moment
// they exist (the temporary file is checked before anything is written).
func TestFileModes(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			c := openT(t, t.TempDir(), Options{Key: m.key})
			seen := 0
			testHookTempCreated = func(name string) {
				seen++
				fi, err := os.Stat(name)
				if assert.NoError(t, err) {
					assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm(), "temporary file mode at creation")
					assert.Zero(t, fi.Size())
				}
				fi, err = os.Stat(filepath.Dir(name))
				if assert.NoError(t, err) {
					assert.Equal(t, fs.FileMode(0o700), fi.Mode().Perm(), "entry directory mode")
				}
			}
			defer func() { testHookTempCreated = nil }()
			withUmask0(t, func() {
				for i := range 5 {
					for _, v := range []string{"", "x"} {
						require.NoError(t, put(bg, c, fmt.Sprint("/n/", i), v, []byte("value"), time.Hour))
					}
				}
				// A new generation file, and its directories.
				require.NoError(t, c.Delete(bg, "/n/0"))
				for _, v := range []string{"", "x"} {
					require.NoError(t, put(bg, c, "/n/0", v, []byte("value"), time.Hour))
				}
			})
			assert.Equal(t, 13, seen, "10 entries, 1 generation, 2 entries again")
			files := 0
			err := filepath.WalkDir(c.Dir(), func(p string, d fs.DirEntry, err error) error {
				require.NoError(t, err)
				fi, err := d.Info()
				require.NoError(t, err)
				if d.IsDir() {
					if p != c.Dir() {
						assert.Equal(t, fs.FileMode(0o700), fi.Mode().Perm(), p)
					}
				} else {
					if strings.HasSuffix(p, entrySuffix) {
						files++
					}
					assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm(), p)
					assert.False(t, strings.HasPrefix(d.Name(), tempPrefix), "temporary file left: %s", p)
				}
				return nil
			})
			require.NoError(t, err)
			assert.Equal(t, 10, files)
		})
	}
}

// Requirement 3: a directory that group or others can write is refused, with
// the fix in the message; a private one (even world-readable) is accepted.
func TestOpenRefusesWritableDir(t *testing.T) {
	for _, perm := range []fs.FileMode{0o777, 0o770, 0o730, 0o703, 0o777 | fs.ModeSticky} {
		t.Run(perm.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "shared cache")
			require.NoError(t, os.Mkdir(dir, 0o700))
			require.NoError(t, os.Chmod(dir, perm))
			_, err := Open(dir, Options{})
			require.Error(t, err)
			msg := err.Error()
			assert.Contains(t, msg, "writable by")
			assert.Contains(t, msg, "chmod 700 '"+dir+"'")

			require.NoError(t, os.Chmod(dir, 0o700))
			_, err = Open(dir, Options{})
			assert.NoError(t, err)
		})
	}
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o755))
	_, err := Open(dir, Options{})
	assert.NoError(t, err, "readable by others is allowed: entries are in 0700 directories")
}

// Requirement 3: a directory owned by another user is refused.
func TestOpenRefusesForeignOwner(t *testing.T) {
	dir := "/" // owned by root: foreign unless we are root
	if os.Geteuid() == 0 {
		dir = filepath.Join(t.TempDir(), "theirs")
		require.NoError(t, os.Mkdir(dir, 0o700))
		require.NoError(t, os.Chown(dir, 65534, 65534))
	} else if fi, err := os.Stat(dir); err != nil || fi.Sys().(*syscall.Stat_t).Uid == uint32(os.Geteuid()) {
		t.Skip("no directory owned by another user to test with")
	}
	_, err := Open(dir, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not by the current user")
	assert.Contains(t, err.Error(), "owned by uid")
}

func TestShellQuote(t *testing.T) {
	assert.Equal(t, "/home/u/.cache/s1crets", shellQuote("/home/u/.cache/s1crets"))
	assert.Equal(t, "'/a b'", shellQuote("/a b"))
	assert.Equal(t, `'/it'\''s'`, shellQuote("/it's"))
}

// canChown reports whether this process can give a directory to another user
// (it runs as root), to simulate another user's directory.
func canChown(t *testing.T) bool {
	dir := t.TempDir()
	return os.Chown(dir, 12345, 12345) == nil
}

// Hardening 1: Open checks every ancestor of the cache directory, not only
// the last one: one that others can write to without the sticky bit, or that
// another user (not root) owns, would let them rename the cache directory
// away and put one of their own, with planted entries, in its place.
func TestOpenChecksAncestors(t *testing.T) {
	type setup struct {
		mode  fs.FileMode // of the ancestor
		owner int         // -1: unchanged
	}
	cases := []struct {
		name   string
		parent setup // the cache directory's parent
		grand  setup // and its parent
		ok     bool
		msg    string
	}{
		{"private parents", setup{0o700, -1}, setup{0o755, -1}, true, ""},
		{"world-writable parent", setup{0o777, -1}, setup{0o700, -1}, false, "without the sticky bit"},
		{"group-writable parent", setup{0o770, -1}, setup{0o700, -1}, false, "writable by its group"},
		{"others-writable parent", setup{0o703, -1}, setup{0o700, -1}, false, "writable by all users"},
		{"sticky world-writable parent, like /tmp", setup{0o777 | fs.ModeSticky, -1}, setup{0o755, -1}, true, ""},
		{"world-writable grandparent", setup{0o700, -1}, setup{0o777, -1}, false, "without the sticky bit"},
		{"parent of another user", setup{0o755, 12345}, setup{0o755, -1}, false, "owned by uid 12345"},
		{"sticky parent of another user", setup{0o777 | fs.ModeSticky, 12345}, setup{0o755, -1}, false, "owned by uid 12345"},
		{"grandparent of another user", setup{0o755, -1}, setup{0o755, 12345}, false, "owned by uid 12345"},
	}
	chown := canChown(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if (tc.parent.owner >= 0 || tc.grand.owner >= 0) && !chown {
				t.Skip("cannot give a directory to another user (not root)")
			}
			grand := filepath.Join(t.TempDir(), "grand")
			parent := filepath.Join(grand, "parent")
			dir := filepath.Join(parent, "cache")
			require.NoError(t, os.MkdirAll(parent, 0o700))
			for _, d := range []struct {
				path string
				s    setup
			}{{parent, tc.parent}, {grand, tc.grand}} {
				require.NoError(t, os.Chmod(d.path, d.s.mode))
				if d.s.owner >= 0 {
					require.NoError(t, os.Chown(d.path, d.s.owner, d.s.owner))
				}
			}
			c, err := Open(dir, Options{})
			if tc.ok {
				require.NoError(t, err)
				c.Close()
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
			assert.Contains(t, err.Error(), "a parent of the cache directory")
			assert.NoDirExists(t, dir, "nothing is created under an unsafe parent")

			// Through a symbolic link, the directory that it leads to is checked.
			link := filepath.Join(t.TempDir(), "link")
			require.NoError(t, os.Symlink(parent, link))
			_, err = Open(filepath.Join(link, "cache"), Options{})
			assert.ErrorContains(t, err, tc.msg)
		})
	}
}

// Hardening 1: after Open, the Cache keeps using the directory it opened and
// checked. Renaming it away and putting another directory, with an entry
// planted by someone else, at its path changes nothing: Get does not return
// the planted entry, and Puts go on into the original directory.
func TestSwappedDirectoryIsNotFollowed(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			base := t.TempDir()
			dir := filepath.Join(base, "cache")
			c := openT(t, dir, Options{Key: m.key})
			require.NoError(t, put(bg, c, "/kept", "v", []byte("original"), time.Hour))

			moved := filepath.Join(base, "moved")
			require.NoError(t, os.Rename(dir, moved))
			planter := openT(t, dir, Options{Key: m.key}) // a new directory at the old path
			for _, n := range []string{"/kept", "/planted"} {
				require.NoError(t, put(bg, planter, n, "v", []byte("PLANTED"), time.Hour))
			}
			require.FileExists(t, entryPath(planter, "/planted", "v"))

			got, ok := get(bg, c, "/kept", "v")
			assert.True(t, ok)
			assert.Equal(t, "original", string(got))
			got, ok = get(bg, c, "/planted", "v")
			assert.False(t, ok, "the planted entry was returned: %q", got)

			require.NoError(t, put(bg, c, "/new", "v", []byte("new"), time.Hour))
			assert.NoFileExists(t, filepath.Join(dir, c.hash("/new"), c.hash("v")+entrySuffix))
			assert.FileExists(t, filepath.Join(moved, c.hash("/new"), c.hash("v")+entrySuffix))
			require.NoError(t, c.Delete(bg, "/kept"))
			got, ok = get(bg, planter, "/kept", "v")
			assert.True(t, ok, "a Delete reached the other directory")
			assert.Equal(t, "PLANTED", string(got))
		})
	}
}

// A symbolic link inside the cache directory does not lead out of it: an
// entry file linked to a file elsewhere is not read.
func TestSymlinkOutIsAMiss(t *testing.T) {
	c := openT(t, t.TempDir(), Options{})
	other := openT(t, t.TempDir(), Options{})
	require.NoError(t, put(bg, other, "/n", "v", []byte("outside"), time.Hour))
	p := entryPath(c, "/n", "v")
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
	require.NoError(t, os.Symlink(entryPath(other, "/n", "v"), p))
	got, ok := get(bg, c, "/n", "v")
	assert.False(t, ok, "read through a link out of the directory: %q", got)
}

// noHang runs f and fails the test if it does not return within a generous
// time: a hang detector, not a performance bound.
func noHang(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s hangs", what)
	}
}

// Hardening 2: a FIFO in the place of an entry, a generation file or the
// counter is a miss (or an error), never a hang: files are opened with
// O_NONBLOCK and must be regular files.
func TestFIFOIsNotAHang(t *testing.T) {
	for _, where := range []string{"entry", "global generation", "name generation", "counter"} {
		t.Run(where, func(t *testing.T) {
			c := openT(t, t.TempDir(), Options{MaxEntries: 1})
			require.NoError(t, c.Purge(bg))
			require.NoError(t, c.Delete(bg, "/n"))
			require.NoError(t, put(bg, c, "/n", "v", []byte("x"), time.Hour))
			var p string
			switch where {
			case "entry":
				p = entryPath(c, "/n", "v")
			case "global generation":
				p = filepath.Join(c.Dir(), globalGenFile)
			case "name generation":
				g, err := c.readToken(globalGenFile)
				require.NoError(t, err)
				p = filepath.Join(c.Dir(), genDir(g), c.hash("/n"))
			case "counter":
				p = filepath.Join(c.Dir(), counterFile)
			}
			if err := os.Remove(p); !errors.Is(err, fs.ErrNotExist) { // the counter is gone after a sweep
				require.NoError(t, err)
			}
			require.NoError(t, syscall.Mkfifo(p, 0o600))

			noHang(t, "Get", func() {
				_, _, hit := c.Get(bg, "/n", "v")
				if where == "entry" {
					assert.False(t, hit)
				}
			})
			noHang(t, "Stamp", func() { c.Stamp(bg, "/n") })
			noHang(t, "Put", func() { put(bg, c, "/m", "v", []byte("y"), time.Hour) })
			noHang(t, "Put (sweep)", func() { put(bg, c, "/o", "v", []byte("z"), time.Hour) })
			noHang(t, "Delete", func() { c.Delete(bg, "/n") })
			noHang(t, "Open", func() {
				if c2, err := Open(c.Dir(), Options{MaxEntries: 1}); err == nil {
					c2.Close()
				}
			})
			noHang(t, "Purge", func() { c.Purge(bg) })
		})
	}
}

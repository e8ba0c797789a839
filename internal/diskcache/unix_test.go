//go:build unix

package diskcache

import (
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

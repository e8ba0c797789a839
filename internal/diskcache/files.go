package diskcache

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// All file operations go through c.root, the cache directory opened at Open:
// a path that is later renamed, removed or replaced changes nothing for this
// Cache, and no symbolic link leads out of the directory.

var errNotEntry = errors.New("diskcache: not a regular file of a plausible size")

// readRegular reads the file at p (relative to the cache directory) whole.
// It opens with O_NONBLOCK, so that a FIFO or a device in the file's place
// cannot block, and refuses anything that is not a regular file of at most
// limit bytes. fi is non-nil when the file was opened: an error with a
// non-nil fi means something is there but it is not a readable file.
func (c *Cache) readRegular(p string, limit int64) (b []byte, fi fs.FileInfo, err error) {
	f, err := c.root.OpenFile(p, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err = f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > limit {
		return nil, fi, errNotEntry
	}
	b = make([]byte, fi.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fi, err
	}
	return b, fi, nil
}

// writeAtomic stores b as the file name in dir through a new temporary file
// (created with O_EXCL and mode 0600) and a rename, so that a reader sees
// the whole old file or the whole new one. created reports that no file was
// at name before.
func (c *Cache) writeAtomic(dir, name string, b []byte) (created bool, err error) {
	tmp := filepath.Join(dir, tempPrefix+randomHex(8))
	f, err := c.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|openNonblock, 0o600)
	if err != nil {
		return false, err
	}
	if testHookTempCreated != nil {
		testHookTempCreated(filepath.Join(c.dir, tmp))
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		c.root.Remove(tmp)
		return false, err
	}
	final := filepath.Join(dir, name)
	_, statErr := c.root.Lstat(final)
	if err := c.root.Rename(tmp, final); err != nil {
		c.root.Remove(tmp)
		return false, err
	}
	return statErr != nil, nil
}

// removeIfSame removes p if it is still the file fi describes, so that an
// entry another process has just renamed into place is not removed instead.
func (c *Cache) removeIfSame(p string, fi fs.FileInfo) {
	if cur, err := c.root.Lstat(p); err == nil && os.SameFile(fi, cur) {
		c.root.Remove(p)
	}
}

// removeAll removes the directory tree at p, retrying when a concurrent
// write adds a file while it is being removed.
func (c *Cache) removeAll(p string) error {
	var err error
	for range putAttempts {
		if err = c.root.RemoveAll(p); err == nil {
			return nil
		}
	}
	return err
}

// readDirNames lists the directory at p, never blocking on a FIFO in its
// place.
func (c *Cache) readDirNames(p string) ([]string, error) {
	f, err := c.root.OpenFile(p, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// randomHex returns 2n random hexadecimal digits.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b)
}

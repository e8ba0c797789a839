package diskcache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// openDir opens the cache directory abs (absolute and clean), creating it and
// its missing parents with mode 0700. It walks from the root of the file
// system one directory at a time, each opened relative to its parent, which
// was checked before (checkDir): every ancestor must be safe from other users
// and the cache directory itself private. Each directory is checked through
// its open handle, and must be the one its name showed before it was opened
// (no symbolic link, no swap in between), so the directory returned is the
// one that was checked, whatever happens to the path afterwards.
func openDir(abs string) (*os.Root, error) {
	real, err := resolveExisting(abs)
	if err != nil {
		return nil, fmt.Errorf("diskcache: cache directory: %w", err)
	}
	top := filepath.VolumeName(real) + string(filepath.Separator)
	var comps []string
	for _, s := range strings.Split(strings.TrimPrefix(real, top), string(filepath.Separator)) {
		if s != "" {
			comps = append(comps, s)
		}
	}
	cur, err := os.OpenRoot(top)
	if err != nil {
		return nil, fmt.Errorf("diskcache: cache directory: %w", err)
	}
	fi, err := cur.Stat(".")
	if err == nil {
		err = checkDir(top, fi, len(comps) == 0)
	}
	path := top
	for i := 0; err == nil && i < len(comps); i++ {
		path = filepath.Join(path, comps[i])
		var next *os.Root
		next, err = openChild(cur, comps[i], path, i == len(comps)-1)
		cur.Close()
		cur = next
	}
	if err != nil {
		if cur != nil {
			cur.Close()
		}
		return nil, err
	}
	return cur, nil
}

// openChild opens the directory name in parent, creating it with mode 0700
// if it is missing, and checks it.
func openChild(parent *os.Root, name, path string, last bool) (*os.Root, error) {
	before, err := parent.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		if err := parent.Mkdir(name, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("diskcache: create the cache directory: %w", err)
		}
		before, err = parent.Lstat(name)
	}
	if err != nil {
		return nil, fmt.Errorf("diskcache: cache directory: %w", err)
	}
	if !before.IsDir() { // a file, a FIFO, or a symbolic link put there since the path was resolved
		return nil, fmt.Errorf("diskcache: cache directory: %s is not a directory", path)
	}
	// Check before opening too: opening a directory that another user
	// controls could block (they could swap it for a FIFO).
	if err := checkDir(path, before, last); err != nil {
		return nil, err
	}
	r, err := parent.OpenRoot(name)
	if err != nil {
		return nil, fmt.Errorf("diskcache: cache directory: %w", err)
	}
	after, err := r.Stat(".")
	if err == nil && !os.SameFile(before, after) {
		err = fmt.Errorf("diskcache: cache directory: %s changed while it was opened", path)
	}
	if err == nil {
		err = checkDir(path, after, last)
	}
	if err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// resolveExisting resolves the symbolic links in the longest existing prefix
// of abs, so that the walk of openDir meets real directories only.
func resolveExisting(abs string) (string, error) {
	p, rest := abs, ""
	for {
		r, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(r, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(p)
		if parent == p {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
}

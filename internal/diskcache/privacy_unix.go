//go:build unix

package diskcache

import (
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
)

// openNonblock makes opening a FIFO or a device return at once instead of
// waiting for a writer; it changes nothing for regular files.
const openNonblock = syscall.O_NONBLOCK

// checkDir checks a directory on the way to the cache directory, from the
// file system's root down. The cache directory itself (last) must be owned
// by the current user and writable by nobody else. An ancestor must be owned
// by the current user or root, and if group or others can write to it, it
// must have the sticky bit (like /tmp), so that no one else can rename,
// remove or replace what is in it: otherwise another user could swap the
// cache directory, or one of its parents, for one of their own and plant
// entries.
func checkDir(dir string, fi fs.FileInfo, last bool) error {
	uid := os.Geteuid()
	perm := fi.Mode().Perm()
	if last {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && int64(st.Uid) != int64(uid) {
			return fmt.Errorf("diskcache: cache directory %s is owned by uid %d, not by the current user (uid %d); "+
				"use a directory of your own, or take it over with: chown %d %s && chmod 700 %s",
				dir, st.Uid, uid, uid, shellQuote(dir), shellQuote(dir))
		}
		if perm&0o022 != 0 {
			return fmt.Errorf("diskcache: cache directory %s is writable by %s (mode %04o), so others could plant or swap entries; "+
				"make it private with: chmod 700 %s", dir, writers(perm), perm, shellQuote(dir))
		}
		return nil
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 && int64(st.Uid) != int64(uid) {
		return fmt.Errorf("diskcache: %s, a parent of the cache directory, is owned by uid %d, neither the current user (uid %d) nor root, "+
			"so that user could swap the cache directory for one of their own; use a cache directory elsewhere",
			dir, st.Uid, uid)
	}
	if perm&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0 {
		return fmt.Errorf("diskcache: %s, a parent of the cache directory, is writable by %s (mode %04o) without the sticky bit, "+
			"so others could swap the cache directory for one of their own; use a cache directory elsewhere, or fix it with: chmod go-w %s",
			dir, writers(perm), perm, shellQuote(dir))
	}
	return nil
}

func writers(perm fs.FileMode) string {
	switch perm & 0o022 {
	case 0o020:
		return "its group"
	case 0o002:
		return "all users"
	default:
		return "its group and all users"
	}
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+,:@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

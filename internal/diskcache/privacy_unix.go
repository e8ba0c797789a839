//go:build unix

package diskcache

import (
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
)

// checkPrivate refuses a cache directory that another user could write to or
// that the current user does not own.
func checkPrivate(dir string, fi fs.FileInfo) error {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if uid := os.Geteuid(); int64(st.Uid) != int64(uid) {
			return fmt.Errorf("diskcache: cache directory %s is owned by uid %d, not by the current user (uid %d); "+
				"use a directory of your own, or take it over with: chown %d %s && chmod 700 %s",
				dir, st.Uid, uid, uid, shellQuote(dir), shellQuote(dir))
		}
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		var who string
		switch perm & 0o022 {
		case 0o020:
			who = "its group"
		case 0o002:
			who = "all users"
		default:
			who = "its group and all users"
		}
		return fmt.Errorf("diskcache: cache directory %s is writable by %s (mode %04o), so others could plant or swap entries; "+
			"make it private with: chmod 700 %s", dir, who, perm, shellQuote(dir))
	}
	return nil
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+,:@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

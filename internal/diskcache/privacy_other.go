//go:build !unix

package diskcache

import "io/fs"

// openNonblock is a Unix flag; elsewhere opening a file does not block on
// its type.
const openNonblock = 0

// checkDir does nothing where Unix owners and modes do not apply (the
// permission bits Go reports on Windows do not describe the ACLs); the cache
// directory's protection is left to the operating system.
func checkDir(dir string, fi fs.FileInfo, last bool) error { return nil }

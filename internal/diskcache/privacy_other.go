//go:build !unix

package diskcache

import "io/fs"

// checkPrivate does nothing where Unix owners and modes do not apply (the
// permission bits Go reports on Windows do not describe the ACLs); the cache
// directory's protection is left to the operating system.
func checkPrivate(dir string, fi fs.FileInfo) error { return nil }

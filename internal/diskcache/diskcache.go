// Package diskcache is the optional on-disk tier of the s1crets cache: a
// directory of small files, one per entry, that outlives the process and is
// shared by every process of the same user on one machine. It plays the part
// of the "cache_on_disk" option of the Python original, which used the
// diskcache module and stored secrets unencrypted.
//
// # Layout
//
// An entry is addressed by a name (an arbitrary string: a secret path with a
// namespace prefix) and a variant (a short string describing the query
// options). Its file is
//
//	DIR/<h(name)>/<h(variant)>.entry
//
// where h is the first 16 bytes of SHA-256, in lowercase hex; with a Key,
// of HMAC-SHA-256 under a key derived from it, so that whoever can list the
// directory cannot confirm a guessed path either, and caches with different
// keys use different files (another key's files are removed by a sweep).
// All variants of a name share one subdirectory, so Delete removes one
// directory. File names are hashes: no name, path or value appears in any
// file name. Temporary files
// (DIR/<h(name)>/.tmp-*) exist only while a write is in progress; ones left by
// a crashed process are removed by a later sweep.
//
// An entry file holds a header (magic "s1dc", format version, write time and
// expiry time in Unix nanoseconds, the three lengths), then the name, the
// variant and the data, then a CRC-32C of all that. A reader verifies the
// magic, the version, the lengths, the checksum, and that the stored name and
// variant are the ones asked for, so a hash collision, a file copied from
// another entry, a foreign file or a damaged file is a miss, never a wrong
// value. Such files, and expired ones, are removed when met, so the next Put
// rewrites them. The expiry is stored in the file, so it holds across
// processes and restarts.
//
// # Atomicity and many processes
//
// Every write goes to a new temporary file in the entry's directory, created
// with O_EXCL and mode 0600, and is then renamed over the entry's file. A
// rename within one directory is atomic on POSIX file systems: a reader that
// opens the entry gets either the whole old file or the whole new one, never
// a mix or a torn write, and a reader that opened the old file keeps reading
// it intact after the rename. That is why no lock (flock, lock file, database)
// is needed: processes never modify a file in place, only replace or remove
// whole files, and when two processes write the same entry at once the last
// rename wins, each file being complete. Removals that race with writes
// (Delete, Purge, expiry, eviction) can only cost a miss. The files are not
// fsynced: after a power failure an entry may be lost or damaged, and a
// damaged entry is detected by its checksum (or authentication tag) and is a
// miss. The cache is meant for local file systems; network file systems may
// not give these guarantees.
//
// # Privacy
//
// Open creates the cache directory (and any missing parents) with mode 0700,
// and every entry directory is created with mode 0700 and every file with
// mode 0600 from the moment it exists: the modes are given to mkdir and open,
// not applied afterwards with chmod, and the umask can only remove bits from
// them, never add any. On Unix, Open refuses a cache directory that is not
// owned by the current (effective) user, or that group or others can write
// to, and says how to fix it. On other systems the directory's access control
// is left to the operating system.
//
// # Encryption
//
// When Options.Key is set, each entry file holds nothing but one AES-256-GCM
// sealed blob (see package seal) of the encoding above; the entry's identity
// (the two hashes of its path) is passed as additional authenticated data, so
// a file copied to another entry's place does not open. A file written with
// another key, or without a key, is a miss and is removed. Without a key the
// cache holds the secrets, and their names, in plain text, protected only by
// the file modes: anyone who can read the user's files (root, backups, a
// stolen disk) can read them.
//
// # Size
//
// The cache keeps at most Options.MaxEntries entries. Each Cache counts the
// entries it creates (starting from the number of entry directories it finds
// at its first write); when the count exceeds the limit it sweeps the
// directory: it removes damaged and expired entries and then the oldest by
// write time until the count is a little (1/16) below the limit, so sweeps
// are rare. The bound is exact for one process; with several processes
// writing at once it can be exceeded by what the others wrote since their
// last sweep, until one of them sweeps.
package diskcache

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/s1crets/s1crets/internal/seal"
)

// DefaultMaxEntries is the entry limit used when Options.MaxEntries is 0.
const DefaultMaxEntries = 10000

const (
	entrySuffix = ".entry"
	tempPrefix  = ".tmp-"
	hashHexLen  = 32 // 16 bytes of SHA-256 in hex

	// maxFileSize bounds what Get reads and Put writes: secrets are small,
	// and a foreign huge file must not make a reader allocate without bound.
	maxFileSize = 64 << 20
	// sealOverhead is the nonce and tag that seal adds (12 + 16 bytes).
	sealOverhead = 28
	// staleTempAge is how old a temporary file must be before a sweep takes
	// it for the leftover of a crashed writer.
	staleTempAge = 10 * time.Minute
	// putAttempts bounds the retries of a write whose directory was removed
	// under it by a concurrent Delete, Purge or sweep.
	putAttempts = 5
)

// testHookTempCreated, when set by a test, is called with the name of each
// temporary file as soon as it is created, before anything is written to it.
var testHookTempCreated func(name string)

// aadPrefix separates the additional authenticated data of this format from
// any other use of the same key.
const aadPrefix = "s1crets/diskcache/v1:"

// Options configures a Cache.
type Options struct {
	// MaxEntries bounds the number of entries; 0 means DefaultMaxEntries,
	// and a negative value is an error. Beyond it, the oldest entries (by
	// write time) are evicted.
	MaxEntries int
	// Key is the 32-byte AES-256 key that entries are sealed with. Nil means
	// entries are stored in plain text; a non-nil key of another length
	// (including an empty one) is an error.
	Key []byte
	// Now returns the current time, for tests; nil means time.Now. It sets
	// the write and expiry times stored in entries and decides expiry.
	Now func() time.Time
}

// A Cache is a directory of cache entries. It is safe for concurrent use by
// many goroutines, and by many processes that open the same directory.
type Cache struct {
	dir    string
	max    int
	sealer *seal.Sealer
	// nameKey keys the hashes in file names when entries are sealed, so
	// that whoever can list the directory cannot confirm a guessed path.
	nameKey []byte
	now     func() time.Time

	mu      sync.Mutex
	counted bool // count has been initialised from the directory
	count   int  // estimate of the number of entries

	sweepMu sync.Mutex
}

// Open opens the cache in dir, creating it (and its missing parents) with mode
// 0700 if it does not exist. On Unix it refuses a directory that is not owned
// by the current user or that is writable by group or others; the error says
// what to change.
func Open(dir string, o Options) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("diskcache: the cache directory path is empty")
	}
	if o.MaxEntries < 0 {
		return nil, fmt.Errorf("diskcache: MaxEntries must not be negative, got %d", o.MaxEntries)
	}
	maxEntries := o.MaxEntries
	if maxEntries == 0 {
		maxEntries = DefaultMaxEntries
	}
	var sealer *seal.Sealer
	var nameKey []byte
	if o.Key != nil {
		s, err := seal.New(o.Key) // its error gives the length, never the key
		if err != nil {
			return nil, fmt.Errorf("diskcache: %w", err)
		}
		sealer = s
		m := hmac.New(sha256.New, o.Key)
		m.Write([]byte("s1crets/diskcache/names"))
		nameKey = m.Sum(nil)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("diskcache: cache directory: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("diskcache: create the cache directory: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("diskcache: cache directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("diskcache: cache directory %s is not a directory", abs)
	}
	if err := checkPrivate(abs, fi); err != nil {
		return nil, err
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &Cache{dir: abs, max: maxEntries, sealer: sealer, nameKey: nameKey, now: now}, nil
}

// Dir returns the cache directory, as an absolute path.
func (c *Cache) Dir() string { return c.dir }

// Get returns the data stored for name and variant. Every problem (no entry,
// an expired, damaged, foreign or undecryptable file, an I/O error, a done
// ctx) is a miss, reported as ok == false. Expired, damaged, foreign and
// undecryptable files are removed, so the next Put rewrites them.
func (c *Cache) Get(ctx context.Context, name, variant string) (data []byte, ok bool) {
	if ctx.Err() != nil {
		return nil, false
	}
	hn, hv := c.hash(name), c.hash(variant)
	p := filepath.Join(c.dir, hn, hv+entrySuffix)
	raw, fi, err := readEntryFile(p)
	if err != nil {
		if fi != nil { // opened, but not a readable entry
			removeIfSame(p, fi)
		}
		return nil, false
	}
	e, err := c.unseal(raw, hn, hv)
	if err != nil || string(e.name) != name || string(e.variant) != variant || c.now().UnixNano() >= e.expires {
		removeIfSame(p, fi)
		return nil, false
	}
	return e.data, true
}

// Put stores data for name and variant, to expire ttl after now. It replaces
// any entry of the same name and variant atomically. ttl must be positive,
// and an entry (name, variant and data) must be smaller than 64 MiB. Errors
// never quote the data or the name.
func (c *Cache) Put(ctx context.Context, name, variant string, data []byte, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ttl <= 0 {
		return fmt.Errorf("diskcache: ttl must be positive, got %v", ttl)
	}
	size := int64(headerSize) + int64(len(name)) + int64(len(variant)) + int64(len(data)) + trailerSize
	if size > maxFileSize-sealOverhead {
		return fmt.Errorf("diskcache: entry of %d bytes is larger than the limit of %d", size, maxFileSize-sealOverhead)
	}
	now := c.now().UnixNano()
	expires := now + int64(ttl)
	if expires < now { // overflow: a ttl beyond the year 2262
		expires = math.MaxInt64
	}
	hn, hv := c.hash(name), c.hash(variant)
	b := encodeEntry(now, expires, name, variant, data)
	if c.sealer != nil {
		sealed := c.sealer.Seal(b, entryAAD(hn, hv))
		clear(b)
		b = sealed
	}
	created, err := c.write(hn, hv, b)
	if err != nil {
		return err
	}
	c.noteWrite(ctx, created)
	return nil
}

// Delete removes every variant of name. Deleting a name that has no entry is
// not an error.
func (c *Cache) Delete(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := removeAll(filepath.Join(c.dir, c.hash(name))); err != nil {
		return fmt.Errorf("diskcache: delete: %w", err)
	}
	return nil
}

// Purge removes every entry. Files in the cache directory that are not
// entries of this package are left alone.
func (c *Cache) Purge(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	names, err := readDirNames(c.dir)
	if err != nil {
		return fmt.Errorf("diskcache: purge: %w", err)
	}
	var first error
	for _, n := range names {
		if !isHash(n) {
			continue
		}
		if err := removeAll(filepath.Join(c.dir, n)); err != nil && first == nil {
			first = fmt.Errorf("diskcache: purge: %w", err)
		}
	}
	c.mu.Lock()
	c.count, c.counted = 0, true
	c.mu.Unlock()
	return first
}

// write stores b as the entry file of (hn, hv) through a temporary file and a
// rename. created reports that no entry file was there before.
func (c *Cache) write(hn, hv string, b []byte) (created bool, err error) {
	sub := filepath.Join(c.dir, hn)
	final := filepath.Join(sub, hv+entrySuffix)
	for attempt := 1; ; attempt++ {
		created, err = c.tryWrite(sub, final, b)
		// ErrNotExist means the entry directory was removed under us by a
		// Delete, Purge or sweep (of this or another process): try again.
		if err == nil || attempt == putAttempts || !errors.Is(err, fs.ErrNotExist) {
			if err != nil {
				err = fmt.Errorf("diskcache: write: %w", err)
			}
			return created, err
		}
	}
}

func (c *Cache) tryWrite(sub, final string, b []byte) (bool, error) {
	if err := os.Mkdir(sub, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		if errors.Is(err, fs.ErrNotExist) {
			// The cache directory itself was removed: recreate it, privately,
			// and let the caller retry.
			if err2 := os.Mkdir(c.dir, 0o700); err2 != nil && !errors.Is(err2, fs.ErrExist) {
				return false, err2
			}
		}
		return false, err
	}
	// CreateTemp opens with O_CREATE|O_EXCL and mode 0600.
	f, err := os.CreateTemp(sub, tempPrefix+"*")
	if err != nil {
		return false, err
	}
	tmp := f.Name()
	if testHookTempCreated != nil {
		testHookTempCreated(tmp)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return false, err
	}
	_, statErr := os.Lstat(final)
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return false, err
	}
	return statErr != nil, nil
}

// noteWrite keeps the entry count and sweeps when it exceeds the limit.
func (c *Cache) noteWrite(ctx context.Context, created bool) {
	c.mu.Lock()
	if !c.counted {
		// First write of this Cache: start from the number of entry
		// directories (cheap: one directory read; usually one entry each).
		if names, err := readDirNames(c.dir); err == nil {
			n := 0
			for _, name := range names {
				if isHash(name) {
					n++
				}
			}
			c.count, c.counted = n, true
		}
	} else if created {
		c.count++
	}
	over := c.count > c.max
	c.mu.Unlock()
	if over {
		c.sweep(ctx)
	}
}

type liveEntry struct {
	path    string
	fi      fs.FileInfo
	written int64
}

// sweep removes damaged and expired entries, stale temporary files and empty
// entry directories, then the oldest entries until their number is at most
// the low-water mark, and resets the count. One sweep runs at a time in a
// process; concurrent sweeps of other processes are harmless.
func (c *Cache) sweep(ctx context.Context) {
	if !c.sweepMu.TryLock() {
		return
	}
	defer c.sweepMu.Unlock()
	subs, err := readDirNames(c.dir)
	if err != nil {
		return
	}
	now := c.now().UnixNano()
	var live []liveEntry
	for _, hn := range subs {
		if ctx.Err() != nil {
			return // the count stays over the limit: a later Put sweeps again
		}
		if !isHash(hn) {
			continue
		}
		sub := filepath.Join(c.dir, hn)
		names, err := readDirNames(sub)
		if err != nil {
			continue
		}
		kept := 0
		for _, fn := range names {
			p := filepath.Join(sub, fn)
			hv, isEntry := strings.CutSuffix(fn, entrySuffix)
			switch {
			case strings.HasPrefix(fn, tempPrefix):
				if fi, err := os.Lstat(p); err == nil && time.Since(fi.ModTime()) > staleTempAge {
					removeIfSame(p, fi)
				} else {
					kept++
				}
			case isEntry && isHash(hv):
				raw, fi, err := readEntryFile(p)
				if err != nil {
					if fi != nil {
						removeIfSame(p, fi)
					}
					continue
				}
				e, err := c.unseal(raw, hn, hv)
				if err != nil || c.hash(string(e.name)) != hn || c.hash(string(e.variant)) != hv || now >= e.expires {
					removeIfSame(p, fi)
					continue
				}
				live = append(live, liveEntry{path: p, fi: fi, written: e.written})
				kept++
			default:
				kept++ // not ours: leave it
			}
		}
		if kept == 0 {
			os.Remove(sub) // fails harmlessly if a writer just put a file there
		}
	}
	low := c.max - c.max/16
	if n := len(live); n > low {
		sort.Slice(live, func(i, j int) bool {
			if live[i].written != live[j].written {
				return live[i].written < live[j].written
			}
			return live[i].path < live[j].path
		})
		for _, le := range live[:n-low] {
			removeIfSame(le.path, le.fi)
		}
		live = live[n-low:]
	}
	c.mu.Lock()
	c.count, c.counted = len(live), true
	c.mu.Unlock()
}

// unseal opens a sealed file (when the cache has a key) and decodes it.
func (c *Cache) unseal(raw []byte, hn, hv string) (entry, error) {
	if c.sealer != nil {
		plain, err := c.sealer.Open(raw, entryAAD(hn, hv))
		if err != nil {
			return entry{}, err
		}
		raw = plain
	}
	return decodeEntry(raw)
}

func entryAAD(hn, hv string) []byte {
	return []byte(aadPrefix + hn + "/" + hv)
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:hashHexLen/2])
}

// hash is the file-name hash of a name or variant: SHA-256, keyed (HMAC)
// when the cache is sealed.
func (c *Cache) hash(s string) string {
	if c.nameKey == nil {
		return hashHex(s)
	}
	m := hmac.New(sha256.New, c.nameKey)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil)[:hashHexLen/2])
}

// isHash reports whether s looks like hashHex output.
func isHash(s string) bool {
	if len(s) != hashHexLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}

var errNotEntry = errors.New("diskcache: not an entry file")

// readEntryFile reads the file at p whole. fi is non-nil when the file was
// opened: an error with a non-nil fi means the file is there but is no entry.
func readEntryFile(p string) (b []byte, fi fs.FileInfo, err error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err = f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxFileSize {
		return nil, fi, errNotEntry
	}
	b = make([]byte, fi.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fi, err
	}
	return b, fi, nil
}

// removeIfSame removes p if it is still the file fi describes, so that an
// entry another process has just renamed into place is not removed instead.
func removeIfSame(p string, fi fs.FileInfo) {
	if cur, err := os.Lstat(p); err == nil && os.SameFile(fi, cur) {
		os.Remove(p)
	}
}

// removeAll removes the directory tree at p, retrying when a concurrent write
// adds a file while it is being removed.
func removeAll(p string) error {
	var err error
	for range putAttempts {
		if err = os.RemoveAll(p); err == nil {
			return nil
		}
	}
	return err
}

func readDirNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

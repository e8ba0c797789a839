// Package diskcache is the optional on-disk tier of the s1crets cache: a
// directory of small files, one per entry, that outlives the process and is
// shared by every process of the same user on one machine. It plays the part
// of the "cache_on_disk" option of the Python original, which used the
// diskcache module and stored secrets unencrypted. A *Cache is a
// driver.Tier.
//
// # Layout
//
// An entry is addressed by a name (an arbitrary string: a secret path with a
// namespace prefix) and a variant (a short string describing the query
// options). The directory holds
//
//	DIR/<h(name)>/<h(variant)>.entry        the entries
//	DIR/generation                          the global generation
//	DIR/generations/<global>/<h(name)>      the generation of each deleted name
//	DIR/counter                             entries created since the last sweep
//
// where h is the first 16 bytes of SHA-256, in lowercase hex; with a Key,
// of HMAC-SHA-256 under a key derived from it, so that whoever can list the
// directory cannot confirm a guessed path either, and caches with different
// keys use different files (another key's files are removed by a sweep).
// All variants of a name share one subdirectory, so Delete removes one
// directory. File names are hashes: no name, path or value appears in any
// file name. Temporary files (.tmp-*) exist only while a write is in
// progress; ones left by a crashed process are removed by a later sweep.
//
// An entry file holds a header (magic "s1dc", format version, write time in
// Unix nanoseconds, time to live, four lengths), then the generation it was
// written under, the name, the variant and the data, then a CRC-32C of all
// that. A reader verifies the magic, the version, the lengths, the checksum,
// and that the stored name and variant are the ones asked for, so a hash
// collision, a file copied from another entry, a foreign file or a damaged
// file is a miss, never a wrong value. Such files, and expired ones, are
// removed when met, so the next Put rewrites them.
//
// # Generations
//
// Delete and Purge must win over a fetch that was in flight when they ran: a
// reader that missed, asked the store, and writes what it got after an Update
// deleted the name would otherwise put the old value back for a whole TTL.
// So every name has a generation, a random token in a file of its own, and
// the cache has a global one; Stamp reads both. Delete writes a new token for
// the name and Purge a new global token (atomically: a temporary file and a
// rename), and both then remove the entry files, as a courtesy. Every entry
// records the Stamp.Gen it was written under, inside the checksummed (and,
// with a Key, authenticated) part; Get returns it only while that is still
// the current generation, and Put writes nothing under a Stamp that is not OK
// or no longer current. Tokens are 128 random bits and never come back, so
// an entry written under an older Stamp is never returned again, even when
// its write lands after the Delete, and in every process that shares the
// directory. A missing generation file is the valid empty generation; one
// that cannot be read makes Stamp not OK, so that nothing is written; a
// damaged one is replaced by a new token (a new generation only invalidates).
// The names' tokens live under the global token, so a Purge makes them all
// obsolete and a sweep removes them; a sweep also starts a new global
// generation when they outnumber MaxEntries.
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
// them, never add any.
//
// On Unix, Open walks from the root of the file system to the cache
// directory one directory at a time, each opened relative to the previous
// one and checked through its handle: every ancestor must be owned by the
// current user or root, and one that group or others can write to must have
// the sticky bit (like /tmp), or another user could rename the cache
// directory away and put one of their own in its place; the cache directory
// must be owned by the current user and writable by nobody else. The errors
// say what to change. Open then keeps the directory open (an os.Root) and
// does every later file operation relative to it, so renaming or replacing
// the path afterwards changes nothing for an open Cache, and no symbolic link
// inside leads out of it. Files are opened with O_NONBLOCK and must be
// regular files: a FIFO or a device in an entry's place is a miss, never a
// hang. On other systems the directory's access control is left to the
// operating system.
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
// stolen disk) can read them. The generation tokens are random and say
// nothing.
//
// # Time
//
// An entry stores its write time and its time to live, and is served only
// while written - 1 minute <= now < written + ttl by the wall clock
// (Options.Now). An entry written more than a minute in the future (the
// minute allows for processes whose clocks differ a little) means the clock
// stepped back: it is a miss and is removed, rather than served until its
// expiry comes round again; and however the clock moves, nothing is served
// once ttl has passed since its write time.
//
// # Size
//
// The directory holds about Options.MaxEntries entries at most, counted
// across all the processes that share it (a count per process let eight
// processes keep eight times the limit). Every Put that creates an entry file
// appends a byte to a counter file that all of them share; after interval =
// MaxEntries/16 (at least 1) created entries, the Put that makes the count
// reach it claims the counter (renames it away) and sweeps: it reads every
// entry, removes damaged, expired and obsolete ones, and then the oldest by
// write time until MaxEntries - interval + 1 are left. So once the Puts of
// all processes have returned, the directory holds at most MaxEntries
// entries, however many processes wrote them. The slack: while Puts run it
// can hold more, by what the processes create while a sweep reads the
// directory (every Put that makes another sweep due runs one, so this stays
// near one interval); a sweep cut short by its Put's ctx leaves up to one
// interval more until the next; and if the counter file cannot be used, each
// process counts its own entries and sweeps as often, so the bound is then
// per process. Open sweeps too when one is due.
//
// # Closing
//
// Close releases the open directory. After Close, Get and Stamp are misses
// (a Stamp that is not OK) and Put, Delete and Purge return ErrClosed.
package diskcache

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/s1crets/s1crets/driver"
	"github.com/s1crets/s1crets/internal/seal"
)

// DefaultMaxEntries is the entry limit used when Options.MaxEntries is 0.
const DefaultMaxEntries = 10000

const (
	entrySuffix = ".entry"
	tempPrefix  = ".tmp-"
	counterFile = "counter"
	hashHexLen  = 32 // 16 bytes of SHA-256 in hex

	// maxFileSize bounds what Get reads and Put writes: secrets are small,
	// and a foreign huge file must not make a reader allocate without bound.
	maxFileSize = 64 << 20
	// sealOverhead is the nonce and tag that seal adds (12 + 16 bytes).
	sealOverhead = 28
	// staleTempAge is how old a temporary file must be before a sweep takes
	// it for the leftover of a crashed writer.
	staleTempAge = 10 * time.Minute
	// staleDirAge is how long an empty entry directory is left alone by a
	// sweep, as one that a writer may have just created.
	staleDirAge = time.Minute
	// putAttempts bounds the retries of a write whose directory was removed
	// under it by a concurrent Delete, Purge or sweep.
	putAttempts = 5
	// maxSkew is how far in the future an entry's write time may be (clocks
	// of processes are not perfectly in step); beyond it the clock stepped
	// back, and the entry is not trusted.
	maxSkew = time.Minute
)

// ErrClosed is returned by the writing methods of a closed Cache.
var ErrClosed = errors.New("diskcache: the cache is closed")

// testHookTempCreated, when set by a test, is called with the path of each
// temporary file as soon as it is created, before anything is written to it.
var testHookTempCreated func(path string)

// aadPrefix separates the additional authenticated data of this format from
// any other use of the same key.
const aadPrefix = "s1crets/diskcache/v2:"

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
	// the write times stored in entries and decides expiry.
	Now func() time.Time
}

// A Cache is a directory of cache entries. It is safe for concurrent use by
// many goroutines, and by many processes that open the same directory.
type Cache struct {
	dir      string
	root     *os.Root // the cache directory, opened once at Open
	max      int
	interval int // created entries between sweeps
	sealer   *seal.Sealer
	// nameKey keys the hashes in file names when entries are sealed, so
	// that whoever can list the directory cannot confirm a guessed path.
	nameKey []byte
	now     func() time.Time

	closed atomic.Bool
	// localCreated counts this process's created entries, for when the
	// shared counter file cannot be used.
	localCreated atomic.Int64
	// sweepSem is held by the one goroutine of this Cache that sweeps.
	sweepSem chan struct{}
}

var _ driver.Tier = (*Cache)(nil)

// Open opens the cache in dir, creating it (and its missing parents) with mode
// 0700 if it does not exist. On Unix it refuses a directory that is not owned
// by the current user or that is writable by group or others, and one with
// an ancestor that another user could change (see the package documentation);
// the error says what to change. The Cache keeps the directory open until
// Close.
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
	root, err := openDir(abs)
	if err != nil {
		return nil, err
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	c := &Cache{
		dir: abs, root: root, max: maxEntries, interval: max(1, maxEntries/16),
		sealer: sealer, nameKey: nameKey, now: now, sweepSem: make(chan struct{}, 1),
	}
	c.sweepIfDue(context.Background())
	return c, nil
}

// Dir returns the cache directory as it was named at Open, as an absolute
// path. The Cache keeps using the directory it opened even if that path is
// later renamed or replaced.
func (c *Cache) Dir() string { return c.dir }

// Close releases the open directory. Later calls are misses or return
// ErrClosed; closing again does nothing.
func (c *Cache) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	return c.root.Close()
}

// Stamp returns the current generations of name, for a later Put of what the
// caller fetches from the store. OK is false when they cannot be read.
func (c *Cache) Stamp(ctx context.Context, name string) driver.Stamp {
	if ctx.Err() != nil {
		return driver.Stamp{}
	}
	return c.stamp(c.hash(name))
}

// Get returns the data stored for name and variant, if it was written under
// the current generations of name. Every problem (no entry, an expired,
// damaged, foreign or undecryptable file, an obsolete generation, an I/O
// error, a done ctx, a closed Cache) is a miss, reported as hit == false;
// st is then the current Stamp of name (not OK if it cannot be read).
// Expired, damaged, foreign, obsolete and undecryptable files are removed,
// so the next Put rewrites them.
func (c *Cache) Get(ctx context.Context, name, variant string) (data []byte, st driver.Stamp, hit bool) {
	if ctx.Err() != nil {
		return nil, driver.Stamp{}, false
	}
	hn, hv := c.hash(name), c.hash(variant)
	st = c.stamp(hn)
	if !st.OK {
		return nil, st, false // the entry's generation cannot be checked
	}
	p := filepath.Join(hn, hv+entrySuffix)
	raw, fi, err := c.readRegular(p, maxFileSize)
	if err != nil {
		if fi != nil { // opened, but not a readable entry
			c.removeIfSame(p, fi)
		}
		return nil, st, false
	}
	e, err := c.unseal(raw, hn, hv)
	if err != nil || string(e.name) != name || string(e.variant) != variant || !fresh(e.written, e.ttl, c.now().UnixNano()) {
		c.removeIfSame(p, fi)
		return nil, st, false
	}
	if string(e.gen) != st.Gen {
		// Written under another generation: an older one (obsolete), or a
		// newer one that a Delete or Purge started after st was read.
		if st = c.stamp(hn); !st.OK {
			return nil, st, false
		}
		if string(e.gen) != st.Gen {
			c.removeIfSame(p, fi)
			return nil, st, false
		}
	}
	return e.data, st, true
}

// Put stores data for name and variant under st, to expire ttl after now. It
// replaces any entry of the same name and variant atomically. It writes
// nothing, and returns nil, when st is not OK or no longer the current
// generation of name (a Delete or Purge ran since it was read). ttl must be
// positive, and an entry must be smaller than 64 MiB. Errors never quote the
// data or the name.
func (c *Cache) Put(ctx context.Context, name, variant string, data []byte, ttl time.Duration, st driver.Stamp) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.closed.Load() {
		return ErrClosed
	}
	if ttl <= 0 {
		return fmt.Errorf("diskcache: ttl must be positive, got %v", ttl)
	}
	size := int64(headerSize) + int64(len(st.Gen)) + int64(len(name)) + int64(len(variant)) + int64(len(data)) + trailerSize
	if size > maxFileSize-sealOverhead {
		return fmt.Errorf("diskcache: entry of %d bytes is larger than the limit of %d", size, maxFileSize-sealOverhead)
	}
	if !st.OK {
		return nil
	}
	hn, hv := c.hash(name), c.hash(variant)
	if cur := c.stamp(hn); !cur.OK || cur.Gen != st.Gen {
		return nil
	}
	b := encodeEntry(c.now().UnixNano(), int64(ttl), st.Gen, name, variant, data)
	if c.sealer != nil {
		sealed := c.sealer.Seal(b, entryAAD(hn, hv))
		clear(b)
		b = sealed
	}
	created, err := c.writeEntry(hn, hv, b)
	clear(b)
	if err != nil {
		return err
	}
	if created {
		c.noteCreated(ctx)
	}
	return nil
}

// Delete starts a new generation of name, so that no entry of any variant of
// name written before (or under a Stamp read before) is returned again, and
// removes the entries. Deleting a name that has no entry is not an error; an
// error means the new generation could not be written.
func (c *Cache) Delete(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.closed.Load() {
		return ErrClosed
	}
	hn := c.hash(name)
	if err := c.newNameGen(hn); err != nil {
		return fmt.Errorf("diskcache: delete: %w", err)
	}
	c.removeAll(hn) // best effort: the generation already hides them
	return nil
}

// Purge starts a new generation of the whole cache, so that no entry written
// before (or under a Stamp read before) is returned again, and removes the
// entries. Files in the cache directory that are not this package's are left
// alone.
func (c *Cache) Purge(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.closed.Load() {
		return ErrClosed
	}
	if err := c.newGlobalGen(); err != nil {
		return fmt.Errorf("diskcache: purge: %w", err)
	}
	// Best effort from here: the new generation already hides everything.
	if names, err := c.readDirNames("."); err == nil {
		for _, n := range names {
			if isHash(n) {
				c.removeAll(n)
			}
		}
	}
	c.gcGenerations()
	c.root.Remove(counterFile)
	return nil
}

// writeEntry stores b as the entry file of (hn, hv). created reports that no
// entry file was there before.
func (c *Cache) writeEntry(hn, hv string, b []byte) (created bool, err error) {
	for attempt := 1; ; attempt++ {
		if err = c.root.Mkdir(hn, 0o700); err == nil || errors.Is(err, os.ErrExist) {
			created, err = c.writeAtomic(hn, hv+entrySuffix, b)
		}
		// ErrNotExist means the entry directory was removed under us by a
		// Delete, Purge or sweep (of this or another process): try again.
		if err == nil || attempt == putAttempts || !errors.Is(err, os.ErrNotExist) {
			if err != nil {
				if c.closed.Load() {
					return false, ErrClosed
				}
				err = fmt.Errorf("diskcache: write: %w", err)
			}
			return created, err
		}
	}
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

package diskcache

import (
	"errors"
	"io/fs"
	"path/filepath"

	"github.com/s1crets/s1crets/driver"
)

// Generations. The global generation is the token in DIR/generation; the
// generation of a name is the token in DIR/generations/<G>/<h(name)>, where
// G is the global token ("0" while there is none). A missing file is the
// empty token, a valid generation. A Stamp's Gen is "<global>/<name>".
//
// Tokens are 128 random bits and are never reused, so a generation never
// comes back: an entry written under an older Stamp can never match again.
// Keeping the names' tokens under the global token's directory means that a
// Purge makes all of them obsolete at once (their directories can be removed
// without any name's generation going back to one already handed out), and
// that a Delete racing with a Purge is redone under the new global token.
const (
	globalGenFile = "generation"
	genDirName    = "generations"
	initialGenDir = "0"
	tokenSize     = hashHexLen // 16 random bytes in hex, so isHash(token)
	// genAttempts bounds the retries of a Delete that keeps meeting a Purge.
	genAttempts = 5
)

// testHookNameGenWritten, when set by a test, is called by newNameGen after
// it wrote a name's token, before it reads the global token again.
var testHookNameGenWritten func()

var errBadToken = errors.New("diskcache: damaged generation file")

// genDir is the directory of the names' generations under global token g.
func genDir(g string) string {
	if g == "" {
		return filepath.Join(genDirName, initialGenDir)
	}
	return filepath.Join(genDirName, g)
}

// readToken returns the token in the file p, "" when it does not exist.
func (c *Cache) readToken(p string) (string, error) {
	b, _, err := c.readRegular(p, tokenSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", nil
	case err != nil && !errors.Is(err, errNotEntry):
		return "", err
	case err != nil || !isHash(string(b)):
		return "", errBadToken
	}
	return string(b), nil
}

// globalGen returns the global token. A damaged generation file (a crash
// while it was written, something else in its place) is replaced by a new
// token: starting a new generation only ever invalidates entries.
func (c *Cache) globalGen() (string, error) {
	g, err := c.readToken(globalGenFile)
	if errors.Is(err, errBadToken) {
		if err = c.newGlobalGen(); err == nil {
			g, err = c.readToken(globalGenFile)
		}
	}
	return g, err
}

// newGlobalGen starts a new global generation.
func (c *Cache) newGlobalGen() error {
	_, err := c.writeAtomic(".", globalGenFile, []byte(randomHex(tokenSize/2)))
	return err
}

// stamp reads the current generations of the name whose hash is hn. OK is
// false when they cannot be read (an I/O error other than a missing file).
func (c *Cache) stamp(hn string) driver.Stamp {
	if c.closed.Load() {
		return driver.Stamp{}
	}
	for range 2 {
		g, err := c.globalGen()
		if err != nil {
			return driver.Stamp{}
		}
		n, err := c.readToken(filepath.Join(genDir(g), hn))
		if errors.Is(err, errBadToken) {
			if c.newNameGen(hn) == nil {
				continue // read both again
			}
		}
		if err != nil {
			return driver.Stamp{}
		}
		return driver.Stamp{Gen: g + "/" + n, OK: true}
	}
	return driver.Stamp{}
}

// newNameGen starts a new generation of the name whose hash is hn: it
// writes a new token under the current global token, and writes it again if
// a Purge changed the global token meanwhile, so that when it returns nil
// the name's current generation is one that no Stamp read before the call
// holds.
func (c *Cache) newNameGen(hn string) error {
	var err error
	for range genAttempts {
		var g, g2 string
		if g, err = c.globalGen(); err != nil {
			return err
		}
		d := genDir(g)
		if err = c.root.MkdirAll(d, 0o700); err != nil {
			return err
		}
		if _, err = c.writeAtomic(d, hn, []byte(randomHex(tokenSize/2))); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // a Purge or a sweep removed d: it is obsolete
			}
			return err
		}
		if testHookNameGenWritten != nil {
			testHookNameGenWritten()
		}
		if g2, err = c.globalGen(); err != nil {
			return err
		}
		if g2 == g {
			return nil
		}
	}
	if err == nil {
		err = errors.New("diskcache: the global generation keeps changing")
	}
	return err
}

// gcGenerations removes the directories of obsolete global generations (and
// with them the names' tokens under them). The directories are listed before
// the global token is read: a directory listed exists because its token was
// current at some time before, so if it is not current now it never will be
// again. That keeps a sweep with an older view from removing the directory of
// a newer generation.
func (c *Cache) gcGenerations() {
	names, err := c.readDirNames(genDirName)
	if err != nil {
		return
	}
	g, err := c.readToken(globalGenFile)
	if err != nil {
		return
	}
	cur := filepath.Base(genDir(g))
	for _, n := range names {
		if n != cur && (isHash(n) || n == initialGenDir) {
			c.root.RemoveAll(filepath.Join(genDirName, n))
		}
	}
}

package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/seal"
)

// The environment variables of the disk cache. Each has a flag that wins
// over it.
const (
	envDiskCache = "S1CRETS_DISK_CACHE" // 1 or true: on; 0, false or empty: off
	envCacheDir  = "S1CRETS_CACHE_DIR"  // an absolute directory: on, there
	envCacheTTL  = "S1CRETS_CACHE_TTL"  // as --cache-ttl
	envCacheKey  = seal.EnvKey          // S1CRETS_CACHE_KEY: 32 bytes, base64
)

// diskHelp are the lines of the disk cache's flags in the help of the
// commands that take them.
const diskHelp = `  --disk-cache            keep what is read in an encrypted cache on disk that later runs
                          read, until --cache-ttl; needs S1CRETS_CACHE_KEY (also
                          S1CRETS_DISK_CACHE=1); see "s1crets help cache"
  --cache-dir DIR         the disk cache in DIR (turns it on; also S1CRETS_CACHE_DIR)
  --cache-ttl D           how long a cached value is used (default 15m; S1CRETS_CACHE_TTL)
`

// cacheHelp is "s1crets help cache".
const cacheHelp = `Disk cache: get, get-by-path, exec and update

By default a run of s1crets keeps nothing: every run asks AWS. With the disk
cache on, what a run reads is kept on disk, encrypted, and the runs that
follow read it from there until it is --cache-ttl old: a script that reads
one secret many times calls AWS for it once. It is off unless turned on:

  --disk-cache            on, in the default directory: $XDG_CACHE_HOME/s1crets,
                          else ~/.cache/s1crets; macOS: ~/Library/Caches/s1crets
  S1CRETS_DISK_CACHE=1    the same from the environment (1 or true; 0, false or
                          empty: off)
  --cache-dir DIR         on, in DIR (a relative DIR is taken from the current
                          directory)
  S1CRETS_CACHE_DIR=DIR   the same from the environment; DIR must be absolute
  --disk-cache=false      off, whatever the environment says
  --cache-ttl D           how long a cached value is used: a Go duration (90s,
                          10m, 1h) or a number of seconds; default 15m
  S1CRETS_CACHE_TTL=D     the same from the environment
Flags win over the environment. Values go in DIR/keys, listings in DIR/paths.

The key. S1CRETS_CACHE_KEY must hold 32 bytes in base64 (standard or URL-safe,
with or without padding); make one with
  export S1CRETS_CACHE_KEY="$(head -c32 /dev/urandom | base64)"
Each entry is sealed with AES-256-GCM and file names are keyed hashes: neither
values nor names can be read on disk. Without the key, or with a malformed
one, s1crets refuses the disk cache (exit 2) and reads nothing: it never
writes a secret to disk unencrypted. An entry written with another key is
a miss: the secret is read from AWS again.

Directories are created 0700 and files 0600; a directory that other users can
write to, or below a parent that they could swap, is refused. Entries are kept
apart by AWS account, principal, region and endpoint: to know them, each run
that uses the cache calls STS GetCallerIdentity once (it needs no IAM
permission), so a run served from disk makes that one AWS call and no other.
update with the disk cache on drops the secret's cached entries, so that the
next get reads the new value; an update made elsewhere shows after at most
--cache-ttl. --verbose says whether each value came from disk or the store.
`

// diskFlags are the flags of the disk cache, and what check made of them
// and of the environment.
type diskFlags struct {
	on     bool   // --disk-cache
	dir    string // --cache-dir
	ttl    timeoutFlag
	config *s1crets.CacheConfig // nil: no disk cache; set by check
}

// bind adds --disk-cache, --cache-dir and --cache-ttl to fs.
func (d *diskFlags) bind(fs *flag.FlagSet) {
	fs.BoolVar(&d.on, "disk-cache", false, "")
	fs.StringVar(&d.dir, "cache-dir", "", "")
	fs.Var(&d.ttl, "cache-ttl", "")
}

// check reads the flags that were set and the environment, and builds the
// cache's configuration when the disk cache is on. Every mistake is a
// usage error, found before any AWS call; none quotes the key.
func (d *diskFlags) check(fs *flag.FlagSet) error {
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })

	on, dir := false, ""
	switch v := os.Getenv(envDiskCache); strings.ToLower(v) {
	case "1", "true":
		on = true
	case "", "0", "false":
	default: // not quoted: it might be anything
		return usagef("%s: want 1 or true (on), 0 or false (off)", envDiskCache)
	}
	if v := os.Getenv(envCacheDir); v != "" {
		if !filepath.IsAbs(v) {
			return usagef("%s: the directory must be an absolute path", envCacheDir)
		}
		on, dir = true, v
	}
	if set["disk-cache"] {
		on = d.on
		if !on {
			dir = ""
		}
	}
	if set["cache-dir"] {
		switch {
		case d.dir == "":
			return usagef("--cache-dir: empty directory")
		case set["disk-cache"] && !d.on:
			return usagef("--cache-dir turns the disk cache on: it cannot go with --disk-cache=false")
		}
		abs, err := filepath.Abs(d.dir)
		if err != nil {
			return usagef("--cache-dir: %v", err)
		}
		on, dir = true, abs
	}
	if !on {
		if set["cache-ttl"] {
			return usagef("--cache-ttl needs the disk cache: --disk-cache, --cache-dir, %s=1 or %s", envDiskCache, envCacheDir)
		}
		return nil
	}

	ttl := s1crets.DefaultCacheTTL
	if v := os.Getenv(envCacheTTL); v != "" && !set["cache-ttl"] {
		t, err := parseTimeout(v)
		if err != nil {
			return usagef("%s: %v", envCacheTTL, err)
		}
		ttl = t
	}
	if set["cache-ttl"] {
		ttl = time.Duration(d.ttl)
	}

	key := os.Getenv(envCacheKey)
	if key == "" {
		return usagef("the disk cache needs an encryption key in %s: 32 random bytes in base64, "+
			`such as export %s="$(head -c32 /dev/urandom | base64)"; secrets are never written to disk unencrypted`,
			envCacheKey, envCacheKey)
	}
	if _, err := seal.ParseKey(key); err != nil { // its errors never quote the key
		return usagef("%s: %s", envCacheKey, strings.TrimPrefix(err.Error(), "seal: "))
	}
	c := s1crets.CacheConfig{OnDisk: true, TTL: ttl, EncryptionKey: s1crets.CacheKey(key)}
	if dir != "" {
		c.KeyCacheDir, c.PathCacheDir = filepath.Join(dir, "keys"), filepath.Join(dir, "paths")
	}
	d.config = &c
	return nil
}

// options are the provider options of the disk cache: none when it is off.
func (d *diskFlags) options() []s1crets.Option {
	if d == nil || d.config == nil {
		return nil
	}
	return []s1crets.Option{s1crets.Cache(*d.config)}
}

package diskcache

import (
	"bytes"
	"testing"
	"time"
)

// A typical secret: about 100 bytes.
var benchValue = bytes.Repeat([]byte("s3cr3t-v4lue"), 9)[:100]

const benchName, benchVariant = "ssm:/prod/service/database/password", "decrypt=true"

// benchGet measures a hit: reading the generations (two small files, one of
// them missing until the name is first deleted) and the entry. The name has
// been deleted once, so that both generation files exist, as for a secret
// that was updated.
func benchGet(b *testing.B, key []byte) {
	c := openT(b, b.TempDir(), Options{Key: key})
	if err := c.Purge(bg); err != nil {
		b.Fatal(err)
	}
	if err := c.Delete(bg, benchName); err != nil {
		b.Fatal(err)
	}
	if err := put(bg, c, benchName, benchVariant, benchValue, time.Hour); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := c.Get(bg, benchName, benchVariant); !ok {
			b.Fatal("miss")
		}
	}
}

// BenchmarkGetPlain measures a disk hit of a 100-byte value in plain text.
func BenchmarkGetPlain(b *testing.B) { benchGet(b, nil) }

// BenchmarkGetEncrypted measures a disk hit of a 100-byte sealed value.
func BenchmarkGetEncrypted(b *testing.B) { benchGet(b, testKey(1)) }

// BenchmarkGetMiss measures a miss: the generations are read (for the Stamp
// it returns) and the entry is not there.
func BenchmarkGetMiss(b *testing.B) {
	c := openT(b, b.TempDir(), Options{})
	b.ReportAllocs()
	for b.Loop() {
		if _, st, ok := c.Get(bg, benchName, benchVariant); ok || !st.OK {
			b.Fatal("hit, or no Stamp")
		}
	}
}

// benchPut measures replacing an entry under a current Stamp: the Stamp is
// checked (the generations read again), then the file is written and renamed.
func benchPut(b *testing.B, key []byte) {
	c := openT(b, b.TempDir(), Options{Key: key})
	st := c.Stamp(bg, benchName)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Put(bg, benchName, benchVariant, benchValue, time.Hour, st); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPut measures replacing a 100-byte plain-text entry.
func BenchmarkPut(b *testing.B) { benchPut(b, nil) }

// BenchmarkPutEncrypted measures replacing a 100-byte sealed entry.
func BenchmarkPutEncrypted(b *testing.B) { benchPut(b, testKey(1)) }

// BenchmarkDelete measures starting a new generation of a name.
func BenchmarkDelete(b *testing.B) {
	c := openT(b, b.TempDir(), Options{})
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Delete(bg, benchName); err != nil {
			b.Fatal(err)
		}
	}
}

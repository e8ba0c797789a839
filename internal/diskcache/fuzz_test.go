package diskcache

import (
	"bytes"
	"math"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the entry decoder, plain and through
// the sealed path: nothing may panic, and whatever decodes must be exactly
// the encoding of what it decodes to (so no damaged input passes as valid).
// The freshness check, which does arithmetic on the decoded times, must not
// panic either, and must agree with a big-number reference.
func FuzzDecode(f *testing.F) {
	valid := encodeEntry(1700000000000000000, 900000000000, "0123456789abcdef0123456789abcdef/", "ssm:/prod/db/password", "decrypt=true", []byte("hunter2"))
	f.Add(valid, int64(1700000000000000000))
	f.Add(encodeEntry(0, math.MaxInt64, "", "", "", nil), int64(math.MaxInt64))
	f.Add(encodeEntry(-1, math.MinInt64, "/", "\x00", "\xff", bytes.Repeat([]byte{0}, 300)), int64(math.MinInt64))
	f.Add(encodeEntry(math.MaxInt64, 1, "g", "n", "v", nil), int64(math.MinInt64))
	f.Add(valid[:len(valid)-1], int64(0))
	f.Add(valid[:headerSize], int64(0))
	f.Add([]byte{}, int64(0))
	f.Add([]byte(magic), int64(0))
	f.Add([]byte("s1dc\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00"), int64(0))
	sealed, err := Open(f.TempDir(), Options{Key: testKey(5)})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { sealed.Close() })
	genuine := sealed.sealer.Seal(valid, entryAAD(hashHex("n"), hashHex("v")))
	f.Add(genuine, int64(1700000000000000000))

	f.Fuzz(func(t *testing.T, b []byte, now int64) {
		e, err := decodeEntry(b)
		if err == nil {
			re := encodeEntry(e.written, e.ttl, string(e.gen), string(e.name), string(e.variant), e.data)
			if !bytes.Equal(re, b) {
				t.Fatalf("decoded input is not canonical:\n in  %x\n out %x", b, re)
			}
			if len(e.gen)+len(e.name)+len(e.variant)+len(e.data)+headerSize+trailerSize != len(b) {
				t.Fatal("lengths do not add up")
			}
			if got, want := fresh(e.written, e.ttl, now), freshRef(e.written, e.ttl, now); got != want {
				t.Fatalf("fresh(%d, %d, %d) = %v, want %v", e.written, e.ttl, now, got, want)
			}
		}
		// Only what this key sealed opens (the seed; a fuzz worker process has
		// its own, with another nonce, for the same plaintext).
		if e, err := sealed.unseal(b, hashHex("n"), hashHex("v")); err == nil {
			if re := encodeEntry(e.written, e.ttl, string(e.gen), string(e.name), string(e.variant), e.data); !bytes.Equal(re, valid) {
				t.Fatalf("forged sealed entry opened: %x", b)
			}
		}
	})
}

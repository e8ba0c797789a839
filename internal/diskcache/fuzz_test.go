package diskcache

import (
	"bytes"
	"math"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the entry decoder, plain and through
// the sealed path: nothing may panic, and whatever decodes must be exactly
// the encoding of what it decodes to (so no damaged input passes as valid).
func FuzzDecode(f *testing.F) {
	valid := encodeEntry(1700000000000000000, 1700000900000000000, "ssm:/prod/db/password", "decrypt=true", []byte("hunter2"))
	f.Add(valid)
	f.Add(encodeEntry(0, math.MaxInt64, "", "", nil))
	f.Add(encodeEntry(-1, math.MinInt64, "\x00", "\xff", bytes.Repeat([]byte{0}, 300)))
	f.Add(valid[:len(valid)-1])
	f.Add(valid[:headerSize])
	f.Add([]byte{})
	f.Add([]byte(magic))
	f.Add([]byte("s1dc\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00"))
	sealed, err := Open(f.TempDir(), Options{Key: testKey(5)})
	if err != nil {
		f.Fatal(err)
	}
	genuine := sealed.sealer.Seal(valid, entryAAD(hashHex("n"), hashHex("v")))
	f.Add(genuine)

	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEntry(b)
		if err == nil {
			re := encodeEntry(e.written, e.expires, string(e.name), string(e.variant), e.data)
			if !bytes.Equal(re, b) {
				t.Fatalf("decoded input is not canonical:\n in  %x\n out %x", b, re)
			}
			if len(e.name)+len(e.variant)+len(e.data)+headerSize+trailerSize != len(b) {
				t.Fatal("lengths do not add up")
			}
		}
		// Only what this key sealed opens (the seed; a fuzz worker process has
		// its own, with another nonce, for the same plaintext).
		if e, err := sealed.unseal(b, hashHex("n"), hashHex("v")); err == nil {
			if re := encodeEntry(e.written, e.expires, string(e.name), string(e.variant), e.data); !bytes.Equal(re, valid) {
				t.Fatalf("forged sealed entry opened: %x", b)
			}
		}
	})
}

// Package seal encrypts cache entries at rest with AES-256-GCM. The disk and
// Redis cache tiers share it, and so share one key mechanism: a 32-byte key
// given by option or, base64-encoded, in the S1CRETS_CACHE_KEY environment
// variable.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
)

// EnvKey names the environment variable that holds the cache key, 32 bytes
// in standard or URL-safe base64.
const EnvKey = "S1CRETS_CACHE_KEY"

// KeySize is the size of an AES-256 key.
const KeySize = 32

// ErrOpen reports a sealed entry that does not open: a wrong key, or data
// that was changed or cut. Callers treat it as a cache miss.
var ErrOpen = errors.New("seal: entry does not open with this key")

// A Sealer encrypts and authenticates. It is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// New returns a Sealer for a 32-byte key.
func New(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("seal: the cache key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// ParseKey decodes a base64 (standard or URL-safe, padded or not) key of 32
// bytes. Its errors never quote the input.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("seal: the cache key must be %d bytes, base64-encoded; it decodes to %d bytes", KeySize, len(k))
			}
			return k, nil
		}
	}
	return nil, fmt.Errorf("seal: the cache key must be %d bytes, base64-encoded; it is not valid base64", KeySize)
}

// KeyFromEnv returns the key in S1CRETS_CACHE_KEY; ok is false when the
// variable is unset or empty.
func KeyFromEnv() (key []byte, ok bool, err error) {
	s := os.Getenv(EnvKey)
	if s == "" {
		return nil, false, nil
	}
	k, err := ParseKey(s)
	if err != nil {
		return nil, true, fmt.Errorf("%s: %w", EnvKey, err)
	}
	return k, true, nil
}

// Seal encrypts plaintext; aad (for example the entry's cache key) is
// authenticated but not stored, so an entry copied to another key does not
// open. The result is nonce || ciphertext || tag.
func (s *Sealer) Seal(plaintext, aad []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("seal: crypto/rand failed: " + err.Error())
	}
	return s.aead.Seal(nonce, nonce, plaintext, aad)
}

// Open decrypts what Seal returned for the same aad; any failure is ErrOpen.
func (s *Sealer) Open(sealed, aad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrOpen
	}
	out, err := s.aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}

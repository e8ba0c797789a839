package seal

import (
	"bytes"
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func TestRoundTrip(t *testing.T) {
	s, err := New(key(1))
	require.NoError(t, err)
	plain := []byte("hunter2 secret")
	sealed := s.Seal(plain, []byte("k1"))
	assert.NotContains(t, string(sealed), "hunter2")
	got, err := s.Open(sealed, []byte("k1"))
	require.NoError(t, err)
	assert.Equal(t, plain, got)
	assert.NotEqual(t, sealed, s.Seal(plain, []byte("k1")), "a fresh nonce each time")
}

func TestOpenFailures(t *testing.T) {
	s, _ := New(key(1))
	other, _ := New(key(2))
	sealed := s.Seal([]byte("v"), []byte("k"))
	_, err := other.Open(sealed, []byte("k"))
	assert.ErrorIs(t, err, ErrOpen, "wrong key")
	_, err = s.Open(sealed, []byte("k2"))
	assert.ErrorIs(t, err, ErrOpen, "other aad")
	_, err = s.Open(sealed[:len(sealed)-1], []byte("k"))
	assert.ErrorIs(t, err, ErrOpen, "truncated")
	_, err = s.Open(nil, []byte("k"))
	assert.ErrorIs(t, err, ErrOpen, "empty")
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)/2] ^= 1
	_, err = s.Open(flipped, []byte("k"))
	assert.ErrorIs(t, err, ErrOpen, "changed")
}

func TestParseKey(t *testing.T) {
	k := key(7)
	for _, s := range []string{base64.StdEncoding.EncodeToString(k), base64.RawURLEncoding.EncodeToString(k), " " + base64.StdEncoding.EncodeToString(k) + "\n"} {
		got, err := ParseKey(s)
		require.NoError(t, err)
		assert.Equal(t, k, got)
	}
	_, err := ParseKey(base64.StdEncoding.EncodeToString([]byte("short")))
	assert.ErrorContains(t, err, "32 bytes")
	_, err = ParseKey("not base64 ###secretish")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secretish")
	_, err = New([]byte("short"))
	assert.Error(t, err)
}

func TestKeyFromEnv(t *testing.T) {
	t.Setenv(EnvKey, "")
	_, ok, err := KeyFromEnv()
	assert.False(t, ok)
	assert.NoError(t, err)
	t.Setenv(EnvKey, base64.StdEncoding.EncodeToString(key(3)))
	k, ok, err := KeyFromEnv()
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, key(3), k)
	t.Setenv(EnvKey, "bad")
	_, ok, err = KeyFromEnv()
	assert.True(t, ok)
	assert.ErrorContains(t, err, EnvKey)
}

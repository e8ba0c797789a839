package aws_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/awsfake"
	"github.com/s1crets/s1crets/providers/aws"
)

// diskCache is a disk tier in a directory of the test's own.
func diskCache(t *testing.T) s1crets.CacheConfig {
	dir := t.TempDir()
	return s1crets.CacheConfig{OnDisk: true, KeyCacheDir: dir + "/keys", PathCacheDir: dir + "/paths", EncryptionKey: testCacheKey}
}

// The disk tier keeps identities apart (DESIGN.md 2.1, point 1): an entry
// written by one AWS principal, region or endpoint is never served to
// another, while providers of the same identity share it. Each provider
// asks STS who it is once, before its first tier access.
func TestTierIdentity(t *testing.T) {
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/id/p", Value: "v", Type: "SecureString"})
	cache := s1crets.Cache(diskCache(t))
	read := func(p *aws.ParameterStore) {
		t.Helper()
		for range 2 {
			v, err := p.Get(ctx, "/id/p")
			require.NoError(t, err)
			assert.Equal(t, "v", v.Text())
		}
	}

	read(newPS(t, f, cache))
	require.Equal(t, 1, f.Calls("GetParameter"))
	assert.Equal(t, 1, f.Calls("GetCallerIdentity"), "one GetCallerIdentity per provider")

	read(newPS(t, f, cache))
	assert.Equal(t, 1, f.Calls("GetParameter"), "the same identity shares the disk tier")
	assert.Equal(t, 2, f.Calls("GetCallerIdentity"))

	// Other static credentials: another IAM user.
	other := f.Config(ctx)
	other.Credentials = credentials.NewStaticCredentialsProvider("AKIDOTHERUSER", "secret", "")
	p, err := aws.NewParameterStore(ctx, aws.WithConfig(other), cache)
	require.NoError(t, err)
	closeAtEnd(t, p)
	read(p)
	assert.Equal(t, 2, f.Calls("GetParameter"), "another principal does not read the first one's entries")

	// An assumed role: another principal; its sessions share.
	read(newPS(t, f, cache, aws.WithAssumeRole(roleARN, "")))
	assert.Equal(t, 3, f.Calls("GetParameter"), "a role does not read its base credentials' entries")
	read(newPS(t, f, cache, aws.WithAssumeRole(roleARN, "another-session")))
	assert.Equal(t, 3, f.Calls("GetParameter"), "the sessions of one role share")

	// Another region.
	read(newPS(t, f, cache, aws.WithRegion("eu-west-1")))
	assert.Equal(t, 4, f.Calls("GetParameter"), "another region is another store")
	assert.Equal(t, 6, f.Calls("GetCallerIdentity"), "one GetCallerIdentity per provider")
}

// A provider without a tier never asks who it is.
func TestNoTierNoIdentityCall(t *testing.T) {
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/id/p", Value: "v", Type: "String"})
	p := newPS(t, f)
	_, err := p.Get(ctx, "/id/p")
	require.NoError(t, err)
	assert.Zero(t, f.Calls("GetCallerIdentity"))
	assert.Equal(t, 1, f.TotalCalls())
}

// When STS cannot say who the caller is, the tiers are skipped: reads
// still work, from the store.
func TestIdentityUnknownSkipsTiers(t *testing.T) {
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/id/p", Value: "v", Type: "String"})
	f.Deny("GetCallerIdentity")
	cache := s1crets.Cache(diskCache(t))
	a := newPS(t, f, cache)
	for range 3 {
		v, err := a.Get(ctx, "/id/p", s1crets.NoCache())
		require.NoError(t, err)
		assert.Equal(t, "v", v.Text())
	}
	b := newPS(t, f, cache)
	_, err := b.Get(ctx, "/id/p")
	require.NoError(t, err)
	assert.Equal(t, 4, f.Calls("GetParameter"), "nothing was shared through the disk")
	assert.Equal(t, 2, f.Calls("GetCallerIdentity"),
		"each provider asked STS once: a failure is not asked again on every read, but after a cool-down")
}

package s1crets_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/driver"
	"github.com/s1crets/s1crets/providers/memory"
)

// closeFailing is a store whose Close fails.
type closeFailing struct{ *mapStore }

func (closeFailing) Close() error { return errors.New("close failed") }

// noChecker is a store without PathChecker whose reads fail: PathExists
// goes through Get.
type noChecker struct{ driver.Store }

func (noChecker) Get(context.Context, string, driver.Query) (driver.Secret, error) {
	return driver.Secret{}, errors.New("store down")
}

func init() {
	s1crets.Register("test.closefail", func(ctx context.Context, cfg driver.Config) (driver.Store, error) {
		return closeFailing{newMapStore(nil)}, nil
	})
}

// TestErrorMessages: each error says what was given and what is accepted,
// on one line, without repeating itself.
func TestErrorMessages(t *testing.T) {
	closeMemoized(t)
	p, err := memory.New(map[string]string{"/j": `{"a":[1,2],"s":"x"}`})
	require.NoError(t, err)
	defer p.Close()
	v, err := p.Get(ctx, "/j")
	require.NoError(t, err)
	_, lookupErr := v.Lookup("a", "2")
	_, scalarErr := v.Lookup("s", "k")
	_, errCachedOpen := s1crets.Open(ctx, "test.counted", s1crets.Retry(7))
	_, errSimple := s1crets.Get(ctx, "test.counted", "/a", s1crets.Retry(7))
	_, errExists := newClient(t, "nochecker", noChecker{newMapStore(nil)}).PathExists(ctx, "/p")
	_, errCache := memory.New(nil, s1crets.Cache(s1crets.CacheConfig{Size: -1, TTL: -1}))
	_, errRetry := s1crets.Open(ctx, "memory", s1crets.Retry(0))
	_, errTimeout := s1crets.Open(ctx, "memory", s1crets.Timeout(0))
	_, errRetryNeg := memory.New(nil, s1crets.Retry(-1))
	for _, o := range []s1crets.Option{s1crets.Retry(2), s1crets.Retry(3)} {
		_, err := s1crets.Open(ctx, "test.closefail", o)
		require.NoError(t, err)
	}
	errClose := s1crets.Close()

	for _, tc := range []struct {
		err  error
		want string
	}{
		{errRetry, "s1crets: open memory: invalid argument: Retry(0): the number of attempts must be at least 1 (the default is 3)"},
		{errRetryNeg, "s1crets: new memory: invalid argument: Retry(-1): the number of attempts must be at least 1 (the default is 3)"},
		{errTimeout, "s1crets: open memory: invalid argument: Timeout(0s): the timeout must be positive (the default is 5s)"},
		{errCache, "s1crets: new memory: invalid argument: cache Size -1: the size must be positive (0 means the default, 1000 entries)"},
		{v.Decode(nil), "s1crets: decode: Decode needs a non-nil pointer, got nil"},
		{lookupErr, `s1crets: lookup: index "2" not found at "a": out of range, the array has 2 elements`},
		{scalarErr, `s1crets: lookup: key "k" not found at "s": that is a string, not an object or array`},
		{errCachedOpen, "s1crets: new test.counted: construction failed"},
		{errSimple, "s1crets: new test.counted: construction failed"},
		{errExists, `s1crets: path-exists nochecker "/p": store down`},
		{errClose, "s1crets: close: close test.closefail: close failed; close test.closefail: close failed"},
		{(s1crets.Many{Missing: []string{"/a", "/b"}}).Err(), `s1crets: get-many: not found: "/a", "/b"`},
	} {
		require.Error(t, tc.err, tc.want)
		assert.Equal(t, tc.want, tc.err.Error())
		assert.NotContains(t, tc.err.Error(), "\n")
		assert.Equal(t, 1, strings.Count(tc.err.Error(), "s1crets: "), "one prefix: %s", tc.err)
	}
}

// TestValueInUnexportedField pins the README's claim: fmt cannot call the
// methods of a Value in an unexported field, so it prints the Value's
// fields, an address and a flag, never the secret.
func TestValueInUnexportedField(t *testing.T) {
	type holder struct{ v s1crets.Value }
	h := holder{s1crets.NewValue("hunter2-secret")}
	assert.Regexp(t, `^\{\{0x[0-9a-f]+ false\}\}$`, fmt.Sprintf("%v", h))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		out := fmt.Sprintf(verb, h)
		assert.NotContains(t, out, "hunter2", verb)
		assert.NotContains(t, out, fmt.Sprintf("%x", "hunter2"), verb)
	}
	type exported struct{ V s1crets.Value }
	assert.Equal(t, "{[REDACTED]}", fmt.Sprintf("%v", exported{h.v}))
}

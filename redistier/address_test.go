package redistier

import (
	"errors"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/s1crets/s1crets/driver"
)

// TestURLRedaction: no error about a malformed URL shows its login or
// password, whatever is wrong with it; each still says what is wrong and
// matches ErrBadURL.
func TestURLRedaction(t *testing.T) {
	cases := []struct {
		url  string
		want string // what the message must name
	}{
		{"redis://user:s3cretpw@cache.example:notaport/0", "port is not a number"},
		{"redis://user:s3cretpw@cache.example:99999/0", "port"},
		{"redis://user:s3cretpw@cache.example:0", "port"},
		{"redis://user:s3cretpw@cache.example:6379/notadb", "database number"},
		{"redis://user:s3cretpw@cache.example:6379/-1", "database number"},
		{"redis://user:s3cretpw@cache.example:6379/0/1", "database number"},
		{"redis://user:s3cretpw@cache.example:6379/0 1", "database number"},
		{"redis://user:s3cretpw@cache.example:6379/0?nosuchoption=1", `"nosuchoption"`},
		{"redis://user:s3cretpw@cache.example:6379/0?dial_timeout=soon", `"dial_timeout"`},
		{"redis://user:s3cretpw@cache.example:6379?db=x", `"db"`},
		{"redis://user:s3cretpw@cache.example:6379/0?password=s3cretpw", `"password"`},
		{"redis://user:s3cretpw@cache.example:6379/0?user:s3cretpw", "not shown"},
		{"redis://user:s3cretpw@cache.example:6379/0?a=%zz", "query does not parse"},
		{"rediss://user:s3cretpw@cache.example/0?skip_verify=maybe", `"skip_verify"`},
		{"redis://user:s3cretpw@cache example:6379/0", "host"},
		{"redis://user:s3cretpw@cache.example:6379/%zz", "percent-escape"},
		{"redis://user:s3cretpw%zz@cache.example", "percent-escape"},
		{"redis://user:s3cretpw@cache.example\n:6379", "control character"},
		{"redis://user:s3cretpw@[::1:6379/0", "not a valid URL"},
		{"redis://user:s3cretpw@/0", "no host"},
		{"redis://user:s3cretpw@:6379/0", "no host"},
		{"redis://user:s3cretpw@cache.example/0#frag", "fragment"},
		{"unix://user:s3cretpw@", "no socket path"},
		{"unix://user:s3cretpw@/tmp/redis.sock?db=x", `"db"`},
		{"valkey://user:s3cretpw@cache.example:port", "port is not a number"},
		{"redis://user:s3cretpw@[::1]:63x79", "port is not a number"},
		{"user:s3cretpw@cache.example:6379", "not host:port"},
		{"redis:/user:s3cretpw@cache.example:6379", "not host:port"},
	}
	echoed := 0 // how many of these go-redis itself would quote
	for _, tc := range cases {
		_, _, err := driver.OpenTier(tc.url, driver.TierOptions{Key: key})
		if err == nil {
			t.Errorf("%q: no error", tc.url)
			continue
		}
		msg := err.Error()
		for _, secret := range []string{"s3cretpw", "s3cret", "cretpw", "user"} {
			if strings.Contains(msg, secret) {
				t.Errorf("%q: the error shows %q: %s", tc.url, secret, msg)
			}
		}
		if !errors.Is(err, ErrBadURL) {
			t.Errorf("%q: %v does not match ErrBadURL", tc.url, err)
		}
		if !strings.Contains(msg, tc.want) {
			t.Errorf("%q: %q does not say %q", tc.url, msg, tc.want)
		}
		if !strings.HasPrefix(msg, "s1crets: ") {
			t.Errorf("%q: %q does not start with s1crets: ", tc.url, msg)
		}
		if _, err := redis.ParseURL(tc.url); err != nil && strings.Contains(err.Error(), "s3cretpw") {
			echoed++
		}
	}
	// The control: go-redis's own messages would have leaked for several.
	if echoed < 3 {
		t.Errorf("go-redis quotes the password for only %d of the URLs: the table no longer tests redaction", echoed)
	}
	t.Logf("go-redis's own error quotes the password for %d of %d URLs", echoed, len(cases))
}

// TestRedactedURL: an error about a URL that parses shows the scheme and
// host, with xxxxx for the credentials.
func TestRedactedURL(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"redis://user:s3cretpw@cache.example:6379/x", "redis://xxxxx:xxxxx@cache.example:6379/…: "},
		{"redis://user@cache.example:6379/x", "redis://xxxxx@cache.example:6379/…: "},
		{"rediss://cache.example:99999", "rediss://cache.example:99999: "},
		{"unix://user:s3cretpw@/run/redis.sock?db=x", "unix://xxxxx:xxxxx@/run/redis.sock: "},
	} {
		_, _, err := driver.OpenTier(tc.url, driver.TierOptions{Key: key})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want it to show %q", tc.url, err, tc.want)
		}
	}
}

package redistier

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ErrBadURL is the error of a Redis URL or address that does not parse or
// that go-redis refuses. Its messages never show the credentials.
var ErrBadURL = errors.New("s1crets: invalid Redis cache URL")

// notShown stands for a URL whose parts cannot be told apart, so that
// none of it can be shown.
const notShown = "(not shown: it may hold a password)"

// parse turns the URL or host:port address that the root passes into
// client options. Its errors are built here, never passed on from net/url
// or go-redis, whose messages quote the URL or parts of it.
func parse(raw string) (*redis.Options, error) {
	if !strings.Contains(raw, "://") {
		return parseAddr(raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %s", ErrBadURL, notShown, whyUnparsable(raw, err))
	}
	bad := func(why string, args ...any) error {
		return fmt.Errorf("%w %s: %s", ErrBadURL, redact(u), fmt.Sprintf(why, args...))
	}
	// go-redis knows redis, rediss and unix; valkey and valkeys are the
	// same URLs under Valkey's names.
	scheme := u.Scheme
	switch scheme {
	case "valkey":
		scheme = "redis"
	case "valkeys":
		scheme = "rediss"
	}
	switch scheme {
	case "redis", "rediss":
		if u.Hostname() == "" {
			return nil, bad("it names no host")
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return nil, bad("the port is not between 1 and 65535")
			}
		}
		if f := strings.FieldsFunc(u.Path, func(r rune) bool { return r == '/' }); len(f) > 1 || len(f) == 1 && !isDB(f[0]) {
			return nil, bad("the path is not a database number (like /0)")
		}
	case "unix":
		if strings.TrimSpace(u.Path) == "" {
			return nil, bad("it names no socket path (unix:///path/to/redis.sock)")
		}
	default:
		return nil, bad("the scheme is not redis, rediss, unix, valkey or valkeys")
	}
	if _, err := url.ParseQuery(u.RawQuery); err != nil {
		return nil, bad("the query does not parse (a malformed percent-escape or a semicolon)")
	}
	if u.Fragment != "" || u.RawFragment != "" {
		return nil, bad("it has a #fragment")
	}
	// Parse a copy without the user and password, so that whatever
	// go-redis says can only be about the rest, which is still not shown.
	anon := *u
	anon.Scheme, anon.User = scheme, nil
	opts, err := redis.ParseURL(anon.String())
	if err != nil {
		switch keys := badQueryKeys(anon); len(keys) {
		case 0:
		case 1:
			return nil, bad("go-redis does not accept the query parameter %s (unknown, or its value is invalid)", keys[0])
		default:
			return nil, bad("go-redis does not accept the query parameters %s (unknown, or their values are invalid)",
				strings.Join(keys, ", "))
		}
		return nil, bad("go-redis does not accept it")
	}
	if u.User != nil {
		opts.Username = u.User.Username()
		opts.Password, _ = u.User.Password()
	}
	return opts, nil
}

// parseAddr takes a host:port address without a scheme.
func parseAddr(raw string) (*redis.Options, error) {
	host, port, err := net.SplitHostPort(raw)
	ok := err == nil && host != "" && !strings.ContainsAny(host, "@/?#\\ \t\r\n") && isPort(port)
	if !ok {
		// A mistyped URL ("user:pw@host", "redis:/...") may hold a
		// password: say what is expected, not what was given.
		return nil, fmt.Errorf("%w: the cache address %s is not host:port; credentials, TLS or a "+
			"database number need a redis://, rediss:// or unix:// URL", ErrBadURL, notShown)
	}
	return &redis.Options{Addr: raw}, nil
}

func isPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1 && n <= 65535 && !strings.HasPrefix(s, "+")
}

func isDB(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0
}

// whyUnparsable says what is wrong with a URL that net/url refuses,
// without quoting it: its messages show the whole URL, or a fragment
// ("%zz") that may be part of a password.
func whyUnparsable(raw string, err error) string {
	var esc url.EscapeError
	var host url.InvalidHostError
	switch {
	case strings.ContainsFunc(raw, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "it contains a control character (a line break?)"
	case errors.As(err, &esc):
		return "a percent-escape is malformed (% must be followed by two hex digits)"
	case errors.As(err, &host):
		return "the host has a character that a host name cannot have"
	case badPort(raw):
		return "the port is not a number"
	default:
		return "it is not a valid URL (check the port, the brackets of an IPv6 address, " +
			"and that reserved characters in the credentials are percent-encoded)"
	}
}

// badPort reports whether the authority of raw ends in a port that is not
// all digits ("host:6379x"), as far as it can be told apart in a URL that
// does not parse.
func badPort(raw string) bool {
	_, rest, _ := strings.Cut(raw, "://")
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest = rest[i+1:]
	}
	if strings.HasPrefix(rest, "[") {
		i := strings.LastIndex(rest, "]")
		if i < 0 {
			return false // an IPv6 address without its ]
		}
		rest = rest[i+1:]
	}
	_, port, ok := strings.Cut(rest, ":")
	return ok && strings.ContainsFunc(port, func(r rune) bool { return r < '0' || r > '9' })
}

// redact shows u as scheme://host, with "xxxxx" for the login and the
// password if any, and the socket path of a unix URL; neither the path of a TCP
// URL nor the query, where a misplaced password could end up.
func redact(u *url.URL) string {
	r := url.URL{Scheme: u.Scheme, Host: u.Host}
	if u.User != nil {
		r.User = url.User("xxxxx")
		if _, ok := u.User.Password(); ok {
			r.User = url.UserPassword("xxxxx", "xxxxx")
		}
	}
	if u.Scheme == "unix" {
		r.Path = u.Path
	}
	s := r.String()
	if u.Scheme != "unix" && (u.Path != "" || u.RawQuery != "") {
		s += "/…"
	}
	return s
}

// optionName is what a go-redis query parameter looks like; a name that
// does not may be a misplaced secret and is not shown.
var optionName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// badQueryKeys returns the names of the query parameters that go-redis
// refuses on their own, each shown only if it looks like an option name.
func badQueryKeys(u url.URL) []string {
	q := u.Query()
	var out []string
	hidden := false
	for k, vs := range q {
		u.RawQuery = url.Values{k: vs}.Encode()
		if _, err := redis.ParseURL(u.String()); err == nil {
			continue
		}
		if optionName.MatchString(k) {
			out = append(out, strconv.Quote(k))
		} else {
			hidden = true
		}
	}
	slices.Sort(out)
	if hidden {
		out = append(out, "(a name not shown)")
	}
	return out
}

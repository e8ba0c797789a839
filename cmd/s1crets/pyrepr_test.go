package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parsePy parses the Python literal that the original CLI prints for a
// value (str() of a dict, list, str, bytes, int, float, bool or None) into
// the Go value that encoding/json gives for the same JSON: map[string]any,
// []any, string, float64, bool, nil; bytes give []byte. The empty text is
// None: click.echo(None) prints an empty line.
func parsePy(s string) (any, error) {
	if s == "" {
		return nil, nil
	}
	p := &pyParser{s: s}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	if p.skipSpace(); p.i != len(p.s) {
		return nil, fmt.Errorf("trailing text at %d: %q", p.i, p.s[p.i:])
	}
	return v, nil
}

type pyParser struct {
	s string
	i int
}

func (p *pyParser) skipSpace() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *pyParser) errorf(format string, args ...any) error {
	return fmt.Errorf("python literal at %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *pyParser) value() (any, error) {
	p.skipSpace()
	if p.i >= len(p.s) {
		return nil, p.errorf("unexpected end")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.dict()
	case c == '[' || c == '(':
		return p.list()
	case c == '\'' || c == '"':
		return p.str()
	case c == 'b' && p.i+1 < len(p.s) && (p.s[p.i+1] == '\'' || p.s[p.i+1] == '"'):
		p.i++
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		// bytes literals hold only \xhh escapes and ASCII: the parsed
		// string's runes are the bytes.
		b := make([]byte, 0, len(s))
		for _, r := range s {
			b = append(b, byte(r))
		}
		return b, nil
	}
	for _, kw := range []struct {
		word string
		v    any
	}{{"True", true}, {"False", false}, {"None", nil}, {"nan", math.NaN()}, {"inf", math.Inf(1)}, {"-inf", math.Inf(-1)}} {
		if strings.HasPrefix(p.s[p.i:], kw.word) {
			p.i += len(kw.word)
			return kw.v, nil
		}
	}
	start := p.i
	for p.i < len(p.s) && strings.IndexByte("+-0123456789.eE", p.s[p.i]) >= 0 {
		p.i++
	}
	f, err := strconv.ParseFloat(p.s[start:p.i], 64)
	if err != nil {
		return nil, p.errorf("not a literal: %q", p.s[start:])
	}
	return f, nil
}

func (p *pyParser) dict() (any, error) {
	p.i++ // {
	m := map[string]any{}
	for {
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return m, nil
		}
		k, err := p.value()
		if err != nil {
			return nil, err
		}
		key, isStr := k.(string)
		if !isStr {
			return nil, p.errorf("dict key %v is not a string", k)
		}
		if p.skipSpace(); p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.errorf("want ':'")
		}
		p.i++
		if m[key], err = p.value(); err != nil {
			return nil, err
		}
		if p.skipSpace(); p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
		}
	}
}

func (p *pyParser) list() (any, error) {
	end := byte(']')
	if p.s[p.i] == '(' {
		end = ')'
	}
	p.i++
	l := []any{}
	for {
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == end {
			p.i++
			return l, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		l = append(l, v)
		if p.skipSpace(); p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
		}
	}
}

func (p *pyParser) str() (string, error) {
	q := p.s[p.i]
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == q:
			p.i++
			return b.String(), nil
		case c != '\\':
			r, n := utf8.DecodeRuneInString(p.s[p.i:])
			b.WriteRune(r)
			p.i += n
			continue
		}
		if p.i+1 >= len(p.s) {
			return "", p.errorf("unterminated escape")
		}
		e := p.s[p.i+1]
		p.i += 2
		simple := map[byte]string{'\\': `\`, '\'': `'`, '"': `"`, 'n': "\n", 'r': "\r", 't': "\t", 'a': "\a", 'b': "\b", 'f': "\f", 'v': "\v", '0': "\x00"}
		if s, ok := simple[e]; ok {
			b.WriteString(s)
			continue
		}
		n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
		if n == 0 || p.i+n > len(p.s) {
			return "", p.errorf("bad escape \\%c", e)
		}
		r, err := strconv.ParseUint(p.s[p.i:p.i+n], 16, 32)
		if err != nil {
			return "", p.errorf("bad escape: %v", err)
		}
		b.WriteRune(rune(r))
		p.i += n
	}
	return "", p.errorf("unterminated string")
}

// sameValue reports whether the original's output py and ours go (each
// without the final newline) are the same value, allowing for the listed
// differences: the original prints Python reprs where we print JSON, and
// bytes reprs (b'...') where get-by-path prints base64.
func sameValue(py, ours string) bool {
	if py == ours {
		return true
	}
	pv, err := parsePy(py)
	if err != nil {
		if err := json.Unmarshal([]byte(py), &pv); err != nil { // aws.ps values print as stored
			return false
		}
	}
	if b, isBytes := pv.([]byte); isBytes {
		dec, err := base64.StdEncoding.DecodeString(ours)
		return err == nil && string(dec) == string(b)
	}
	var gv any
	if err := json.Unmarshal([]byte(ours), &gv); err != nil {
		gv = ours // a plain string prints raw
	}
	return reflect.DeepEqual(pv, gv)
}

func TestParsePy(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want any
	}{
		{"", nil},
		{"None", nil},
		{"True", true},
		{"42", 42.0},
		{"-1.5e+20", -1.5e20},
		{`'it\'s'`, "it's"},
		{`"it's"`, "it's"},
		{`'a\nb\t\\ \x07 é \u2028'`, "a\nb\t\\ \a é \u2028"},
		{`b'\x00ab\xff'`, []byte{0, 'a', 'b', 0xff}},
		{`{'user': 'admin', 'n': [1, 'a', None], 'd': {}, 'e': []}`,
			map[string]any{"user": "admin", "n": []any{1.0, "a", nil}, "d": map[string]any{}, "e": []any{}}},
		{`('a', 'b')`, []any{"a", "b"}},
	} {
		got, err := parsePy(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
	for _, bad := range []string{"{", "'x", "[1, 2", "nope", "{1: 2}", "'a' 'b'"} {
		_, err := parsePy(bad)
		assert.Error(t, err, bad)
	}

	assert.True(t, sameValue(`{'a': [1, True, None]}`, `{"a":[1,true,null]}`))
	assert.True(t, sameValue(``, `null`))
	assert.True(t, sameValue(`b'\x00a'`, base64.StdEncoding.EncodeToString([]byte{0, 'a'})))
	assert.True(t, sameValue(`{"k": [1, 2]}`, `{"k":[1,2]}`))
	assert.True(t, sameValue(`plain`, `plain`))
	assert.False(t, sameValue(`{'a': 1}`, `{"a":2}`))
	assert.False(t, sameValue(`b'\x00a'`, `AGE=x`))
	assert.False(t, sameValue(`True`, `"true"`))
}

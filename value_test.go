package s1crets_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
)

const secret = "s3cr3t-Value-42"

func TestValueKinds(t *testing.T) {
	cases := []struct {
		text   string
		isJSON bool
		iface  any
	}{
		{"hunter2", false, "hunter2"},
		{"", false, ""},
		{`{"a":1}`, true, map[string]any{"a": json.Number("1")}},
		{` [1, "x"] `, true, []any{json.Number("1"), "x"}},
		{"12345", true, json.Number("12345")},
		{"123456789012345678901234567890", true, json.Number("123456789012345678901234567890")},
		{`"quoted"`, true, "quoted"},
		{"true", true, true},
		{"null", true, nil},
		{"{not json", false, "{not json"},
		{`{"a":1} trailing`, false, `{"a":1} trailing`},
		{"12abc", false, "12abc"},
		{"-", false, "-"},
	}
	for _, c := range cases {
		v := s1crets.NewValue(c.text)
		assert.Equal(t, c.isJSON, v.IsJSON(), "%q", c.text)
		assert.Equal(t, c.iface, v.Interface(), "%q", c.text)
		assert.Equal(t, c.text, v.Text())
		assert.Equal(t, []byte(c.text), v.Bytes())
		assert.False(t, v.IsBinary())
	}
}

func TestValueBinary(t *testing.T) {
	raw := []byte{0, 1, 2, '{', '}'}
	v := s1crets.NewBinaryValue(raw)
	raw[0] = 9 // the Value holds its own copy
	assert.True(t, v.IsBinary())
	assert.False(t, v.IsJSON())
	assert.Equal(t, []byte{0, 1, 2, '{', '}'}, v.Bytes())
	b := v.Bytes()
	b[1] = 7
	assert.Equal(t, []byte{0, 1, 2, '{', '}'}, v.Interface(), "Bytes returns a copy")
	_, err := v.Lookup("a")
	assert.ErrorIs(t, err, s1crets.ErrNotFound)
	assert.ErrorIs(t, v.Decode(new(any)), s1crets.ErrInvalid)

	bj := s1crets.NewBinaryValue([]byte(`{"a":1}`))
	assert.False(t, bj.IsJSON(), "binary secrets are not decoded, as in the original")
}

func TestZeroValue(t *testing.T) {
	var v s1crets.Value
	assert.Equal(t, "", v.Text())
	assert.Equal(t, []byte{}, v.Bytes())
	assert.Equal(t, "", v.Interface())
	assert.False(t, v.IsJSON())
	assert.Equal(t, s1crets.Redacted, fmt.Sprint(v))
}

func TestInterfaceIsACopy(t *testing.T) {
	v := s1crets.NewValue(`{"a":{"b":[1,2]}}`)
	m := v.Interface().(map[string]any)
	m["a"].(map[string]any)["b"].([]any)[0] = "changed"
	m["x"] = 1
	again := v.Interface().(map[string]any)
	assert.Equal(t, json.Number("1"), again["a"].(map[string]any)["b"].([]any)[0])
	assert.NotContains(t, again, "x")
}

func TestLookup(t *testing.T) {
	v := s1crets.NewValue(`{"a":{"b":"c"},"zero":0,"f":false,"e":"","o":{},"n":null,` +
		`"l":[{"k":1,"m":{"x":"y1"}},{"k":2,"m":{"x":"y2"}}],"ll":[[1,2],[3]],"a2":{"zero":"root-not-used"}}`)
	cases := []struct {
		keys []string
		want string
		err  bool
	}{
		{nil, "", false},
		{[]string{"a", "b"}, "c", false},
		{[]string{"a"}, `{"b":"c"}`, false},
		{[]string{"zero"}, "0", false},
		{[]string{"n"}, "null", false},
		{[]string{"l", "k"}, "[1,2]", false},
		{[]string{"l", "m", "x"}, `["y1","y2"]`, false},
		{[]string{"l", "0", "k"}, "1", false},
		{[]string{"l", "1", "m", "x"}, "y2", false},
		{[]string{"l", "2"}, "", true},
		{[]string{"l", "-1"}, "", true}, // not an index: fanned out, and elements lack "-1"
		{[]string{"l", "01"}, "", true}, // not a canonical index either
		{[]string{"ll", "0", "1"}, "2", false},
		{[]string{"l", "nope"}, "", true},
		{[]string{"zero", "a"}, "", true}, // falsy midway: no restart at the root
		{[]string{"f", "a"}, "", true},
		{[]string{"e", "a"}, "", true},
		{[]string{"o", "a"}, "", true},
		{[]string{"n", "a"}, "", true},
		{[]string{"a", "b", "c"}, "", true},
		{[]string{"missing"}, "", true},
	}
	for _, c := range cases {
		got, err := v.Lookup(c.keys...)
		if c.err {
			assert.ErrorIs(t, err, s1crets.ErrNotFound, "%v", c.keys)
			continue
		}
		require.NoError(t, err, "%v", c.keys)
		if c.keys == nil {
			assert.Equal(t, v.Text(), got.Text())
			continue
		}
		assert.Equal(t, c.want, got.Text(), "%v", c.keys)
	}
	sub, err := v.Lookup("a")
	require.NoError(t, err)
	assert.True(t, sub.IsJSON())
	c, err := sub.Lookup("b")
	require.NoError(t, err)
	assert.False(t, c.IsJSON(), "a JSON string found by Lookup is plain text")
	assert.Equal(t, "c", c.Interface())
}

func TestDecode(t *testing.T) {
	v := s1crets.NewValue(`{"user":"admin","port":5432}`)
	var dst struct {
		User string
		Port int
	}
	require.NoError(t, v.Decode(&dst))
	assert.Equal(t, "admin", dst.User)
	assert.Equal(t, 5432, dst.Port)

	var wrong struct{ Port string }
	err := v.Decode(&wrong)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "5432", "Decode errors do not quote the secret")
	assert.Contains(t, err.Error(), "Port")

	err = s1crets.NewValue(`{"k":"` + secret + `"}`).Decode(new(struct{ K int }))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), secret)

	err = s1crets.NewValue(secret).Decode(new(string))
	assert.ErrorIs(t, err, s1crets.ErrInvalid)
	assert.NotContains(t, err.Error(), secret)

	err = v.Decode(nil)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "admin")
}

type holder struct {
	Name   string
	Secret s1crets.Value
	ptr    *s1crets.Value
	hidden s1crets.Value
}

func TestRedaction(t *testing.T) {
	v := s1crets.NewValue(secret)
	j := s1crets.NewValue(`{"password":"` + secret + `"}`)
	h := holder{Name: "db", Secret: v, ptr: &v, hidden: j}
	m := map[string]s1crets.Value{"a": v, "b": j}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v", "%10.3s"} {
		for _, x := range []any{v, j, &v, h, &h, m, []s1crets.Value{v, j}} {
			out := fmt.Sprintf(verb, x)
			assert.NotContains(t, out, secret, "verb %s on %T", verb, x)
			assert.NotContains(t, out, fmt.Sprintf("%x", secret), "verb %s on %T", verb, x)
		}
	}
	assert.Equal(t, s1crets.Redacted, v.String())
	assert.Equal(t, s1crets.Redacted, v.GoString())
	assert.Equal(t, s1crets.Redacted, fmt.Sprint(v))

	var buf bytes.Buffer
	for _, hdl := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		l := slog.New(hdl)
		l.Info("loaded", "secret", v, "json", j, "holder", h, "map", m, slog.Any("ptr", &v))
	}
	assert.NotContains(t, buf.String(), secret)
	assert.Contains(t, buf.String(), s1crets.Redacted)

	b, err := json.Marshal(h)
	require.NoError(t, err)
	assert.NotContains(t, string(b), secret)
	b, err = json.Marshal(m)
	require.NoError(t, err)
	assert.NotContains(t, string(b), secret)

	func() {
		defer func() {
			r := recover()
			assert.NotContains(t, fmt.Sprint(r), secret)
		}()
		panic(v)
	}()
}

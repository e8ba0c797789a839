package s1crets_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
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

// hostsDoc is a typical JSON secret read by key.
const hostsDoc = `{"a":"alpha","user":"admin","password":"pw-1","port":5432,` +
	`"hosts":[{"name":"h0","port":1},{"name":"h1","port":2},{"name":"h2","port":3}]}`

// A key-path lookup returns a Value built when the secret was: it allocates
// nothing, whatever the depth, and reading the result's text does not
// either.
func TestLookupAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	v := s1crets.NewValue(hostsDoc)
	for _, keys := range [][]string{{"a"}, {"port"}, {"hosts", "1", "name"}, {"hosts", "2"}, {"hosts"}} {
		r, err := v.Lookup(keys...)
		require.NoError(t, err)
		_ = r.Text() // the first read of an object's text encodes it, once
		allocs := testing.AllocsPerRun(1000, func() {
			r, err := v.Lookup(keys...)
			if err != nil || r.Text() == "" {
				t.Fatal(keys, err)
			}
		})
		assert.Zero(t, allocs, "Lookup(%q)", keys)
	}
	assert.Zero(t, testing.AllocsPerRun(1000, func() { _, _ = v.Lookup("a") }), `Lookup("a")`)
	assert.Zero(t, testing.AllocsPerRun(1000, func() { _, _ = v.Lookup("hosts", "1", "name") }), `Lookup("hosts", "1", "name")`)
}

func TestLookupTable(t *testing.T) {
	v := s1crets.NewValue(`{
		"s": "str", "n": 12.50, "big": 123456789012345678901234567890, "t": true, "f": false, "null": null,
		"zero": 0, "empty": "", "obj": {}, "arr": [],
		"0": "member named zero", "01": "leading zero", "-1": "minus one",
		"digits": {"0": "a", "1": "b", "10": "c"},
		"l": [{"k": 1, "m": {"x": "y1"}, "0": "member"}, {"k": 2, "m": {"x": "y2"}, "0": "other"}],
		"ll": [[1, 2], [3], []],
		"fan": [[{"x": 1}], [{"x": 2}, {"x": 3}]],
		"falsy": [{"v": 0}, {"v": ""}, {"v": false}, {"v": null}, {"v": {}}, {"v": []}],
		"ключ": {"名前": "ユニコード", "emoji 🔑": "🗝"},
		"nested": {"a": {"b": {"c": {"d": [10, [20, {"e": "deep"}]]}}}}
	}`)
	require.True(t, v.IsJSON())
	cases := []struct {
		keys   []string
		text   string // "" with err
		isJSON bool
		iface  any
		err    bool
	}{
		{keys: []string{"s"}, text: "str", iface: "str"},
		{keys: []string{"n"}, text: "12.50", isJSON: true, iface: json.Number("12.50")},
		{keys: []string{"big"}, text: "123456789012345678901234567890", isJSON: true, iface: json.Number("123456789012345678901234567890")},
		{keys: []string{"t"}, text: "true", isJSON: true, iface: true},
		{keys: []string{"f"}, text: "false", isJSON: true, iface: false},
		{keys: []string{"null"}, text: "null", isJSON: true, iface: nil},
		// Falsy values are found, and do not restart the lookup at the root.
		{keys: []string{"zero"}, text: "0", isJSON: true, iface: json.Number("0")},
		{keys: []string{"empty"}, text: "", iface: ""},
		{keys: []string{"obj"}, text: "{}", isJSON: true, iface: map[string]any{}},
		{keys: []string{"arr"}, text: "[]", isJSON: true, iface: []any{}},
		{keys: []string{"zero", "s"}, err: true},
		{keys: []string{"empty", "s"}, err: true},
		{keys: []string{"obj", "s"}, err: true},
		{keys: []string{"f", "s"}, err: true},
		{keys: []string{"null", "s"}, err: true},
		{keys: []string{"falsy", "v"}, text: `[0,"",false,null,{},[]]`, isJSON: true,
			iface: []any{json.Number("0"), "", false, nil, map[string]any{}, []any{}}},
		// Numeric keys on objects are member names.
		{keys: []string{"0"}, text: "member named zero", iface: "member named zero"},
		{keys: []string{"01"}, text: "leading zero", iface: "leading zero"},
		{keys: []string{"-1"}, text: "minus one", iface: "minus one"},
		{keys: []string{"digits", "10"}, text: "c", iface: "c"},
		{keys: []string{"digits", "2"}, err: true},
		// Array indices.
		{keys: []string{"l", "0", "k"}, text: "1", isJSON: true, iface: json.Number("1")},
		{keys: []string{"l", "1", "m", "x"}, text: "y2", iface: "y2"},
		{keys: []string{"l", "1", "m"}, text: `{"x":"y2"}`, isJSON: true, iface: map[string]any{"x": "y2"}},
		{keys: []string{"l", "2"}, err: true},
		{keys: []string{"l", "9223372036854775807"}, err: true},
		{keys: []string{"l", "99999999999999999999999"}, err: true}, // too big for an index: fanned out, no such member
		{keys: []string{"ll", "0", "1"}, text: "2", isJSON: true, iface: json.Number("2")},
		{keys: []string{"ll", "1", "0"}, text: "3", isJSON: true, iface: json.Number("3")},
		{keys: []string{"ll", "1", "1"}, err: true},
		{keys: []string{"ll", "2", "0"}, err: true},
		{keys: []string{"nested", "a", "b", "c", "d", "1", "1", "e"}, text: "deep", iface: "deep"},
		{keys: []string{"nested", "a", "b", "c", "d", "1"}, text: `[20,{"e":"deep"}]`, isJSON: true,
			iface: []any{json.Number("20"), map[string]any{"e": "deep"}}},
		// Negative, signed or zero-padded keys are not indices: they apply to
		// every element, which must all have them.
		{keys: []string{"l", "-1"}, err: true},
		{keys: []string{"l", "+1"}, err: true},
		{keys: []string{"l", "01"}, err: true},
		{keys: []string{"ll", "-1"}, err: true},
		// Fan-out.
		{keys: []string{"l", "k"}, text: "[1,2]", isJSON: true, iface: []any{json.Number("1"), json.Number("2")}},
		{keys: []string{"l", "m", "x"}, text: `["y1","y2"]`, isJSON: true, iface: []any{"y1", "y2"}},
		{keys: []string{"l", "m"}, text: `[{"x":"y1"},{"x":"y2"}]`, isJSON: true,
			iface: []any{map[string]any{"x": "y1"}, map[string]any{"x": "y2"}}},
		{keys: []string{"fan", "x"}, text: "[[1],[2,3]]", isJSON: true,
			iface: []any{[]any{json.Number("1")}, []any{json.Number("2"), json.Number("3")}}},
		{keys: []string{"arr", "x"}, text: "[]", isJSON: true, iface: []any{}},
		{keys: []string{"l", "nope"}, err: true},
		{keys: []string{"ll", "x"}, err: true},
		// Unicode keys.
		{keys: []string{"ключ", "名前"}, text: "ユニコード", iface: "ユニコード"},
		{keys: []string{"ключ", "emoji 🔑"}, text: "🗝", iface: "🗝"},
		{keys: []string{"ключ", "emoji"}, err: true},
		// Missing keys, keys left over.
		{keys: []string{"missing"}, err: true},
		{keys: []string{""}, err: true},
		{keys: []string{"s", "x"}, err: true},
		{keys: []string{"n", "0"}, err: true},
		{keys: []string{"S"}, err: true}, // case matters
	}
	for _, c := range cases {
		t.Run(strings.Join(c.keys, "/"), func(t *testing.T) {
			got, err := v.Lookup(c.keys...)
			if c.err {
				assert.ErrorIs(t, err, s1crets.ErrNotFound)
				assert.Equal(t, s1crets.Value{}, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.text, got.Text())
			assert.Equal(t, []byte(c.text), got.Bytes())
			assert.Equal(t, c.isJSON, got.IsJSON())
			assert.False(t, got.IsBinary())
			assert.Equal(t, c.iface, got.Interface())
			again, err := v.Lookup(c.keys...)
			require.NoError(t, err)
			assert.Equal(t, got.Text(), again.Text(), "the same each time")
			same, err := got.Lookup()
			require.NoError(t, err)
			assert.Equal(t, got.Text(), same.Text())
			if c.isJSON {
				var decoded any
				require.NoError(t, got.Decode(&decoded))
				assert.Equal(t, c.iface, normalize(t, got.Text()), "Text is the JSON of the result")
			} else {
				assert.ErrorIs(t, got.Decode(new(any)), s1crets.ErrInvalid, "a string found by Lookup is plain text")
			}
		})
	}
}

// normalize decodes JSON text with json.Number numbers.
func normalize(t *testing.T, text string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var x any
	require.NoError(t, dec.Decode(&x))
	return x
}

// What Lookup returns is the cached value's own node: changing what
// Interface returned changes neither it nor the root.
func TestLookupResultIsACopy(t *testing.T) {
	v := s1crets.NewValue(`{"a":{"b":[1,{"c":"d"}]}}`)
	a, err := v.Lookup("a")
	require.NoError(t, err)
	m := a.Interface().(map[string]any)
	m["b"].([]any)[1].(map[string]any)["c"] = "changed"
	m["x"] = 1
	again, err := v.Lookup("a")
	require.NoError(t, err)
	assert.Equal(t, `{"b":[1,{"c":"d"}]}`, again.Text())
	assert.Equal(t, `{"b":[1,{"c":"d"}]}`, a.Text())
	assert.Equal(t, map[string]any{"b": []any{json.Number("1"), map[string]any{"c": "d"}}}, a.Interface())
	assert.Equal(t, `{"a":{"b":[1,{"c":"d"}]}}`, v.Text())
}

// The text of an object or array found by Lookup keeps &, < and > as they
// are (encoding/json's default would write \u0026, \u003c, \u003e).
func TestLookupDoesNotEscapeHTML(t *testing.T) {
	v := s1crets.NewValue(`{"db":{"dsn":"user=a&pass=<b>","opts":{"q":"x>1 && y<2"}},` +
		`"list":[{"u":"a&b"},{"u":"<c>"}],"plain":"&<>"}`)
	for _, c := range []struct {
		keys []string
		want string
	}{
		{[]string{"db"}, `{"dsn":"user=a&pass=<b>","opts":{"q":"x>1 && y<2"}}`},
		{[]string{"db", "opts"}, `{"q":"x>1 && y<2"}`},
		{[]string{"db", "dsn"}, `user=a&pass=<b>`},
		{[]string{"list"}, `[{"u":"a&b"},{"u":"<c>"}]`},
		{[]string{"list", "1"}, `{"u":"<c>"}`},
		{[]string{"list", "u"}, `["a&b","<c>"]`},
		{[]string{"plain"}, `&<>`},
	} {
		r, err := v.Lookup(c.keys...)
		require.NoError(t, err, "%q", c.keys)
		assert.Equal(t, c.want, r.Text(), "%q", c.keys)
		assert.Equal(t, c.want, string(r.Bytes()), "%q", c.keys)
		assert.NotContains(t, r.Text(), `\u00`, "%q", c.keys)
	}
}

// A cached Value is read by many goroutines at once: the first reads of a
// node's text race to encode it (run with -race).
func TestLookupConcurrent(t *testing.T) {
	v := s1crets.NewValue(hostsDoc)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				h, err := v.Lookup("hosts")
				if !assert.NoError(t, err) {
					return
				}
				assert.Equal(t, `[{"name":"h0","port":1},{"name":"h1","port":2},{"name":"h2","port":3}]`, h.Text())
				e, err := h.Lookup(strconv.Itoa(i % 3))
				if !assert.NoError(t, err) {
					return
				}
				assert.Equal(t, fmt.Sprintf(`{"name":"h%d","port":%d}`, i%3, i%3+1), e.Text())
				names, err := v.Lookup("hosts", "name")
				if !assert.NoError(t, err) {
					return
				}
				assert.Equal(t, `["h0","h1","h2"]`, names.Text())
				var dst []struct{ Name string }
				assert.NoError(t, h.Decode(&dst))
			}
		}()
	}
	wg.Wait()
}

// Building the tree of a deep document takes memory linear in its size,
// not quadratic: the text of a nested node is only built when read.
func TestNewValueDeepDocumentIsLinear(t *testing.T) {
	const depth = 5000
	doc := strings.Repeat(`{"k":[`, depth) + `"leaf"` + strings.Repeat(`]}`, depth)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := s1crets.NewValue(doc)
	runtime.ReadMemStats(&after)
	require.True(t, v.IsJSON())
	perLevel := (after.TotalAlloc - before.TotalAlloc) / depth
	assert.Less(t, perLevel, uint64(4096), "bytes allocated per level of nesting")

	keys := make([]string, 0, 2*depth)
	for range depth {
		keys = append(keys, "k", "0")
	}
	r, err := v.Lookup(keys...)
	require.NoError(t, err)
	assert.Equal(t, "leaf", r.Text())
	mid, err := v.Lookup(keys[:2*depth-2]...)
	require.NoError(t, err)
	assert.Equal(t, `{"k":["leaf"]}`, mid.Text())
}

func TestLookupErrors(t *testing.T) {
	v := s1crets.NewValue(`{"db":{"user":"admin","port":5432,"on":true,"none":null},` +
		`"hosts":[{"name":"h0"},{"name":"h1"},{"port":3}],"nums":[1,2,3],"grid":[[{"x":1}],[{"y":2}]]}`)
	str, err := v.Lookup("db", "user")
	require.NoError(t, err)
	cases := []struct {
		v    s1crets.Value
		keys []string
		want string
	}{
		{v, []string{"port"}, `s1crets: lookup: key "port" not found at the top level`},
		{v, []string{"db", "pass"}, `s1crets: lookup: key "pass" not found at "db"`},
		{v, []string{"db", "user", "x"}, `s1crets: lookup: key "x" not found at "db/user": that is a string, not an object or array`},
		{v, []string{"db", "port", "0"}, `s1crets: lookup: key "0" not found at "db/port": that is a number, not an object or array`},
		{v, []string{"db", "on", "x"}, `s1crets: lookup: key "x" not found at "db/on": that is a boolean, not an object or array`},
		{v, []string{"db", "none", "x"}, `s1crets: lookup: key "x" not found at "db/none": that is null, not an object or array`},
		{v, []string{"hosts", "7"}, `s1crets: lookup: index "7" not found at "hosts": out of range, the array has 3 elements`},
		{v, []string{"hosts", "3", "name"}, `s1crets: lookup: index "3" not found at "hosts": out of range, the array has 3 elements`},
		{v, []string{"hosts", "name"}, `s1crets: lookup: key "name" not found at "hosts/2" ` +
			`("name" is not an array index, so the rest of the key path applies to every element of "hosts")`},
		{v, []string{"hosts", "-1"}, `s1crets: lookup: key "-1" not found at "hosts/0" ` +
			`("-1" is not an array index, so the rest of the key path applies to every element of "hosts")`},
		{v, []string{"nums", "x"}, `s1crets: lookup: key "x" not found at "nums/0": that is a number, not an object or array ` +
			`("x" is not an array index, so the rest of the key path applies to every element of "nums")`},
		{v, []string{"grid", "x"}, `s1crets: lookup: key "x" not found at "grid/1/0" ` +
			`("x" is not an array index, so the rest of the key path applies to every element of "grid/1")`},
		{v, []string{"grid", "0", "x", "z"}, `s1crets: lookup: key "z" not found at "grid/0/0/x": that is a number, not an object or array ` +
			`("x" is not an array index, so the rest of the key path applies to every element of "grid/0")`},
		{str, []string{"x"}, `s1crets: lookup: key "x" not found: the secret is plain text, not a JSON object or array`},
		{s1crets.NewValue("hunter2"), []string{"x"}, `s1crets: lookup: key "x" not found: the secret is plain text, not a JSON object or array`},
		{s1crets.NewBinaryValue([]byte("{}")), []string{"x"}, `s1crets: lookup: key "x" not found: the secret is binary, not a JSON object or array`},
		{s1crets.Value{}, []string{"x"}, `s1crets: lookup: key "x" not found: the secret is plain text, not a JSON object or array`},
		{s1crets.NewValue("[]"), []string{"0"}, `s1crets: lookup: index "0" not found at the top level: out of range, the array has 0 elements`},
		{s1crets.NewValue("12"), []string{"x"}, `s1crets: lookup: key "x" not found at the top level: that is a number, not an object or array`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.keys, "/"), func(t *testing.T) {
			_, err := c.v.Lookup(c.keys...)
			require.Error(t, err)
			assert.EqualError(t, err, c.want)
			assert.ErrorIs(t, err, s1crets.ErrNotFound)
			var se *s1crets.Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, "lookup", se.Op)
			assert.Empty(t, se.Provider)
			assert.Empty(t, se.Path)
		})
	}
}

type textFail struct{}

// UnmarshalText fails quoting its input, as some unmarshalers do.
func (*textFail) UnmarshalText(b []byte) error { return fmt.Errorf("bad %s", b) }

type jsonFail struct{}

// UnmarshalJSON fails quoting its input, with a type error that names it.
func (*jsonFail) UnmarshalJSON(b []byte) error {
	return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[int](), Field: "f"}
}

func TestDecodeErrors(t *testing.T) {
	v := s1crets.NewValue(`{"user":"admin","port":5432,"nested":{"deep":{"pw":"x"}},"list":[1,"two"]}`)
	str, err := v.Lookup("user")
	require.NoError(t, err)
	type nested struct {
		Nested struct {
			Deep struct {
				PW int `json:"pw"`
			} `json:"deep"`
		} `json:"nested"`
	}
	cases := []struct {
		name string
		v    s1crets.Value
		dst  any
		want string
	}{
		{"nil", v, nil, "s1crets: decode: Decode needs a non-nil pointer, got nil"},
		{"nil pointer", v, (*int)(nil), "s1crets: decode: Decode needs a non-nil pointer, got a nil *int"},
		{"not a pointer", v, 5, "s1crets: decode: Decode needs a non-nil pointer, got int"},
		{"field", v, new(struct {
			Port string `json:"port"`
		}), `s1crets: decode: cannot decode a JSON number into field "port" of type string`},
		{"nested field", v, new(nested), `s1crets: decode: cannot decode a JSON string into field "nested.deep.pw" of type int`},
		{"element", v, new(struct{ List []int }), `s1crets: decode: cannot decode a JSON string into field "List" of type int`},
		{"root", v, new([]string), `s1crets: decode: cannot decode a JSON object into []string`},
		{"overflow", v, new(struct{ Port uint8 }), `s1crets: decode: cannot decode a JSON number into field "Port" of type uint8`},
		{"plain text", s1crets.NewValue("hunter2"), new(any), "s1crets: decode: the secret is plain text, not JSON"},
		{"string found by Lookup", str, new(any), "s1crets: decode: the secret is plain text, not JSON"},
		{"binary", s1crets.NewBinaryValue([]byte("{}")), new(any), "s1crets: decode: the secret is binary, not JSON"},
		{"zero", s1crets.Value{}, new(any), "s1crets: decode: the secret is plain text, not JSON"},
		{"string tag", v, new(struct {
			User int `json:"user,string"`
		}), "s1crets: decode: cannot decode the secret into *struct { User int \"json:\\\"user,string\\\"\" }"},
		{"text unmarshaler", v, new(struct{ User textFail }), "s1crets: decode: cannot decode the secret into *struct { User s1crets_test.textFail }"},
		{"custom type error", v, new(jsonFail), `s1crets: decode: cannot decode a JSON value into field "f" of type int`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.v.Decode(c.dst)
			require.Error(t, err)
			assert.EqualError(t, err, c.want)
			assert.NotContains(t, err.Error(), "%!")
			assert.ErrorIs(t, err, s1crets.ErrInvalid)
			var se *s1crets.Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, "decode", se.Op)
		})
	}
}

// No error of Lookup or Decode quotes a secret: not whole, not a piece.
var pointerAddr = regexp.MustCompile(`0x[0-9a-f]+`)

func TestValueErrorsDoNotLeak(t *testing.T) {
	secrets := []string{"hunter2-xyz", "Zq9#vX-77kW", "73195573195", "4242-4242-1337", "c2VjcmV0LXNlY3JldA"}
	doc := `{"user":"hunter2-xyz","pin":73195573195,"list":["hunter2-xyz",73195573195,true],` +
		`"nested":{"deep":{"pw":"Zq9#vX-77kW"}},"card":"4242-4242-1337","b64":"c2VjcmV0LXNlY3JldA!",` +
		`"objs":[{"pw":"Zq9#vX-77kW"},{"pw":"hunter2-xyz","n":73195573195}]}`
	v := s1crets.NewValue(doc)
	values := map[string]s1crets.Value{
		"json": v, "plain": s1crets.NewValue("hunter2-xyz"), "binary": s1crets.NewBinaryValue([]byte("Zq9#vX-77kW")),
		"number": s1crets.NewValue("73195573195"), "string": s1crets.NewValue(`"hunter2-xyz"`),
	}
	var errs []error
	try := func(err error) {
		t.Helper()
		require.Error(t, err)
		errs = append(errs, err)
	}
	for _, keys := range [][]string{
		{"user", "x"}, {"pin", "x"}, {"list", "x"}, {"list", "9"}, {"list", "0", "x"}, {"list", "-1"},
		{"nested", "deep", "pw", "x"}, {"nested", "nope"}, {"objs", "n"}, {"objs", "pw", "x"}, {"card", "0"},
	} {
		_, err := v.Lookup(keys...)
		try(err)
	}
	for name, x := range values {
		if name != "json" {
			_, err := x.Lookup("x")
			try(err)
		}
	}
	for _, dst := range []any{
		new(struct{ User int }), new(struct{ Pin string }), new(struct{ Pin uint8 }), new(struct{ Pin bool }),
		new(struct{ List []int }), new(struct{ List []string }), new(struct{ List [3]float32 }),
		new(struct {
			User int `json:"user,string"`
		}),
		new(struct {
			Pin int `json:"pin,string"`
		}),
		new(struct {
			Card json.Number `json:"card"`
		}),
		new(struct {
			B64 []byte `json:"b64"`
		}),
		new(struct{ User textFail }), new(struct{ Objs []jsonFail }), new(jsonFail), new(map[string]int),
		new(map[string]string), new([]any), new(int), new(string), nil, 5, (*int)(nil),
		new(struct {
			Nested struct{ Deep struct{ PW float64 } }
		}),
	} {
		for _, x := range values {
			if err := x.Decode(dst); err != nil { // some fit: the string value into *string
				errs = append(errs, err)
			}
		}
	}
	require.Greater(t, len(errs), 100)
	// Words of the messages that share a piece with a secret ("nter").
	const vocabulary = "interface pointer"
	for _, err := range errs {
		msg := err.Error()
		assert.True(t, strings.HasPrefix(msg, "s1crets: "), "%q", msg)
		var se *s1crets.Error
		assert.ErrorAs(t, err, &se, "%q", msg)
		outs := []string{msg, fmt.Sprint(err), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err),
			fmt.Sprintf("%s %q", err, err)}
		for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
			outs = append(outs, e.Error(), fmt.Sprintf("%#v", e))
		}
		for _, out := range outs {
			out = pointerAddr.ReplaceAllString(out, "0x…") // %#v prints addresses: digits that are not the secret's
			for _, s := range secrets {
				for i := 0; i+4 <= len(s); i++ {
					if strings.Contains(vocabulary, s[i:i+4]) {
						continue
					}
					if !assert.NotContains(t, out, s[i:i+4], "a piece of %q in the error", s) {
						return
					}
				}
			}
		}
	}
}

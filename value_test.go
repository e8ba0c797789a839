package s1crets_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
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

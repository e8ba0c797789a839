package s1crets_test

// Fuzz targets for the parsers of the root package: JSON detection in
// NewValue, key-path lookup, Decode's error messages, and the path rules of
// the memory provider (the same as Parameter Store's). Seed corpora are in
// testdata/fuzz/<target>; scripts/fuzz.sh runs every target for a while.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/providers/memory"
)

// decodeJSON is the reference decoder: one JSON document and nothing after
// it, numbers as json.Number.
func decodeJSON(text string) (any, bool) {
	if !json.Valid([]byte(text)) {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return v, true
}

// arrayIndex reports whether key selects an array element: a non-negative
// decimal integer without leading zeros or sign that fits an int.
func arrayIndex(key string) (int, bool) {
	if key == "" || (len(key) > 1 && key[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int(c - '0')
		if n > (math.MaxInt-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// refLookup is Value.Lookup's documented semantics, written apart from it:
// a key selects an object member; on an array, an index selects an element
// and any other key applies the rest of the path to every element. It also
// returns the position of the first such fan-out, or len(keys).
func refLookup(node any, keys []string) (result any, ok bool, fan int) {
	fan = len(keys)
	for i, k := range keys {
		switch n := node.(type) {
		case map[string]any:
			c, found := n[k]
			if !found {
				return nil, false, fan
			}
			node = c
		case []any:
			if idx, isIndex := arrayIndex(k); isIndex {
				if idx >= len(n) {
					return nil, false, fan
				}
				node = n[idx]
				continue
			}
			out := make([]any, 0, len(n))
			for _, e := range n {
				r, ok, _ := refLookup(e, keys[i:])
				if !ok {
					return nil, false, i
				}
				out = append(out, r)
			}
			return out, true, i
		default:
			return nil, false, fan
		}
	}
	return node, true, fan
}

func splitKeys(path string) []string {
	if path == "" {
		return nil
	}
	keys := strings.Split(path, "/")
	if len(keys) > 32 {
		keys = keys[:32]
	}
	return keys
}

// checkResult checks that r, the result of a lookup, is want: a string as
// plain text, anything else as its JSON encoding.
func checkResult(t *testing.T, r s1crets.Value, want any) {
	t.Helper()
	if s, isString := want.(string); isString {
		if r.IsJSON() || r.Text() != s {
			t.Fatalf("a string result: IsJSON %v, Text %q, want %q", r.IsJSON(), r.Text(), s)
		}
		return
	}
	if !r.IsJSON() {
		t.Fatalf("a non-string result is not JSON: %q", r.Text())
	}
	if !reflect.DeepEqual(r.Interface(), want) {
		t.Fatalf("Interface() = %#v, want %#v", r.Interface(), want)
	}
	back, ok := decodeJSON(r.Text())
	if !ok || !reflect.DeepEqual(back, want) {
		t.Fatalf("Text %q does not decode to the result", r.Text())
	}
	if same, err := r.Lookup(); err != nil || same.Text() != r.Text() {
		t.Fatalf("Lookup() of a result: %v", err)
	}
}

// FuzzLookup: any JSON text and key path. Lookup never panics, agrees with
// refLookup, fails only with ErrNotFound, and looking up a prefix of the
// keys then the rest gives the same result as long as the prefix does not
// fan out over an array. (After a fan-out it may not: in
// [{"a":[1,2]},{"a":[3,4]}], the path a/0 gives [1,3], while a then 0 gives
// [1,2], the first element of the fanned-out array: the documented
// semantics apply the whole rest of the path to every element.)
func FuzzLookup(f *testing.F) {
	for _, s := range []struct{ doc, path string }{
		{`{"user":"admin","port":5432}`, "user"},
		{`{"a":{"b":{"c":"d"}}}`, "a/b/c"},
		{`{"list":[{"a":1},{"a":2}]}`, "list/a"},
		{`{"list":[{"a":1},{"a":2}]}`, "list/1/a"},
		{`[{"a":[1,2]},{"a":[3,4]}]`, "a/0"},
		{`[[{"x":1}],[{"x":2},{"x":3}]]`, "x"},
		{`{"zero":0,"empty":"","off":false,"null":null}`, "zero"},
		{`{"":{"":1}}`, "/"},
		{`[1,2,3]`, "01"},
		{`[1,2,3]`, "-1"},
		{`[1,2,3]`, "9223372036854775807"},
		{`{"a":"b"}`, "a/b"},
		{`"just a string"`, "x"},
		{`not json`, "x"},
		{`{"a":1}`, ""},
		{`{"a":1} {"b":2}`, "a"},
	} {
		f.Add(s.doc, s.path)
	}
	f.Fuzz(func(t *testing.T, doc, path string) {
		keys := splitKeys(path)
		v := s1crets.NewValue(doc)
		r, err := v.Lookup(keys...)
		root, isJSON := decodeJSON(doc)
		if isJSON != v.IsJSON() {
			t.Fatalf("IsJSON = %v, json.Valid and decodable = %v", v.IsJSON(), isJSON)
		}
		if len(keys) == 0 {
			if err != nil || r.Text() != doc {
				t.Fatalf("Lookup() = %q, %v; want the value itself", r.Text(), err)
			}
			return
		}
		if err != nil {
			if !errors.Is(err, s1crets.ErrNotFound) || !strings.HasPrefix(err.Error(), "s1crets: ") {
				t.Fatalf("Lookup error %q is not a s1crets ErrNotFound", err)
			}
		}
		if !isJSON {
			if err == nil {
				t.Fatal("Lookup into a non-JSON value succeeded")
			}
			return
		}
		want, ok, fan := refLookup(root, keys)
		if ok != (err == nil) {
			t.Fatalf("Lookup(%q) error = %v, reference found = %v", keys, err, ok)
		}
		if !ok {
			return
		}
		checkResult(t, r, want)
		for i := 1; i <= fan && i < len(keys); i++ {
			mid, err := v.Lookup(keys[:i]...)
			if err != nil {
				t.Fatalf("Lookup(%q) failed although Lookup(%q) succeeded: %v", keys[:i], keys, err)
			}
			r2, err := mid.Lookup(keys[i:]...)
			if err != nil || r2.Text() != r.Text() {
				t.Fatalf("Lookup(%q).Lookup(%q) = %q, %v; Lookup(%q) = %q", keys[:i], keys[i:], r2.Text(), err, keys, r.Text())
			}
		}
	})
}

// mutate changes every container in x in place.
func mutate(x any) {
	switch n := x.(type) {
	case map[string]any:
		for k, e := range n {
			mutate(e)
			n[k] = "mutated"
		}
		n["added"] = true
	case []any:
		for i, e := range n {
			mutate(e)
			n[i] = "mutated"
		}
	}
}

// FuzzNewValue: any text. NewValue never panics, keeps the text, is JSON
// exactly when the text is one JSON document, hands out deep copies, and
// never prints the text.
func FuzzNewValue(f *testing.F) {
	for _, s := range []string{
		"hunter2", "", " ", `{"a":1}`, ` [1, "x"] `, "12345", "-0.5e10", "1e999999", `"quoted"`, "true", "null",
		"nul", "tru", "{", `{"a":1} x`, `{"a":1} {}`, "1 2", "\ufeff{}", `"\ud800"`, "\"\xff\"", "0x10", "01",
		`{"a":{"b":[1,{"c":null}]}}`, strings.Repeat("[", 100) + strings.Repeat("]", 100), "- 1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		v := s1crets.NewValue(text)
		if v.Text() != text || !bytes.Equal(v.Bytes(), []byte(text)) {
			t.Fatal("the text does not round-trip")
		}
		if v.IsBinary() {
			t.Fatal("a text value is binary")
		}
		if s := fmt.Sprint(v); s != s1crets.Redacted {
			t.Fatalf("Sprint = %q", s)
		}
		if s := fmt.Sprintf("%#v %+v %q %x", v, v, v, v); strings.Count(s, s1crets.Redacted) != 4 {
			t.Fatalf("Sprintf = %q", s)
		}
		want, isJSON := decodeJSON(text)
		if v.IsJSON() != isJSON {
			t.Fatalf("IsJSON = %v, json.Valid and decodable = %v", v.IsJSON(), isJSON)
		}
		if !isJSON {
			if v.Interface() != text {
				t.Fatalf("Interface() of a non-JSON value = %#v", v.Interface())
			}
			if err := v.Decode(new(any)); !errors.Is(err, s1crets.ErrInvalid) {
				t.Fatalf("Decode of a non-JSON value: %v", err)
			}
		} else {
			first := v.Interface()
			if !reflect.DeepEqual(first, want) {
				t.Fatalf("Interface() = %#v, want %#v", first, want)
			}
			mutate(first)
			if second := v.Interface(); !reflect.DeepEqual(second, want) {
				t.Fatalf("changing what Interface returned changed the value: %#v", second)
			}
			var got, ref any
			err, refErr := v.Decode(&got), json.Unmarshal([]byte(text), &ref)
			if (err == nil) != (refErr == nil) {
				t.Fatalf("Decode error %v, json.Unmarshal error %v", err, refErr)
			}
			if err == nil && !reflect.DeepEqual(got, ref) {
				t.Fatalf("Decode = %#v, json.Unmarshal = %#v", got, ref)
			}
		}
		if same, err := v.Lookup(); err != nil || same.Text() != text {
			t.Fatalf("Lookup() = %v", err)
		}

		b := s1crets.NewBinaryValue([]byte(text))
		if !b.IsBinary() || b.IsJSON() || b.Text() != text || !bytes.Equal(b.Interface().([]byte), []byte(text)) {
			t.Fatal("a binary value does not keep its bytes as they are")
		}
		if _, err := b.Lookup("x"); !errors.Is(err, s1crets.ErrNotFound) {
			t.Fatalf("Lookup into a binary value: %v", err)
		}
		if fmt.Sprint(b) != s1crets.Redacted {
			t.Fatal("a binary value prints")
		}
	})
}

type probe struct {
	N int              `json:"n"`
	S string           `json:"s"`
	L []int            `json:"l"`
	M map[string]int   `json:"m"`
	B bool             `json:"b"`
	F float32          `json:"f"`
	U uint8            `json:"u"`
	O *probe           `json:"o"`
	A [2]string        `json:"a"`
	I map[int]string   `json:"i"`
	X map[string][]int `json:"x"`
}

// leaves returns the scalar texts of a decoded document (strings, and
// numbers as written) and its object keys.
func leaves(node any, vals, keys *[]string) {
	switch n := node.(type) {
	case map[string]any:
		for k, e := range n {
			*keys = append(*keys, k)
			leaves(e, vals, keys)
		}
	case []any:
		for _, e := range n {
			leaves(e, vals, keys)
		}
	case string:
		*vals = append(*vals, n)
	case json.Number:
		*vals = append(*vals, string(n))
	}
}

// FuzzValueDecode: Decode into Go types that do not fit. Its errors start
// with "s1crets: " and never quote a value of the secret: they may name
// types, fields and keys, nothing else.
func FuzzValueDecode(f *testing.F) {
	for _, s := range []string{
		`{"n":"LEAK-CANARY-string"}`, `{"s":73195573195}`, `{"l":[1,"LEAK-CANARY-in-list"]}`, `{"m":{"k":"LEAK-CANARY-map"}}`,
		`{"u":1234567}`, `{"f":1e300}`, `{"o":{"o":{"n":"deep-LEAK-CANARY"}}}`, `{"a":["x","y","LEAK-CANARY-third"]}`,
		`{"i":{"not-an-int":"v"}}`, `{"i":{"12345678901234567890123":"v"}}`, `{"x":{"k":[1,2,"LEAK-CANARY-x"]}}`,
		`[{"n":"LEAK-CANARY"}]`, `"LEAK-CANARY"`, `98765432109876543210`, `true`, `null`, `{"b":"yes-LEAK-CANARY"}`,
	} {
		f.Add(s)
	}
	dsts := []func() any{
		func() any { return new(probe) }, func() any { return new([]probe) }, func() any { return new(map[string]probe) },
		func() any { return new(int) }, func() any { return new(string) }, func() any { return new(bool) },
		func() any { return new([]string) }, func() any { return new(map[string]bool) }, func() any { return new(uint8) },
		func() any { return new(float32) }, func() any { return new([1]int) }, func() any { return new(json.Number) },
	}
	var vocabulary []string
	for _, d := range dsts {
		vocabulary = append(vocabulary, reflect.TypeOf(d()).String(), reflect.TypeOf(d()).Elem().String())
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[probe](), reflect.TypeFor[*probe]()} {
		vocabulary = append(vocabulary, typ.String())
	}
	for i := range reflect.TypeFor[probe]().NumField() {
		fld := reflect.TypeFor[probe]().Field(i)
		vocabulary = append(vocabulary, fld.Name, fld.Tag.Get("json"), fld.Type.String())
	}
	f.Fuzz(func(t *testing.T, text string) {
		v := s1crets.NewValue(text)
		doc, ok := decodeJSON(text)
		if !ok {
			return
		}
		var vals, keys []string
		leaves(doc, &vals, &keys)
		for _, d := range dsts {
			dst := d()
			err := v.Decode(dst)
			if err == nil {
				continue
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "s1crets: ") {
				t.Fatalf("Decode error %q does not start with s1crets: ", msg)
			}
			allowed := strings.Join(append(slices.Clone(vocabulary), append(keys, "s1crets: cannot decode a JSON object array number string bool null into field of type Decode needs a non-nil pointer, got the secret")...), " ")
			for _, leaf := range vals {
				if len(leaf) >= 4 && strings.Contains(msg, leaf) && !strings.Contains(allowed, leaf) {
					t.Fatalf("Decode into %T: error %q quotes the secret's %q", dst, msg, leaf)
				}
			}
		}
	})
}

// FuzzMemoryPaths: the path rules of the memory provider, which are
// Parameter Store's. GetByPath returns exactly the names below the path, at
// a "/" boundary (only direct children without Recursive); PathExists is
// true for a name or a path with names below it; Update is read back.
func FuzzMemoryPaths(f *testing.F) {
	for _, s := range []struct{ names, path, value string }{
		{"/a/b\n/a/bc\n/x/y/z", "/a/b", "new"},
		{"/a/b\n/a/bc\n/x/y/z", "/a", "v"},
		{"/a/b\n/a/bc", "/a/", ""},
		{"/a/b/c\n/a/b/d/e", "/a/b", "{\"k\":1}"},
		{"a\nab\na/b", "a", "x"},
		{"/\n//\n/a", "/", "y"},
		{"/a//b\n/a/", "/a/", "z"},
		{"", "/nothing", "n"},
	} {
		f.Add(s.names, s.path, s.value)
	}
	f.Fuzz(func(t *testing.T, names, path, value string) {
		contents := map[string]string{}
		for i, n := range strings.Split(names, "\n") {
			if n != "" && i < 16 {
				contents[n] = fmt.Sprintf("value %d of %q", i, n)
			}
		}
		p, err := memory.New(contents)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if path == "" {
			if _, err := p.GetByPath(ctx, path); !errors.Is(err, s1crets.ErrInvalid) {
				t.Fatalf("GetByPath of an empty path: %v", err)
			}
			return
		}
		dir := strings.TrimSuffix(path, "/") + "/"
		all, err := p.GetByPath(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		direct, err := p.GetByPath(ctx, path, s1crets.Recursive(false))
		if err != nil {
			t.Fatal(err)
		}
		for name, text := range contents {
			below := strings.HasPrefix(name, dir) && len(name) > len(dir)
			v, in := all[name]
			if in != below {
				t.Fatalf("GetByPath(%q) has %q: %v, want %v", path, name, in, below)
			}
			if in && v.Text() != text {
				t.Fatalf("GetByPath(%q)[%q] = %q, want %q", path, name, v.Text(), text)
			}
			_, inDirect := direct[name]
			if wantDirect := below && !strings.Contains(name[len(dir):], "/"); inDirect != wantDirect {
				t.Fatalf("GetByPath(%q, Recursive(false)) has %q: %v, want %v", path, name, inDirect, wantDirect)
			}
		}
		if len(all) > len(contents) || len(direct) > len(all) {
			t.Fatalf("GetByPath(%q) invents names: %d, %d of %d", path, len(all), len(direct), len(contents))
		}
		_, isName := contents[path]
		exists, err := p.PathExists(ctx, path)
		if err != nil || exists != (isName || len(all) > 0) {
			t.Fatalf("PathExists(%q) = %v, %v; name %v, %d below", path, exists, err, isName, len(all))
		}

		err = p.Update(ctx, path, value)
		if !isName {
			if !errors.Is(err, s1crets.ErrNotFound) {
				t.Fatalf("Update of a missing name: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Get(ctx, path)
		if err != nil || got.Text() != value {
			t.Fatalf("Get after Update = %q, %v; want %q", got.Text(), err, value)
		}
		for _, parent := range []string{"/", path[:max(strings.LastIndexByte(path, '/'), 0)]} {
			if parent == "" {
				continue
			}
			m, err := p.GetByPath(ctx, parent)
			if err != nil {
				t.Fatal(err)
			}
			if v, in := m[path]; in && v.Text() != value {
				t.Fatalf("GetByPath(%q) after Update serves the old value", parent)
			}
		}
	})
}

// FuzzTierValue: a tier entry's value (from a disk file or Redis, which
// another process wrote) never panics the reader, and what decodes
// encodes back to a value with the same bytes and Meta.
func FuzzTierValue(f *testing.F) {
	f.Add([]byte("thunter2"))
	f.Add([]byte("b\x00\x01"))
	f.Add(s1crets.EncodeTierValue(s1crets.NewValue(`{"a":1}`)))
	f.Add([]byte("T\x0d{\"Name\":\"x\"}v"))
	f.Add([]byte("B\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, ok := s1crets.DecodeTierValue(b)
		if !ok {
			return
		}
		again, ok := s1crets.DecodeTierValue(s1crets.EncodeTierValue(v))
		if !ok {
			t.Fatal("a decoded value does not decode after encoding")
		}
		if again.IsBinary() != v.IsBinary() || !bytes.Equal(again.Bytes(), v.Bytes()) {
			t.Fatal("the value changed in a round trip")
		}
		if !reflect.DeepEqual(again.Meta(), v.Meta()) {
			t.Fatal("the Meta changed in a round trip")
		}
	})
}

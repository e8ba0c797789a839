package s1crets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strconv"
	"unsafe"
)

// Redacted is what every fmt verb, String, GoString, slog and encoding/json
// print for a Value. Use Text, Bytes, Interface, Decode or Lookup to read the
// secret itself.
const Redacted = "[REDACTED]"

// Value is a secret as a provider returned it: text or binary, and when the
// text is a JSON document, its decoded form. JSON is decoded once, when the
// value is fetched, not on every read.
//
// A Value is immutable and safe for concurrent use; copying it is cheap. The
// zero Value is an empty text secret. Printing a Value in any way (fmt, slog,
// encoding/json, a panic) shows [Redacted], never the secret.
type Value struct {
	// ptr is the shared, immutable *payload. It is an unsafe.Pointer, not a
	// *payload, so that fmt cannot print the secret through it: for a Value
	// in an unexported struct field, fmt cannot call Format, and a verb that
	// does not fit a pointer (%s, %q, %d, ...) makes it print the pointed-to
	// struct in full. An unsafe.Pointer prints as an address. It is never
	// used for arithmetic. Nil means the empty text secret.
	ptr unsafe.Pointer

	stale bool // served past its expiry by CacheConfig.MaxStale
}

func (v Value) payload() *payload { return (*payload)(v.ptr) }

func wrap(p *payload) Value { return Value{ptr: unsafe.Pointer(p)} }

// Stale reports whether the value was served from the cache past its
// expiry because the refresh failed for a transient reason (see
// CacheConfig.MaxStale).
func (v Value) Stale() bool { return v.stale }

type payload struct {
	text   string // the secret as text; for binary secrets, empty
	bin    []byte // the secret bytes when binary
	binary bool
	isJSON bool
	json   any // decoded JSON (json.Number for numbers) when isJSON
}

// NewValue returns a text Value. When text is a JSON document, it is decoded
// now, so that key-path lookups never decode again.
func NewValue(text string) Value {
	p := &payload{text: text}
	if looksLikeJSON(text) {
		dec := json.NewDecoder(bytes.NewReader([]byte(text)))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			if _, err := dec.Token(); err == io.EOF { // nothing after the document
				p.isJSON, p.json = true, v
			}
		}
	}
	return wrap(p)
}

// NewBinaryValue returns a binary Value holding a copy of b. Binary values are
// never decoded as JSON, as in the original s1crets.
func NewBinaryValue(b []byte) Value {
	return wrap(&payload{bin: bytes.Clone(b), binary: true})
}

// looksLikeJSON is a cheap test that skips the decoder for plain passwords.
func looksLikeJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{', '[', '"', '-', 't', 'f', 'n':
			return true
		default:
			return c >= '0' && c <= '9'
		}
	}
	return false
}

// fromJSON returns the Value of a decoded JSON node (a lookup result).
func fromJSON(v any) Value {
	if s, ok := v.(string); ok {
		return wrap(&payload{text: s})
	}
	b, err := json.Marshal(v)
	if err != nil { // decoded JSON always encodes
		panic("s1crets: re-encoding decoded JSON failed")
	}
	return wrap(&payload{text: string(b), isJSON: true, json: v})
}

// Text returns the secret as text. For a binary secret it returns the bytes
// as a string; for a JSON value found by Lookup that is not a string, its
// JSON encoding.
func (v Value) Text() string {
	p := v.payload()
	if p == nil {
		return ""
	}
	if p.binary {
		return string(p.bin)
	}
	return p.text
}

// Bytes returns a copy of the secret's bytes (the text for text secrets).
func (v Value) Bytes() []byte {
	p := v.payload()
	if p == nil {
		return []byte{}
	}
	if p.binary {
		return bytes.Clone(p.bin)
	}
	return []byte(p.text)
}

// IsBinary reports whether the store holds the secret as bytes (a Secrets
// Manager SecretBinary) rather than text.
func (v Value) IsBinary() bool { p := v.payload(); return p != nil && p.binary }

// IsJSON reports whether the secret's text is a JSON document (as Python's
// json.loads accepts it: objects, arrays, numbers, strings, true, false,
// null). A key path can only look into objects and arrays.
func (v Value) IsJSON() bool { p := v.payload(); return p != nil && p.isJSON }

// Interface returns the secret as the original s1crets returns it: the
// decoded JSON (map[string]any, []any, json.Number, string, bool or nil)
// when IsJSON, []byte when IsBinary, else the text. The result is a fresh
// copy: changing it does not change the cached value.
func (v Value) Interface() any {
	p := v.payload()
	switch {
	case p == nil:
		return ""
	case p.binary:
		return bytes.Clone(p.bin)
	case p.isJSON:
		return deepCopy(p.json)
	default:
		return p.text
	}
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	default:
		return v
	}
}

// Decode stores the JSON secret in the value pointed to by dst, as
// json.Unmarshal does. Its errors name the Go type and field that did not
// fit, never the secret's content.
func (v Value) Decode(dst any) error {
	if !v.IsJSON() {
		return fmt.Errorf("%w: Decode needs a JSON value; this secret is %s", ErrInvalid, v.kind())
	}
	err := json.Unmarshal([]byte(v.payload().text), dst)
	if err == nil {
		return nil
	}
	// encoding/json's messages can quote the secret ("cannot unmarshal
	// number 1234 into ..."): keep only what names the destination.
	var te *json.UnmarshalTypeError
	var ie *json.InvalidUnmarshalError
	switch {
	case errors.As(err, &te):
		where := te.Type.String()
		if te.Field != "" {
			where = "field " + strconv.Quote(te.Field) + " of type " + where
		}
		return fmt.Errorf("s1crets: cannot decode a JSON %s into %s", jsonKind(te.Value), where)
	case errors.As(err, &ie):
		return fmt.Errorf("s1crets: Decode needs a non-nil pointer, got %s", reflect.TypeOf(dst))
	default:
		return fmt.Errorf("s1crets: cannot decode the secret into %T", dst)
	}
}

// jsonKind keeps the kind word of an UnmarshalTypeError value ("number 12"
// -> "number").
func jsonKind(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			return s[:i]
		}
	}
	return s
}

func (v Value) kind() string {
	switch {
	case v.IsBinary():
		return "binary"
	case v.IsJSON():
		return "JSON"
	default:
		return "plain text"
	}
}

// Lookup follows a key path into a JSON secret, as the original's keypath:
// each key selects a member of an object; on an array, a key that is a
// non-negative integer selects that element, and any other key is applied
// to every element, the rest of the path too, giving an array of results.
// A key that is missing, or keys left over at a scalar, give ErrNotFound.
// With no keys, Lookup returns v itself.
func (v Value) Lookup(keys ...string) (Value, error) {
	if len(keys) == 0 {
		return v, nil
	}
	if !v.IsJSON() {
		return Value{}, fmt.Errorf("%w: key %q: the secret is %s, not a JSON object or array", ErrNotFound, keys[0], v.kind())
	}
	r, err := lookup(v.payload().json, keys)
	if err != nil {
		return Value{}, err
	}
	return fromJSON(r), nil
}

func lookup(node any, keys []string) (any, error) {
	for i, k := range keys {
		switch n := node.(type) {
		case map[string]any:
			c, ok := n[k]
			if !ok {
				return nil, fmt.Errorf("%w: key %q", ErrNotFound, k)
			}
			node = c
		case []any:
			if idx, err := strconv.Atoi(k); err == nil && idx >= 0 && k == strconv.Itoa(idx) {
				if idx >= len(n) {
					return nil, fmt.Errorf("%w: index %d of an array of %d", ErrNotFound, idx, len(n))
				}
				node = n[idx]
				continue
			}
			out := make([]any, len(n))
			for j, e := range n {
				r, err := lookup(e, keys[i:])
				if err != nil {
					return nil, err
				}
				out[j] = r
			}
			return out, nil
		default:
			return nil, fmt.Errorf("%w: key %q: not an object or array at that point", ErrNotFound, k)
		}
	}
	return node, nil
}

// String returns [Redacted].
func (v Value) String() string { return Redacted }

// GoString returns [Redacted], for %#v.
func (v Value) GoString() string { return Redacted }

// Format prints [Redacted] for every verb.
func (v Value) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(Redacted)) }

// LogValue makes log/slog print [Redacted].
func (v Value) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON encodes [Redacted]: a Value inside a struct that is encoded
// for a log or an API answer does not leak. Encode Interface() to get the
// secret.
func (v Value) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText encodes [Redacted], for encoders that use encoding.TextMarshaler.
func (v Value) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

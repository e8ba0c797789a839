package s1crets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/s1crets/s1crets/driver"
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

// Meta is what a store says about a secret besides its value (ARN,
// version, dates, type): the Meta of package driver.
type Meta = driver.Meta

// Meta returns what the store said about the secret besides its value: its
// ARN, version, creation date and, for Parameter Store, type. It is the zero
// Meta for a value the store said nothing more about (package memory), for a
// Value built with NewValue or NewBinaryValue, and for a Value found by Lookup
// or KeyPath inside a secret.
func (v Value) Meta() Meta {
	p := v.payload()
	if p == nil || p.meta == nil {
		return Meta{}
	}
	m := *p.meta
	m.Stages = slices.Clone(m.Stages)
	return m
}

// Stale reports whether the value was served from the cache past its
// expiry because the refresh failed for a transient reason (see
// CacheConfig.MaxStale). A value found by Lookup in a stale value is stale
// too.
func (v Value) Stale() bool { return v.stale }

// valueKind is what a payload holds. A JSON document is a tree of
// payloads, one per node, so that Lookup walks it without building anything.
type valueKind uint8

const (
	textValue   valueKind = iota // a text secret that is not JSON
	binaryValue                  // a binary secret
	jsonString                   // a JSON string below the root: it reads as plain text
	jsonNumber
	jsonBool
	jsonNull
	jsonObject
	jsonArray
)

// scalarPhrases name the JSON nodes a key path cannot go into.
var scalarPhrases = [...]string{jsonString: "a string", jsonNumber: "a number", jsonBool: "a boolean", jsonNull: "null"}

// payload is what a Value points to. It never changes once built, except
// for the text of an object or array below the root (lazy), which is
// encoded on first use.
type payload struct {
	text string // the secret as text; for binary secrets, empty; see lazy
	bin  []byte // the secret bytes when binary
	// json is the decoded document or node (json.Number for numbers) when
	// isJSON, shared with the root's tree.
	json any
	tree *jsonContainer // for an object or array, its members or elements
	meta *Meta          // what the store said besides the value; root payloads only
	// isJSON: text is a JSON document. False for a JSON string below the
	// root, which reads as plain text.
	isJSON bool
	binary bool
	kind   valueKind
	lazy   bool // text is empty: tree encodes json on first use
	// indirect: binary or lazy, the secret's text is not text. One flag
	// for both keeps Text within the inliner's budget.
	indirect bool
}

// jsonContainer is what an object or array node holds beyond a payload: a
// separate struct, so that a plain secret's payload stays small.
type jsonContainer struct {
	members map[string]*payload // jsonObject: each member, already a payload
	elems   []*payload          // jsonArray: each element, already a payload
	once    sync.Once           // guards text
	text    string              // the compact JSON of a lazy payload
}

// Payloads of the JSON literals below the root, shared by every document.
var (
	truePayload  = &payload{text: "true", kind: jsonBool, isJSON: true, json: true}
	falsePayload = &payload{text: "false", kind: jsonBool, isJSON: true, json: false}
	nullPayload  = &payload{text: "null", kind: jsonNull, isJSON: true}
)

// NewValue returns a text Value. When text is a JSON document, it is decoded
// now, into a tree where every object member and array element is a Value
// of its own, so that key-path lookups neither decode nor allocate.
func NewValue(text string) Value {
	if looksLikeJSON(text) {
		dec := json.NewDecoder(strings.NewReader(text))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			if _, err := dec.Token(); err == io.EOF { // nothing after the document
				p := &payload{text: text, isJSON: true, json: v}
				p.kind, p.tree = jsonChildren(v)
				return wrap(p)
			}
		}
	}
	return wrap(&payload{text: text})
}

// NewBinaryValue returns a binary Value holding a copy of b. Binary values are
// never decoded as JSON, as in the original s1crets.
func NewBinaryValue(b []byte) Value {
	return wrap(&payload{bin: bytes.Clone(b), binary: true, kind: binaryValue, indirect: true})
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

// jsonChildren returns the kind of the decoded node x and, for an object
// or an array, the payloads of its members or elements.
func jsonChildren(x any) (valueKind, *jsonContainer) {
	switch x := x.(type) {
	case map[string]any:
		m := make(map[string]*payload, len(x))
		for k, e := range x {
			m[k] = jsonNode(e)
		}
		return jsonObject, &jsonContainer{members: m}
	case []any:
		s := make([]*payload, len(x))
		for i, e := range x {
			s[i] = jsonNode(e)
		}
		return jsonArray, &jsonContainer{elems: s}
	case string:
		return jsonString, nil
	case json.Number:
		return jsonNumber, nil
	case bool:
		return jsonBool, nil
	default:
		return jsonNull, nil
	}
}

// jsonNode returns the payload of a decoded node below the root. A scalar
// gets its text now, at no cost: a string is its own text, a number its
// json.Number. An object's or array's text is encoded only when asked for:
// keeping the text of every nested container would take memory quadratic
// in the depth of the document. (Reading the text of every node of a deep
// document still costs that much time, once.)
func jsonNode(x any) *payload {
	switch x := x.(type) {
	case string:
		return &payload{text: x, kind: jsonString, json: x}
	case json.Number:
		return &payload{text: string(x), kind: jsonNumber, isJSON: true, json: x}
	case bool:
		if x {
			return truePayload
		}
		return falsePayload
	case nil:
		return nullPayload
	}
	p := &payload{isJSON: true, lazy: true, indirect: true, json: x}
	p.kind, p.tree = jsonChildren(x)
	return p
}

// str returns the text of a payload that is not binary, encoding an object's
// or array's on first use.
func (p *payload) str() string {
	if p.lazy {
		p.tree.once.Do(func() { p.tree.text = compactJSON(p.json) })
		return p.tree.text
	}
	return p.text
}

// compactJSON encodes a decoded node: object keys sorted, and no HTML
// escaping (a secret's "&" stays "&").
func compactJSON(x any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil { // decoded JSON always encodes
		panic("s1crets: re-encoding decoded JSON failed")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// Text returns the secret as text. For a binary secret it returns the bytes
// as a string; for a JSON value found by Lookup that is not a string, its
// compact JSON encoding.
func (v Value) Text() string {
	if p := (*payload)(v.ptr); p != nil && !p.indirect {
		return p.text // Text stays inlinable: it is the read of every cache hit
	}
	return v.slowText()
}

// slowText is Text of the zero Value, a binary secret or a lazy node.
func (v Value) slowText() string {
	p := v.payload()
	switch {
	case p == nil:
		return ""
	case p.binary:
		return string(p.bin)
	default:
		return p.str()
	}
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
	return []byte(p.str())
}

// IsBinary reports whether the store holds the secret as bytes (a Secrets
// Manager SecretBinary) rather than text.
func (v Value) IsBinary() bool { p := v.payload(); return p != nil && p.binary }

// IsJSON reports whether the secret's text is a JSON document (as Python's
// json.loads accepts it: objects, arrays, numbers, strings, true, false,
// null). A key path can only look into objects and arrays. A JSON string
// found by Lookup is plain text: IsJSON is false and Text is the string.
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

// valueDetail is the cause inside an *Error of a Value method: a message for
// people and a sentinel for errors.Is.
type valueDetail struct {
	msg      string
	sentinel error
}

func (d *valueDetail) Error() string { return d.msg }
func (d *valueDetail) Unwrap() error { return d.sentinel }

func valueError(op string, sentinel error, msg string) error {
	return &Error{Op: op, Err: &valueDetail{msg: msg, sentinel: sentinel}}
}

// Decode stores the JSON secret in the value pointed to by dst, as
// json.Unmarshal does. Its errors are *Error with Op "decode", match
// ErrInvalid, and name the Go type and field that did not fit, never the
// secret's content.
func (v Value) Decode(dst any) error {
	p := v.payload()
	if p == nil || !p.isJSON {
		return valueError("decode", ErrInvalid, "the secret is "+v.kindName()+", not JSON")
	}
	err := json.Unmarshal([]byte(p.str()), dst)
	if err == nil {
		return nil
	}
	return valueError("decode", ErrInvalid, decodeMessage(err, dst))
}

// decodeMessage describes err, an error of json.Unmarshal into dst, by types
// and field names only. encoding/json's own messages can quote the secret
// ("cannot unmarshal number 1234 into ...", ",string" tag errors, the
// errors of custom unmarshalers), and its offsets tell where in the
// secret it failed: none of that is kept.
func decodeMessage(err error, dst any) string {
	var te *json.UnmarshalTypeError
	var ie *json.InvalidUnmarshalError
	switch {
	case errors.As(err, &ie):
		switch t := reflect.TypeOf(dst); {
		case t == nil:
			return "Decode needs a non-nil pointer, got nil"
		case t.Kind() == reflect.Pointer:
			return "Decode needs a non-nil pointer, got a nil " + t.String()
		default:
			return "Decode needs a non-nil pointer, got " + t.String()
		}
	case errors.As(err, &te) && te.Type != nil:
		into := te.Type.String()
		if te.Field != "" {
			into = "field " + strconv.Quote(te.Field) + " of type " + into
		}
		return "cannot decode a JSON " + jsonKind(te.Value) + " into " + into
	default:
		return fmt.Sprintf("cannot decode the secret into %T", dst)
	}
}

// jsonKind keeps the kind word of an UnmarshalTypeError value ("number 12"
// -> "number"), and only a kind word: an error made by a custom
// unmarshaler may hold anything there.
func jsonKind(s string) string {
	word, _, _ := strings.Cut(s, " ")
	switch word {
	case "object", "array", "number", "string", "bool", "null":
		return word
	}
	return "value"
}

func (v Value) kindName() string {
	switch p := v.payload(); {
	case p != nil && p.binary:
		return "binary"
	case p != nil && p.isJSON:
		return "JSON"
	default: // also a JSON string found by Lookup, which reads as plain text
		return "plain text"
	}
}

// Lookup follows a key path into a JSON secret, as the original's keypath:
// each key selects a member of an object; on an array, a key that is a
// non-negative integer (without sign or leading zeros) selects that
// element, and any other key is applied to every element, the rest of the
// path too, giving an array of the results. With no keys, Lookup returns v
// itself.
//
// A lookup that selects members and elements only returns a Value built
// when the secret was fetched: it allocates nothing. Errors are *Error with
// Op "lookup" that match ErrNotFound: a missing key, an index out of range,
// keys left over at a string, number, boolean or null, or a secret that is
// not JSON. They name the key path, never a value.
func (v Value) Lookup(keys ...string) (Value, error) {
	if len(keys) == 0 {
		return v, nil
	}
	p := v.payload()
	if p == nil || !p.isJSON {
		return Value{}, valueError("lookup", ErrNotFound,
			fmt.Sprintf("key %q not found: the secret is %s, not a JSON object or array", keys[0], v.kindName()))
	}
	r, m := lookupKeys(p, keys)
	if m != nil {
		return Value{}, valueError("lookup", ErrNotFound, m.message())
	}
	return Value{ptr: unsafe.Pointer(r), stale: v.stale}, nil
}

// lookupKeys follows keys from p. It allocates only to fan out over an
// array and to describe a failure.
func lookupKeys(p *payload, keys []string) (*payload, *lookupMiss) {
	for i, k := range keys {
		switch p.kind {
		case jsonObject:
			c, ok := p.tree.members[k]
			if !ok {
				return nil, newLookupMiss(keys[:i], "key", k, "")
			}
			p = c
		case jsonArray:
			idx, ok := jsonArrayIndex(k)
			if !ok {
				return lookupFanOut(p, keys[:i], keys[i:])
			}
			if idx >= len(p.tree.elems) {
				return nil, newLookupMiss(keys[:i], "index", k,
					fmt.Sprintf("out of range, the array has %d elements", len(p.tree.elems)))
			}
			p = p.tree.elems[idx]
		default:
			return nil, newLookupMiss(keys[:i], "key", k, "that is "+scalarPhrases[p.kind]+", not an object or array")
		}
	}
	return p, nil
}

// lookupFanOut applies keys to every element of the array p, found at the
// key path at, and returns the array of the results, which shares their
// payloads.
func lookupFanOut(p *payload, at, keys []string) (*payload, *lookupMiss) {
	elems := make([]*payload, len(p.tree.elems))
	vals := make([]any, len(p.tree.elems))
	for j, e := range p.tree.elems {
		r, m := lookupKeys(e, keys)
		if m != nil {
			m.prepend(append(append([]string(nil), at...), strconv.Itoa(j)))
			if !m.fanned {
				m.fanned, m.fanKey, m.fanAt = true, keys[0], len(at)
			}
			return nil, m
		}
		elems[j], vals[j] = r, r.json
	}
	return &payload{kind: jsonArray, isJSON: true, lazy: true, indirect: true, json: vals,
		tree: &jsonContainer{elems: elems}}, nil
}

// jsonArrayIndex reports whether key selects an array element: a
// non-negative decimal integer without sign or leading zeros that fits an
// int.
func jsonArrayIndex(key string) (int, bool) {
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

// lookupMiss describes where a key path failed. It is built only on
// failure and holds keys the caller passed (and array indices), never a
// part of the secret.
type lookupMiss struct {
	at     []string // the keys and indices followed to where it failed
	what   string   // "key", or "index" for an index out of range
	key    string
	reason string // why, or ""
	// fanned: the failure is inside a fan-out of fanKey over the array at
	// at[:fanAt], the innermost one.
	fanned bool
	fanKey string
	fanAt  int
}

func newLookupMiss(at []string, what, key, reason string) *lookupMiss {
	return &lookupMiss{at: append([]string(nil), at...), what: what, key: key, reason: reason}
}

func (m *lookupMiss) prepend(prefix []string) {
	m.at = append(prefix, m.at...)
	m.fanAt += len(prefix)
}

// message reads like `key "port" not found at "db"`.
func (m *lookupMiss) message() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q not found at %s", m.what, m.key, keyPathName(m.at))
	if m.reason != "" {
		b.WriteString(": ")
		b.WriteString(m.reason)
	}
	if m.fanned {
		fmt.Fprintf(&b, " (%q is not an array index, so the rest of the key path applies to every element of %s)",
			m.fanKey, keyPathName(m.at[:m.fanAt]))
	}
	return b.String()
}

func keyPathName(at []string) string {
	if len(at) == 0 {
		return "the top level"
	}
	return strconv.Quote(strings.Join(at, "/"))
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

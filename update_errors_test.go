package s1crets_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/driver"
	"github.com/s1crets/s1crets/providers/memory"
)

// echoErr is a store error that quotes what it was given, as some AWS
// ValidationException messages do. It is a struct value, not a pointer:
// %#v of anything that holds it in an interface prints it in full.
type echoErr struct{ code, msg string }

func (e echoErr) Error() string { return e.code + ": " + e.msg }

// ErrorCode makes it a coded error, as smithy.APIError is.
func (e echoErr) ErrorCode() string { return e.code }

// echoStore's Update fails with the error that fail makes of the value.
type echoStore struct {
	*mapStore
	fail func(value string) error
}

func (s echoStore) Update(ctx context.Context, name, value string) (string, error) {
	return "", s.fail(value)
}

// updateSecret has characters that JSON escapes, and no run of 6
// characters that an error message of this library could hold.
const updateSecret = "Sup3r\"S3cr\\et\nval<&>é-0123456789ZqX"

// echoForms are the ways a store's message may quote a value.
var echoForms = map[string]func(string) string{
	"whole": func(v string) string { return "Value '" + v + "' at 'value' failed to satisfy constraint" },
	"JSON-escaped": func(v string) string {
		b, _ := json.Marshal(v) // escapes ", \, the newline, <, > and &
		return "value " + string(b) + " is invalid"
	},
	"truncated":   func(v string) string { return "value '" + v[:12] + "...' is too long" },
	"cut":         func(v string) string { return "near '" + v[8:20] + "'" },
	"Go-quoted":   func(v string) string { return fmt.Sprintf("bad value %q", v) },
	"upper-cased": func(v string) string { return strings.ToUpper(v) },
}

// windows returns every run of n bytes of v, as it is and as a message
// may quote it (JSON-escaped, Go-quoted, upper-cased): a truncated or cut
// quote is made of such runs too.
func windows(v string, n int) []string {
	j, _ := json.Marshal(v)
	var out []string
	for _, s := range []string{v, string(j), fmt.Sprintf("%q", v), strings.ToUpper(v)} {
		for i := 0; i+n <= len(s); i++ {
			out = append(out, s[i:i+n])
		}
	}
	return out
}

// ownChain returns the errors of err's chain that this package made, down
// to the store's error (the first one of another package).
func ownChain(err error) []error {
	var out []error
	for err != nil {
		t := reflect.TypeOf(err)
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.PkgPath() != "github.com/s1crets/s1crets" {
			break
		}
		out = append(out, err)
		err = errors.Unwrap(err)
	}
	return out
}

// assertNoCopy checks that neither err's message nor any error of the
// library in its chain, printed any way, holds a run of 6 bytes of value in
// any of the forms a store may quote it in.
func assertNoCopy(t *testing.T, err error, value string) {
	t.Helper()
	ws := windows(value, 6)
	require.NotEmpty(t, ws)
	own := ownChain(err)
	require.NotEmpty(t, own)
	for _, e := range own {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			out := fmt.Sprintf(verb, e)
			for _, w := range ws {
				if strings.Contains(out, w) {
					t.Errorf("%s of %T holds %q of the value: %s", verb, e, w, out)
					break
				}
			}
		}
	}
	assert.NotContains(t, err.Error(), s1crets.Redacted, "nothing is substituted inside a message")
}

// TestUpdateWithholdsStoreMessage: a store message that quotes the new
// value in any form is withheld whole, never edited; the error keeps the
// code, errors.As reaches the store's error, and no error of the library
// keeps a copy of the value in any field.
func TestUpdateWithholdsStoreMessage(t *testing.T) {
	for name, form := range echoForms {
		t.Run("coded/"+name, func(t *testing.T) {
			c := newClient(t, "echo", echoStore{newMapStore(map[string]string{"/a": "old"}), func(v string) error {
				return echoErr{code: "ValidationException", msg: form(v)}
			}})
			err := c.Update(ctx, "/a", updateSecret)
			require.Error(t, err)
			assert.Equal(t, `s1crets: update echo "/a": the store refused the update (ValidationException); `+
				`its message is withheld because it may quote the value`, err.Error())
			assertNoCopy(t, err, updateSecret)
			var se echoErr
			require.ErrorAs(t, err, &se, "errors.As reaches the store's error")
			assert.Equal(t, form(updateSecret), se.msg, "which is the store's, as it came")
		})
		t.Run("plain/"+name, func(t *testing.T) {
			c := newClient(t, "echo", echoStore{newMapStore(nil), func(v string) error {
				return fmt.Errorf("write failed: %s", form(v))
			}})
			err := c.Update(ctx, "/a", updateSecret)
			assert.Equal(t, `s1crets: update echo "/a": the store refused the update; `+
				`its message is withheld because it may quote the value`, err.Error())
			assertNoCopy(t, err, updateSecret)
		})
	}
	t.Run("not found", func(t *testing.T) {
		c := newClient(t, "echo", echoStore{newMapStore(nil), func(v string) error {
			return driver.NotFound(echoErr{code: "ParameterNotFound", msg: form(v)})
		}})
		err := c.Update(ctx, "/a", updateSecret)
		assert.Equal(t, `s1crets: update echo "/a": not found`, err.Error())
		assert.ErrorIs(t, err, s1crets.ErrNotFound)
		assertNoCopy(t, err, updateSecret)
	})
	t.Run("cancelled", func(t *testing.T) {
		for _, cause := range []error{context.Canceled, context.DeadlineExceeded} {
			c := newClient(t, "echo", echoStore{newMapStore(nil), func(v string) error {
				return fmt.Errorf("sending %q: %w", v, cause)
			}})
			err := c.Update(ctx, "/a", updateSecret)
			assert.Equal(t, `s1crets: update echo "/a": `+cause.Error(), err.Error())
			assert.ErrorIs(t, err, cause)
			assertNoCopy(t, err, updateSecret)
		}
	})
}

func form(v string) string { return echoForms["whole"](v) }

// TestUpdateMemoryNotFound: the memory provider's not-found error of
// Update is told whole, whatever the value: no character of the message is
// replaced by a mark, even when the value is one of its words or letters.
func TestUpdateMemoryNotFound(t *testing.T) {
	p, err := memory.New(nil)
	require.NoError(t, err)
	defer p.Close()
	for _, value := range []string{"found", "e", "not", "memory", "/nope", "s1crets", updateSecret} {
		err := p.Update(ctx, "/nope", value)
		assert.Equal(t, `s1crets: update memory "/nope": not found`, err.Error(), "value %q", value)
		assert.ErrorIs(t, err, s1crets.ErrNotFound)
	}
	assertNoCopy(t, p.Update(ctx, "/nope", updateSecret), updateSecret)
}

package aws_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/awsfake"
)

// TestUpdateEchoedValueWithheld: when AWS's answer to a write quotes the
// new value (whole, JSON-escaped, truncated, cut), Update's error shows
// none of it: the message is withheld whole, never edited, and names the
// code; no error of the library in the chain holds a copy, in any field.
// errors.As still reaches the SDK's error, which is AWS's answer as sent.
func TestUpdateEchoedValueWithheld(t *testing.T) {
	const value = "Echo\"Secret\\val<&>\n-9f3e7Q-end"
	jsonValue, _ := json.Marshal(value)
	forms := map[string]string{
		"whole":        "1 validation error detected: Value '" + value + "' at 'value' failed to satisfy constraint",
		"JSON-escaped": "Value " + string(jsonValue) + " is invalid",
		"truncated":    "Value '" + value[:10] + "...' is too long",
		"cut":          "near '" + value[6:18] + "'",
	}
	var probes []string // every run of 6 bytes of the value, as is and escaped
	for _, s := range []string{value, string(jsonValue), fmt.Sprintf("%q", value)} {
		for i := 0; i+6 <= len(s); i++ {
			probes = append(probes, s[i:i+6])
		}
	}
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/echo/p", Value: "old", Type: "SecureString"})
	f.PutSecretString("echo/s", "old")
	ps, sm := newPS(t, f), newSM(t, f)
	for name, msg := range forms {
		for _, tc := range []struct {
			op     string
			update func() error
		}{
			{"PutParameter", func() error { return ps.Update(ctx, "/echo/p", value) }},
			{"PutSecretValue", func() error { return sm.Update(ctx, "echo/s", value) }},
		} {
			t.Run(tc.op+"/"+name, func(t *testing.T) {
				f.FailNext(tc.op, 1, awsfake.Fault{Code: "ValidationException", Message: msg})
				err := tc.update()
				require.Error(t, err)
				assert.True(t, strings.HasSuffix(err.Error(), ": the store refused the update (ValidationException); "+
					"its message is withheld because it may quote the value"), err.Error())
				assert.NotContains(t, err.Error(), s1crets.Redacted)
				for e := error(err); e != nil; e = errors.Unwrap(e) {
					typ := reflect.TypeOf(e)
					if typ.Kind() == reflect.Pointer {
						typ = typ.Elem()
					}
					if typ.PkgPath() != "github.com/s1crets/s1crets" {
						break // the store's error: AWS's answer
					}
					for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
						out := fmt.Sprintf(verb, e)
						for _, p := range probes {
							if strings.Contains(out, p) {
								t.Fatalf("%s of %T holds %q of the value: %s", verb, e, p, out)
							}
						}
					}
				}
				var ae smithy.APIError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, "ValidationException", ae.ErrorCode())
				assert.Equal(t, msg, ae.ErrorMessage(), "the SDK's error is AWS's answer as sent")
			})
		}
	}
}

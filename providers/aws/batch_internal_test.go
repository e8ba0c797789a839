package aws

import (
	"reflect"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

func TestParameterOf(t *testing.T) {
	for n, want := range map[string]string{
		"/a/b": "a/b", "a": "a", "/a/b:3": "a/b", "/a/b:label": "a/b",
		"arn:aws:ssm:us-east-1:123456789012:parameter/a/b":   "a/b",
		"arn:aws:ssm:us-east-1:123456789012:parameter/a/b:2": "a/b",
	} {
		if got := parameterOf(n); got != want {
			t.Errorf("parameterOf(%q) = %q, want %q", n, got, want)
		}
	}
}

// A call of GetParameters asks for each parameter once, whatever the form.
func TestDistinctChunks(t *testing.T) {
	names := []string{"/a", "/a:1", "/b", "arn:aws:ssm:us-east-1:1:parameter/a", "/c", "/a:old"}
	got := distinctChunks(names, 10, parameterOf)
	want := [][]string{{"/a", "/b", "/c"}, {"/a:1"}, {"arn:aws:ssm:us-east-1:1:parameter/a"}, {"/a:old"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	var many []string
	for i := range 25 {
		many = append(many, "/p"+string(rune('a'+i)))
	}
	if got := distinctChunks(many, 10, parameterOf); len(got) != 3 || len(got[0]) != 10 || len(got[2]) != 5 {
		t.Errorf("25 distinct names: %d chunks", len(got))
	}
}

// An answer is taken for a name only when its Selector (if any) and its
// Version (for a version number) are the ones asked for.
func TestMatchParameter(t *testing.T) {
	p := func(sel string, version int64) *types.Parameter {
		out := &types.Parameter{Name: awssdk.String("/a"), Version: version}
		if sel != "" {
			out.Selector = awssdk.String(sel)
		}
		return out
	}
	for _, c := range []struct {
		name  string
		param *types.Parameter
		want  bool
	}{
		{"/a", p("", 2), true},
		{"/a", p(":1", 1), false},
		{"/a:1", p(":1", 1), true},
		{"/a:1", p("", 1), true}, // no Selector (moto): the Version tells
		{"/a:1", p("", 2), false},
		{"/a:old", p(":old", 1), true},
		{"/a:old", p(":new", 2), false},
		{"/a:old", p("", 1), true},
	} {
		if got := matchParameter(c.name, c.param); got != c.want {
			t.Errorf("matchParameter(%q, Selector %q Version %d) = %v", c.name, awssdk.ToString(c.param.Selector), c.param.Version, got)
		}
	}
}

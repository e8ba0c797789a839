package main

import (
	"bytes"
	"context"
	"testing"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	want := `query: ok
rotation 1: database changed its password
query before the pool hears of it: refused (password authentication failed)
query after the watch told the pool: ok
rotation 2: database changed its password
query before the pool hears of it: refused (password authentication failed)
query after the watch told the pool: ok
`
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

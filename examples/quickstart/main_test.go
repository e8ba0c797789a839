package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, runFake(context.Background(), &out))
	s := out.String()
	for _, want := range []string{
		"in-process fake of AWS",
		`ps.Get("/quickstart/db/password")                              s3cr3t-pw`,
		"[REDACTED]",
		`KeyPath("user"))                       admin`,
		`["r1","r2"]`,
		"/quickstart/db/host",
		`ps.PathExists("/quickstart/d")`,
		"errors.Is(err, ErrNotFound) = true",
		"tok-456",
		"1000 more sm.Get of a cached secret: 0 remote calls",
	} {
		assert.Contains(t, s, want)
	}
}

func TestAWSModeNeedsNames(t *testing.T) {
	err := runAWS(context.Background(), &bytes.Buffer{}, "", "", false)
	assert.ErrorContains(t, err, "-parameter")
}

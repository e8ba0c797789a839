package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnvName(t *testing.T) {
	for in, want := range map[string]string{
		"/app/db/password": "PASSWORD",
		"prod/db-url":      "DB_URL",
		"prod/db.url":      "DB_URL",
		"api_key":          "API_KEY",
		"/a/1st":           "_1ST",
		"/a/Mixed-Case9":   "MIXED_CASE9",
		"/a/pässwörd":      "P_SSW_RD",
		"dir/":             "DIR",
		"a b":              "A_B",
	} {
		got, err := envName(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "/", "//"} {
		_, err := envName(bad)
		assert.Error(t, err, bad)
	}
}

func TestShQuote(t *testing.T) {
	values := []string{"", "plain", "it's", "''", `"$HOME" \n $(id) ` + "`id`", "multi\nline\n", "tab\there", "é✓"}
	dotenv := ""
	names := make([]string, len(values))
	for i, v := range values {
		names[i] = "V" + string(rune('A'+i))
		dotenv += names[i] + "=" + shQuote(v) + "\n"
	}
	assert.Equal(t, values, shellEnv(t, dotenv, names...))
}

func TestParseTimeout(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"5":     5 * time.Second,
		"0.5":   500 * time.Millisecond,
		"2s":    2 * time.Second,
		"250ms": 250 * time.Millisecond,
		"1m30s": 90 * time.Second,
	} {
		got, err := parseTimeout(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "0", "-1", "0s", "-2s", "abc", "5 s", "1e300", "NaN", "Inf"} {
		_, err := parseTimeout(bad)
		assert.Error(t, err, bad)
	}
}

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		pos       []string
		provider  string
		noDecrypt bool
	}{
		{[]string{"p", "k"}, []string{"p", "k"}, "aws.sm", false},
		{[]string{"--provider", "aws.ps", "p"}, []string{"p"}, "aws.ps", false},
		{[]string{"p", "--provider", "aws.ps", "k"}, []string{"p", "k"}, "aws.ps", false},
		{[]string{"p", "k", "--provider=aws.ps", "--no-decrypt"}, []string{"p", "k"}, "aws.ps", true},
		{[]string{"-provider", "aws.ps", "p"}, []string{"p"}, "aws.ps", false},
		{[]string{"p", "--", "--provider", "-k", "--"}, []string{"p", "--provider", "-k", "--"}, "aws.sm", false},
		{[]string{"p", "-"}, []string{"p", "-"}, "aws.sm", false},
		{[]string{"--no-decrypt", "p"}, []string{"p"}, "aws.sm", true},
		{[]string{"--no-decrypt=false", "p"}, []string{"p"}, "aws.sm", false},
	} {
		var f awsFlags
		var r readFlags
		fs := newFlagSet("get", &f)
		r.bind(fs, true)
		pos, err := parseArgs(fs, tc.args, false)
		require.NoError(t, err, tc.args)
		assert.Equal(t, tc.pos, pos, tc.args)
		assert.Equal(t, tc.provider, f.provider, tc.args)
		assert.Equal(t, tc.noDecrypt, r.noDecrypt, tc.args)
	}
	var f awsFlags
	_, err := parseArgs(newFlagSet("get", &f), []string{"p", "--help", "--bogus"}, false)
	assert.ErrorIs(t, err, errHelp)
}

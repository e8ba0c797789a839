package s1crets_test

import (
	"testing"

	"github.com/s1crets/s1crets"
)

var sinkText string

// BenchmarkValueText is the baseline of BenchmarkLookup: reading a cached
// Value's text.
func BenchmarkValueText(b *testing.B) {
	v := s1crets.NewValue(hostsDoc)
	b.ReportAllocs()
	for b.Loop() {
		sinkText = v.Text()
	}
}

// BenchmarkLookup reads a cached JSON secret by key path, as Get with
// KeyPath does on every cache hit.
func BenchmarkLookup(b *testing.B) {
	v := s1crets.NewValue(hostsDoc)
	for _, c := range []struct {
		name string
		keys []string
	}{
		{"1-key", []string{"password"}},
		{"3-keys", []string{"hosts", "1", "name"}},
		{"object", []string{"hosts", "1"}},
		{"fan-out", []string{"hosts", "name"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := v.Lookup(c.keys...)
				if err != nil {
					b.Fatal(err)
				}
				sinkText = r.Text()
			}
		})
	}
	b.Run("missing", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Lookup("db", "nope"); err == nil {
				b.Fatal("found")
			}
		}
	})
}

// BenchmarkNewValue is the one-time cost of a fetched value: for JSON, the
// decoding and the tree of nodes Lookup walks.
func BenchmarkNewValue(b *testing.B) {
	for _, c := range []struct{ name, text string }{
		{"plain", "hunter2-correct-horse"},
		{"json", hostsDoc},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkText = s1crets.NewValue(c.text).Text()
			}
		})
	}
}

package memory_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/drivertest"
	"github.com/s1crets/s1crets/providers/memory"
)

func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, drivertest.Harness{
		Hierarchical: true,
		New: func(t *testing.T, seed map[string]string) (s1crets.Provider, func() int) {
			p, err := memory.New(seed)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := p.Close(); err != nil {
					t.Error(err)
				}
			})
			return p, func() int { return int(p.Calls()) }
		},
	})
}

// The memory store has no versions: VersionStage and VersionID are refused
// before the store is asked.
func TestNoVersions(t *testing.T) {
	p, err := memory.New(map[string]string{"/a": "v"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, o := range []s1crets.Option{s1crets.VersionStage("AWSPREVIOUS"), s1crets.VersionID("x")} {
		_, err := p.Get(context.Background(), "/a", o)
		if !errors.Is(err, s1crets.ErrInvalid) || !strings.Contains(err.Error(), "memory provider") {
			t.Errorf("got %v", err)
		}
	}
	if n := p.Calls(); n != 0 {
		t.Errorf("%d calls reached the store", n)
	}
}

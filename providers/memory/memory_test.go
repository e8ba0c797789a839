package memory_test

import (
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

// Command compare runs the same workloads through this library and through
// the original Python s1crets against one moto server, and prints a table of
// remote calls and wall time for each. scripts/compare.sh starts moto and
// runs it; see the README's Performance section.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/s1crets/s1crets/providers/aws"
)

type result struct {
	Calls int     `json:"calls"`
	MS    float64 `json:"ms"`
}

// counter counts the HTTP requests that reach AWS (or moto).
type counter struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

func main() {
	venv := flag.String("venv", os.Getenv("S1CRETS_TEST_PY_VENV"), "Python venv with s1crets 0.0.12")
	cli := flag.String("cli", "", "our s1crets binary (built by compare.sh)")
	n := flag.Int("n", 100, "parameters and secrets to seed")
	runs := flag.Int("cli-runs", 10, "cold CLI runs of each, for the median")
	flag.Parse()
	if err := run(context.Background(), *venv, *cli, *n, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, venv, cli string, n, runs int) error {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	stamp := time.Now().UnixNano()
	psPrefix := fmt.Sprintf("/cmp%d/ps", stamp)
	smPrefix := fmt.Sprintf("cmp%d/sm/", stamp)
	if err := seed(ctx, cfg, psPrefix, smPrefix, n); err != nil {
		return fmt.Errorf("seeding: %w", err)
	}

	goRes := map[string]result{}
	measure := func(name string, fn func(p *aws.ParameterStore, s *aws.SecretsManager) error) error {
		cnt := &counter{next: http.DefaultTransport}
		c := cfg.Copy()
		c.HTTPClient = &http.Client{Transport: cnt}
		p, err := aws.NewParameterStore(ctx, aws.WithConfig(c))
		if err != nil {
			return err
		}
		s, err := aws.NewSecretsManager(ctx, aws.WithConfig(c))
		if err != nil {
			return err
		}
		start := time.Now()
		if err := fn(p, s); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		goRes[name] = result{Calls: int(cnt.n.Load()), MS: float64(time.Since(start).Microseconds()) / 1000}
		return nil
	}
	steps := []struct {
		name string
		fn   func(p *aws.ParameterStore, s *aws.SecretsManager) error
	}{
		{"cached_gets", func(p *aws.ParameterStore, _ *aws.SecretsManager) error {
			for range 1000 {
				if _, err := p.Get(ctx, psPrefix+"/p000"); err != nil {
					return err
				}
			}
			return nil
		}},
		{"uncached_gets", func(p *aws.ParameterStore, _ *aws.SecretsManager) error {
			for i := range n {
				if _, err := p.Get(ctx, fmt.Sprintf("%s/p%03d", psPrefix, i)); err != nil {
					return err
				}
			}
			return nil
		}},
		{"get_many", func(p *aws.ParameterStore, _ *aws.SecretsManager) error {
			names := make([]string, n)
			for i := range names {
				names[i] = fmt.Sprintf("%s/p%03d", psPrefix, i)
			}
			res, err := p.GetMany(ctx, names)
			if err == nil {
				err = res.Err()
			}
			return err
		}},
		{"ps_get_by_path", func(p *aws.ParameterStore, _ *aws.SecretsManager) error {
			m, err := p.GetByPath(ctx, psPrefix)
			if err == nil && len(m) != n {
				err = fmt.Errorf("got %d parameters, want %d", len(m), n)
			}
			return err
		}},
		{"sm_get_by_path", func(_ *aws.ParameterStore, s *aws.SecretsManager) error {
			m, err := s.GetByPath(ctx, smPrefix)
			if err == nil && len(m) != n {
				err = fmt.Errorf("got %d secrets, want %d", len(m), n)
			}
			return err
		}},
	}
	for _, st := range steps {
		if err := measure(st.name, st.fn); err != nil {
			return err
		}
	}

	var pyRes map[string]result
	if venv != "" {
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, filepath.Join(venv, "bin", "python"), "scripts/compare/compare.py", psPrefix, smPrefix, fmt.Sprint(n))
		cmd.Stdout, cmd.Stderr = &out, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("python side: %w", err)
		}
		if err := json.Unmarshal(out.Bytes(), &pyRes); err != nil {
			return fmt.Errorf("python side: %w", err)
		}
		if cli != "" {
			pyRes["cold_cli_get"] = result{Calls: 1, MS: medianRun(ctx, runs, filepath.Join(venv, "bin", "s1crets"), "get", "--provider", "aws.ps", psPrefix+"/p000")}
		}
	}
	if cli != "" {
		goRes["cold_cli_get"] = result{Calls: 1, MS: medianRun(ctx, runs, cli, "get", "--provider", "aws.ps", psPrefix+"/p000")}
	}

	fmt.Printf("| workload | Python s1crets: calls | Go: calls | Python s1crets: ms | Go: ms | speed-up |\n")
	fmt.Printf("|---|---|---|---|---|---|\n")
	names := map[string]string{
		"cached_gets":    "1,000 gets of one parameter (1 miss, 999 hits)",
		"uncached_gets":  fmt.Sprintf("%d uncached gets", n),
		"get_many":       fmt.Sprintf("%d names: Python get x%d, Go GetMany", n, n),
		"ps_get_by_path": fmt.Sprintf("PS GetByPath (%d parameters)", n),
		"sm_get_by_path": fmt.Sprintf("SM GetByPath (%d secrets)", n),
		"cold_cli_get":   fmt.Sprintf("cold CLI get (median of %d runs)", runs),
	}
	if p, ok := pyRes["uncached_gets"]; ok {
		pyRes["get_many"] = p // the original has no batch read: the same gets
	}
	for _, k := range []string{"cached_gets", "uncached_gets", "get_many", "ps_get_by_path", "sm_get_by_path", "cold_cli_get"} {
		g, ok := goRes[k]
		if !ok {
			continue
		}
		p, hasPy := pyRes[k]
		if !hasPy {
			fmt.Printf("| %s | - | %d | - | %.1f | - |\n", names[k], g.Calls, g.MS)
			continue
		}
		calls := fmt.Sprint(p.Calls)
		if k == "cold_cli_get" {
			calls = "1"
		}
		fmt.Printf("| %s | %s | %d | %.1f | %.1f | %.1fx |\n", names[k], calls, g.Calls, p.MS, g.MS, p.MS/g.MS)
	}
	return nil
}

// medianRun runs a command several times and returns the median wall time
// in milliseconds.
func medianRun(ctx context.Context, runs int, name string, args ...string) float64 {
	var ms []float64
	for range runs {
		start := time.Now()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Stdout = nil
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "compare: %s: %v\n", name, err)
			return 0
		}
		ms = append(ms, float64(time.Since(start).Microseconds())/1000)
	}
	slices.Sort(ms)
	return ms[len(ms)/2]
}

func seed(ctx context.Context, cfg awssdk.Config, psPrefix, smPrefix string, n int) error {
	sc := ssm.NewFromConfig(cfg)
	mc := secretsmanager.NewFromConfig(cfg)
	for i := range n {
		_, err := sc.PutParameter(ctx, &ssm.PutParameterInput{
			Name: awssdk.String(fmt.Sprintf("%s/p%03d", psPrefix, i)), Value: awssdk.String(fmt.Sprintf("value-%d", i)),
			Type: ssmtypes.ParameterTypeSecureString,
		})
		if err != nil {
			return err
		}
		_, err = mc.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
			Name: awssdk.String(fmt.Sprintf("%ss%03d", smPrefix, i)), SecretString: awssdk.String(fmt.Sprintf(`{"i":%d}`, i)),
		})
		if err != nil {
			return err
		}
	}
	return nil
}

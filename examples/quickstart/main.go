// Command quickstart shows s1crets in a minute. With no flags it starts an
// in-process fake of AWS (no account, no network), seeds a few secrets and
// walks through Get (plain, JSON, key path), GetByPath, PathExists, Update
// and a cache hit, printing what it does and which endpoint it talks to.
//
// With -aws it runs the same reads against whatever the AWS SDK's
// environment points at (AWS itself, or an emulator through
// AWS_ENDPOINT_URL), on the parameter and secret you name. It writes only
// with -write.
//
//	go run ./examples/quickstart
//	go run ./examples/quickstart -aws -parameter /prod/db/password -secret prod/db
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/awsfake"
	"github.com/s1crets/s1crets/providers/aws"
)

func main() {
	useAWS := flag.Bool("aws", false, "use the AWS SDK's environment instead of the in-process fake")
	parameter := flag.String("parameter", "", "with -aws: a Parameter Store parameter to read")
	secret := flag.String("secret", "", "with -aws: a Secrets Manager secret to read")
	write := flag.Bool("write", false, "with -aws: also Update the parameter with its own value (a real write)")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var err error
	if *useAWS {
		err = runAWS(ctx, os.Stdout, *parameter, *secret, *write)
	} else {
		err = runFake(ctx, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// runFake is the default tour, on an in-process fake of AWS.
func runFake(ctx context.Context, w io.Writer) error {
	fake := awsfake.New()
	defer fake.Close()
	fake.PutParameter(awsfake.Parameter{Name: "/quickstart/db/host", Value: "db.internal", Type: "String"})
	fake.PutParameter(awsfake.Parameter{Name: "/quickstart/db/password", Value: "s3cr3t-pw", Type: "SecureString"})
	fake.PutParameter(awsfake.Parameter{Name: "/quickstart/api/token", Value: "tok-123", Type: "SecureString"})
	fake.PutSecretString("quickstart/db", `{"user":"admin","password":"s3cr3t-pw","replicas":[{"host":"r1"},{"host":"r2"}]}`)
	fmt.Fprintf(w, "endpoint: %s (in-process fake of AWS; run with -aws to use your AWS environment)\n\n", fake.URL())

	cfg := aws.WithConfig(fake.Config(ctx))
	ps, err := aws.NewParameterStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer ps.Close()
	sm, err := aws.NewSecretsManager(ctx, cfg)
	if err != nil {
		return err
	}
	defer sm.Close()

	step := func(what string, v s1crets.Value, err error) error {
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%-62s %s\n", what, v.Text())
		return nil
	}
	v, err := ps.Get(ctx, "/quickstart/db/password")
	if err := step(`ps.Get("/quickstart/db/password")`, v, err); err != nil {
		return err
	}
	fmt.Fprintf(w, "%-62s %v\n", "fmt.Println of that Value", v)
	v, err = sm.Get(ctx, "quickstart/db")
	if err := step(`sm.Get("quickstart/db")`, v, err); err != nil {
		return err
	}
	v, err = sm.Get(ctx, "quickstart/db", s1crets.KeyPath("user"))
	if err := step(`sm.Get("quickstart/db", KeyPath("user"))`, v, err); err != nil {
		return err
	}
	v, err = sm.Get(ctx, "quickstart/db", s1crets.KeyPath("replicas", "host"))
	if err := step(`sm.Get("quickstart/db", KeyPath("replicas", "host"))`, v, err); err != nil {
		return err
	}
	v, err = ps.Get(ctx, aws.ReferencePrefix+"quickstart/db/password")
	if err := step(`ps.Get("/aws/reference/secretsmanager/quickstart/db/password")`, v, err); err != nil {
		return err
	}

	m, err := ps.GetByPath(ctx, "/quickstart/db")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nps.GetByPath(\"/quickstart/db\"):\n")
	for _, name := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(w, "  %-30s %s\n", name, m[name].Text())
	}

	fmt.Fprintln(w)
	for _, p := range []string{"/quickstart/db", "/quickstart/d", "/nope"} {
		ok, err := ps.PathExists(ctx, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "ps.PathExists(%q)%s %v\n", p, pad(p), ok)
	}
	_, err = ps.Get(ctx, "/quickstart/missing")
	fmt.Fprintf(w, "ps.Get(\"/quickstart/missing\"): errors.Is(err, ErrNotFound) = %v\n", errors.Is(err, s1crets.ErrNotFound))

	if err := ps.Update(ctx, "/quickstart/api/token", "tok-456"); err != nil {
		return err
	}
	v, err = ps.Get(ctx, "/quickstart/api/token")
	if err := step("\nps.Update then ps.Get(\"/quickstart/api/token\")", v, err); err != nil {
		return err
	}

	before := fake.TotalCalls()
	for range 1000 {
		if _, err := sm.Get(ctx, "quickstart/db", s1crets.KeyPath("password")); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\n1000 more sm.Get of a cached secret: %d remote calls (%d in all so far)\n", fake.TotalCalls()-before, fake.TotalCalls())
	return nil
}

func pad(p string) string {
	n := 20 - len(p)
	if n < 0 {
		n = 0
	}
	return fmt.Sprintf("%*s", n, ":")
}

// runAWS reads the named parameter and secret through the SDK's
// environment. It writes only when write is set.
func runAWS(ctx context.Context, w io.Writer, parameter, secret string, write bool) error {
	if parameter == "" && secret == "" {
		return errors.New("quickstart: -aws needs -parameter NAME and/or -secret NAME")
	}
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	if endpoint == "" {
		endpoint = "the AWS endpoints of your SDK configuration"
	}
	fmt.Fprintf(w, "endpoint: %s\n\n", endpoint)
	if parameter != "" {
		ps, err := aws.NewParameterStore(ctx)
		if err != nil {
			return err
		}
		defer ps.Close()
		v, err := ps.Get(ctx, parameter)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "ps.Get(%q): %d bytes (the value is not printed)\n", parameter, len(v.Bytes()))
		ok, err := ps.PathExists(ctx, parameter)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "ps.PathExists(%q): %v\n", parameter, ok)
		if write {
			if err := ps.Update(ctx, parameter, v.Text()); err != nil {
				return err
			}
			fmt.Fprintf(w, "ps.Update(%q) with its own value: done\n", parameter)
		}
	}
	if secret != "" {
		sm, err := aws.NewSecretsManager(ctx)
		if err != nil {
			return err
		}
		defer sm.Close()
		v, err := sm.Get(ctx, secret)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "sm.Get(%q): %d bytes, JSON: %v, binary: %v (the value is not printed)\n", secret, len(v.Bytes()), v.IsJSON(), v.IsBinary())
	}
	return nil
}

// Command servebench measures `s1crets serve` as a program in another
// language sees it: over HTTP on loopback, against the in-process AWS fake
// (internal/awsfake), so that the store costs nothing and the figures are
// the server's own.
//
// It builds the s1crets binary, then measures, side by side in one run:
//
//   - cached reads per second and p50/p99 latency of GET
//     /secretsmanager/get at 1, 8 and 64 concurrent keep-alive clients,
//     against a bare net/http server (a process of its own, answering the
//     same bytes with no lookup) as the floor;
//   - resident memory (VmRSS) when idle and with 1,000 secrets cached;
//   - time from starting the process to its first answer (a cold secret,
//     so one remote call included), median of 5 starts;
//   - remote calls made by 64 concurrent cold requests of one secret.
//
// Usage: go run ./scripts/servebench [-d 3s]
//
// Client and server share the machine: on 2 cores, the client's own cost is
// in every figure, for the bare server too.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/s1crets/s1crets/internal/awsfake"
)

const token = "servebench-token"

func main() {
	dur := flag.Duration("d", 3*time.Second, "how long each throughput level runs")
	bare := flag.String("bare-serve", "", "internal: serve a fixed body on this address (the floor)")
	flag.Parse()
	if *bare != "" {
		serveBare(*bare)
		return
	}
	if err := run(*dur); err != nil {
		fmt.Fprintln(os.Stderr, "servebench:", err)
		os.Exit(1)
	}
}

func run(dur time.Duration) error {
	dir, err := os.MkdirTemp("", "servebench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "s1crets")
	build := exec.Command("go", "build", "-o", bin, "./cmd/s1crets")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/s1crets (run from the repository root): %w", err)
	}

	fake := awsfake.New()
	defer fake.Close()
	const value = `{"username":"app","password":"correct-horse-battery-staple","host":"db.internal","port":5432}`
	for i := range 1000 {
		fake.PutSecretString(fmt.Sprintf("bench/secret-%04d", i), value)
	}

	fmt.Printf("# s1crets serve, %s, GOMAXPROCS of the machine, %s per level\n\n", runtimeInfo(), dur)

	// Start-up: time to the first answer, median of 5.
	var starts []time.Duration
	for i := range 5 { // each start reads another secret: the first answer is a miss
		t0 := time.Now()
		s, err := startServe(bin, fake.URL())
		if err != nil {
			return err
		}
		c := newClient(1)
		for {
			if code, _ := get(c, s.url+"/secretsmanager/get?secretId=bench/secret-"+fmt.Sprintf("%04d", i)); code == 200 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		starts = append(starts, time.Since(t0))
		s.stop()
	}
	slices.Sort(starts)
	fmt.Printf("time from start to first answer (median of 5): %s\n\n", starts[2].Round(100*time.Microsecond))

	// 64 concurrent cold requests of one secret.
	s, err := startServe(bin, fake.URL())
	if err != nil {
		return err
	}
	defer s.stop()
	if err := waitReady(s.url); err != nil {
		return err
	}
	idle, _ := rss(s.cmd.Process.Pid)
	fake.ResetCalls()
	c64 := newClient(64)
	var wg sync.WaitGroup
	var ok atomic.Int64
	startGate := make(chan struct{})
	for range 64 {
		wg.Go(func() {
			<-startGate
			if code, _ := get(c64, s.url+"/secretsmanager/get?secretId=bench/secret-0999"); code == 200 {
				ok.Add(1)
			}
		})
	}
	close(startGate)
	wg.Wait()
	fmt.Printf("64 concurrent cold requests of one secret: %d answered 200, %d GetSecretValue calls\n\n",
		ok.Load(), fake.Calls("GetSecretValue"))

	// Memory with 1,000 secrets cached.
	c := newClient(8)
	for i := range 1000 {
		if code, err := get(c, s.url+fmt.Sprintf("/secretsmanager/get?secretId=bench/secret-%04d", i)); code != 200 {
			return fmt.Errorf("secret %d: status %d %v", i, code, err)
		}
	}
	full, _ := rss(s.cmd.Process.Pid)
	fmt.Printf("resident memory: idle %.1f MiB, with 1,000 secrets cached %.1f MiB\n\n", mib(idle), mib(full))

	// Throughput, against the floor.
	bareAddr, stopBare, err := startBare(value)
	if err != nil {
		return err
	}
	defer stopBare()
	fmt.Println("| clients | s1crets serve reads/s | p50 | p99 | bare net/http reads/s | p50 | p99 |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, n := range []int{1, 8, 64} {
		ours := load(s.url+"/secretsmanager/get?secretId=bench/secret-0999", n, dur)
		floor := load("http://"+bareAddr+"/secretsmanager/get?secretId=bench/secret-0999", n, dur)
		fmt.Printf("| %d | %.0f | %s | %s | %.0f | %s | %s |\n", n,
			ours.rate, ours.p50, ours.p99, floor.rate, floor.p50, floor.p99)
	}
	calls := fake.Calls("GetSecretValue")
	fmt.Printf("\nGetSecretValue calls of this server: %d (1,000 secrets, the cache's size: each is fetched once)\n", calls)
	return nil
}

type result struct {
	rate     float64
	p50, p99 time.Duration
}

// load runs n clients, each on its own keep-alive connection, for d, and
// returns the reads per second and the latency percentiles.
func load(url string, n int, d time.Duration) result {
	c := newClient(n)
	for range n { // open the connections first
		get(c, url)
	}
	lat := make([][]time.Duration, n)
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := range n {
		wg.Go(func() {
			l := make([]time.Duration, 0, 1<<16)
			for time.Now().Before(deadline) {
				s := time.Now()
				if code, _ := get(c, url); code != 200 {
					continue
				}
				l = append(l, time.Since(s))
			}
			lat[i] = l
		})
	}
	wg.Wait()
	el := time.Since(t0)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	if len(all) == 0 {
		return result{}
	}
	return result{
		rate: float64(len(all)) / el.Seconds(),
		p50:  all[len(all)/2].Round(time.Microsecond),
		p99:  all[len(all)*99/100].Round(time.Microsecond),
	}
}

func newClient(n int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns: n, MaxIdleConnsPerHost: n, MaxConnsPerHost: n, DisableCompression: true,
	}}
}

func get(c *http.Client, url string) (int, error) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

type served struct {
	cmd *exec.Cmd
	url string
}

func (s served) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startServe starts `s1crets serve` on a free port against the fake, with
// the memory cache only.
func startServe(bin, endpoint string) (served, error) {
	port, err := freePort()
	if err != nil {
		return served{}, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT="+strconv.Itoa(port),
		"AWS_TOKEN="+token,
		"AWS_ENDPOINT_URL="+endpoint,
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=AKIDSERVEBENCH", "AWS_SECRET_ACCESS_KEY=servebench",
		"AWS_EC2_METADATA_DISABLED=true",
	)
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return served{}, err
	}
	return served{cmd: cmd, url: "http://127.0.0.1:" + strconv.Itoa(port)}, nil
}

func waitReady(url string) error {
	c := newClient(1)
	for range 60_000 {
		if resp, err := c.Get(url + "/ping"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return errors.New("s1crets serve did not answer /ping")
}

// startBare runs this program again as the bare server, the floor.
func startBare(body string) (addr string, stop func(), err error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	addr = "127.0.0.1:" + strconv.Itoa(port)
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(self, "-bare-serve", addr)
	cmd.Env = append(os.Environ(), "SERVEBENCH_BODY="+body)
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() { cmd.Process.Kill(); cmd.Wait() }
	if err := waitReady("http://" + addr); err != nil {
		stop()
		return "", nil, err
	}
	return addr, stop, nil
}

// serveBare answers every request with the GetSecretValue body of the
// secret: what any HTTP server costs, without a lookup or a token check.
func serveBare(addr string) {
	body := []byte(`{"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:bench/secret-0999-AbCdEf","Name":"bench/secret-0999",` +
		`"VersionId":"00000000-0000-0000-0000-000000000000","SecretString":` + strconv.Quote(os.Getenv("SERVEBENCH_BODY")) +
		`,"VersionStages":["AWSCURRENT"],"CreatedDate":1700000000.0}`)
	http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
}

func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS")
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func runtimeInfo() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	n := strings.Count(string(b), "processor\t:")
	model := ""
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			if _, m, ok := strings.Cut(line, ":"); ok {
				model = strings.TrimSpace(m)
			}
			break
		}
	}
	return fmt.Sprintf("%d CPUs (%s)", n, model)
}

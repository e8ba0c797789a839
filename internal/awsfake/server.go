package awsfake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

const (
	// DefaultRegion is the region of a server made by [New] and of the
	// configuration returned by [Server.Config].
	DefaultRegion = "us-east-1"
	// DefaultAccount is the AWS account id the fake pretends to be.
	DefaultAccount = "123456789012"
	// AccessKeyID is the static access key id of [Server.Config].
	AccessKeyID = "AKIDFAKE"
	// SecretAccessKey is the static secret access key of [Server.Config].
	SecretAccessKey = "secret"
)

// Request is one HTTP request received by the server, as recorded by
// [Server.Requests].
type Request struct {
	// Op is the operation name, e.g. "GetParameter" or "AssumeRole"
	// (the X-Amz-Target suffix or the STS form Action; "" if neither).
	Op string
	// Service is "ssm", "secretsmanager", "sts" or "" when unknown.
	Service string
	// AccessKeyID is the access key id from the SigV4 Authorization header.
	AccessKeyID string
	// SessionToken is the X-Amz-Security-Token header.
	SessionToken string
	// Region is the region of the SigV4 credential scope.
	Region string
	// Time is when the request arrived.
	Time time.Time
}

// Server is the fake AWS endpoint. Create it with [New] and release it with
// [Server.Close].
type Server struct {
	srv     *httptest.Server
	region  string
	account string
	closing chan struct{} // closed by Close: aborts Delay faults
	once    sync.Once

	// mu guards every field below: the SSM and Secrets Manager state, the
	// STS state, the request log and counters, and the fault settings.
	// Handlers run with mu held; Delay faults and hooks run without it.
	mu sync.Mutex

	params map[string]*Parameter
	// paramVersions holds every version of each parameter, oldest first
	// (the current one last), for version selectors ("name:3"), and
	// paramLabels the labels of each parameter's versions.
	paramVersions map[string][]Parameter
	paramLabels   map[string]map[string]int64
	secrets       map[string]*secret // by name

	credLifetime time.Duration
	stsCounter   int
	issued       map[string]*issuedCreds // by access key id
	assumeCalls  []AssumeRoleCall
	roleIDs      map[string]string

	requests []Request
	calls    map[string]int
	failNext []*pendingFault
	denied   map[string]bool
	hook     func(Request) *Fault
	reqSeq   int
}

// New starts a fake AWS server in the region DefaultRegion and the account
// DefaultAccount. Close it when done.
func New() *Server {
	s := &Server{
		region:        DefaultRegion,
		account:       DefaultAccount,
		closing:       make(chan struct{}),
		params:        map[string]*Parameter{},
		paramVersions: map[string][]Parameter{},
		paramLabels:   map[string]map[string]int64{},
		secrets:       map[string]*secret{},
		issued:        map[string]*issuedCreds{},
		roleIDs:       map[string]string{},
		calls:         map[string]int{},
		denied:        map[string]bool{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// URL is the base URL of the server, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.srv.URL }

// Close aborts pending Delay faults and shuts the server down, waiting for
// in-flight requests. It is safe to call more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closing)
		s.srv.Close()
	})
}

// Config returns an aws.Config for the SDK clients: region of the server
// (us-east-1 by default), static credentials [AccessKeyID]/[SecretAccessKey],
// BaseEndpoint set to [Server.URL], and the SDK's standard retryer (3
// attempts) without backoff delays or a retry quota, so that tests with
// retryable faults run fast. ctx is unused and kept for symmetry with
// config.LoadDefaultConfig.
func (s *Server) Config(ctx context.Context) aws.Config {
	_ = ctx
	return aws.Config{
		Region:       s.region,
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")),
		BaseEndpoint: aws.String(s.srv.URL),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
				o.RateLimiter = ratelimit.None
			})
		},
	}
}

// Calls returns how many requests for op were received, including those
// answered with a fault.
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// TotalCalls returns how many requests were received for all operations.
func (s *Server) TotalCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// ResetCalls forgets the recorded requests and the per-operation counters
// (and the recorded AssumeRole calls). State and faults are kept.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.calls = map[string]int{}
	s.assumeCalls = nil
}

// Requests returns a copy of the recorded requests in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// apiError is an error answer of an operation.
type apiError struct {
	status int
	code   string
	msg    string
}

func errf(code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, msg: fmt.Sprintf(format, args...)}
}

type jsonHandler func(s *Server, req Request, body []byte) (any, *apiError)

var jsonOps = map[string]map[string]jsonHandler{
	"ssm": {
		"GetParameter":        (*Server).ssmGetParameter,
		"GetParameters":       (*Server).ssmGetParameters,
		"GetParametersByPath": (*Server).ssmGetParametersByPath,
		"DescribeParameters":  (*Server).ssmDescribeParameters,
		"PutParameter":        (*Server).ssmPutParameter,
	},
	"secretsmanager": {
		"GetSecretValue":      (*Server).smGetSecretValue,
		"BatchGetSecretValue": (*Server).smBatchGetSecretValue,
		"ListSecrets":         (*Server).smListSecrets,
		"PutSecretValue":      (*Server).smPutSecretValue,
	},
}

// serveHTTP reads the request, records it, applies faults and dispatches it.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	req := Request{
		AccessKeyID:  accessKeyFromAuth(r.Header.Get("Authorization")),
		Region:       regionFromAuth(r.Header.Get("Authorization")),
		SessionToken: r.Header.Get("X-Amz-Security-Token"),
		Time:         time.Now(),
	}
	var form url.Values
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		prefix, op, _ := strings.Cut(target, ".")
		req.Op = op
		switch prefix {
		case "AmazonSSM":
			req.Service = "ssm"
		case "secretsmanager":
			req.Service = "secretsmanager"
		}
	} else {
		form, _ = url.ParseQuery(string(body))
		if a := form.Get("Action"); a != "" {
			req.Op = a
			req.Service = "sts"
		}
	}

	s.mu.Lock()
	s.reqSeq++
	reqID := fmt.Sprintf("00000000-0000-4000-8000-%012d", s.reqSeq)
	s.requests = append(s.requests, req)
	s.calls[req.Op]++
	f := s.takeFault(req)
	hook := s.hook
	s.mu.Unlock()

	if f == nil && hook != nil {
		f = hook(req)
	}
	if f != nil {
		if f.Delay > 0 {
			t := time.NewTimer(f.Delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				dropConn(w) // nothing is answered, not an empty 200
				return
			case <-s.closing:
				t.Stop()
				dropConn(w)
				return
			}
		}
		if f.Drop {
			dropConn(w)
			return
		}
		if f.Code != "" || f.Status != 0 {
			status := f.Status
			if status == 0 {
				status = http.StatusBadRequest
			}
			code := f.Code
			if code == "" {
				code = http.StatusText(status)
			}
			s.writeError(w, req, reqID, &apiError{status: status, code: code, msg: f.Message})
			return
		}
	}

	s.mu.Lock()
	var (
		out  any
		aerr *apiError
		xml  []byte
	)
	switch h, ok := jsonOps[req.Service][req.Op]; {
	case req.Service == "sts":
		xml, aerr = s.stsDispatch(req, form, reqID)
	case ok:
		out, aerr = h(s, req, body)
	case req.Service == "" && req.Op == "":
		aerr = errf("MissingAction", "Missing Action")
	default:
		aerr = errf("UnknownOperationException", "Unknown operation %s", req.Op)
	}
	s.mu.Unlock()

	if aerr != nil {
		s.writeError(w, req, reqID, aerr)
		return
	}
	stall := f != nil && f.StallBody
	if req.Service == "sts" {
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("X-Amzn-Requestid", reqID)
		s.writeBody(w, r, xml, stall)
		return
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(out); err != nil {
		s.writeError(w, req, reqID, &apiError{status: 500, code: "InternalFailure", msg: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", reqID)
	s.writeBody(w, r, buf.Bytes(), stall)
}

// writeBody answers 200 with body; with stall, it sends the headers and the
// first half of body, then waits until the client goes away or the server
// closes, and drops the connection.
func (s *Server) writeBody(w http.ResponseWriter, r *http.Request, body []byte, stall bool) {
	if !stall {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body[:len(body)/2])
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	select {
	case <-r.Context().Done():
	case <-s.closing:
	}
	// Returning with fewer bytes than Content-Length makes the server
	// close the connection: the answer is never completed.
}

// writeError answers e in the protocol of req's service.
func (s *Server) writeError(w http.ResponseWriter, req Request, reqID string, e *apiError) {
	if req.Service == "sts" || (req.Service == "" && req.Op == "") {
		s.writeSTSError(w, reqID, e)
		return
	}
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message,omitempty"`
	}{e.code, e.msg})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Errortype", e.code)
	w.Header().Set("X-Amzn-Requestid", reqID)
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}

// dropConn closes the client connection without writing an answer.
func dropConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// accessKeyFromAuth extracts AKID from a SigV4 Authorization header
// "AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ...".
func accessKeyFromAuth(h string) string {
	_, rest, ok := strings.Cut(h, "Credential=")
	if !ok {
		return ""
	}
	akid, _, _ := strings.Cut(rest, "/")
	return akid
}

// regionFromAuth returns the region of the SigV4 credential scope
// (Credential=AKID/date/REGION/service/aws4_request).
func regionFromAuth(h string) string {
	_, rest, ok := strings.Cut(h, "Credential=")
	if !ok {
		return ""
	}
	parts := strings.SplitN(rest, "/", 4)
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

// decode unmarshals a JSON request body into v; an empty body is "{}".
func decode(body []byte, v any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errf("SerializationException", "failed to parse request body: %v", err)
	}
	return nil
}

// epoch is a timestamp that marshals as JSON epoch seconds (AWS JSON
// protocol format).
type epoch time.Time

// MarshalJSON implements json.Marshaler.
func (t epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(fmt.Sprintf("%d.%03d", ms/1000, ms%1000)), nil
}

func epochPtr(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}

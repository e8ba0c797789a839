package awsfake

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// AssumeRoleCall is one AssumeRole request that reached the operation (not
// answered by a fault), as recorded by [Server.AssumeRoleCalls].
type AssumeRoleCall struct {
	RoleArn         string
	RoleSessionName string
	// DurationSeconds as requested; 0 when the request omitted it.
	DurationSeconds int
	ExternalId      string //nolint:revive // AWS name
	// CallerAccessKeyID is the access key that signed the request.
	CallerAccessKeyID string
	// AccessKeyID and Expiration describe the issued credentials; empty when
	// the request failed validation.
	AccessKeyID string
	Expiration  time.Time
	Time        time.Time
}

type issuedCreds struct {
	roleArn     string
	sessionName string
	secret      string
	token       string
	expiration  time.Time
}

const stsNS = "https://sts.amazonaws.com/doc/2011-06-15/"

const (
	minDuration     = 900
	maxDuration     = 43200
	defaultDuration = 3600
)

// SetCredentialLifetime sets the lifetime of the credentials AssumeRole
// issues from now on, overriding the requested DurationSeconds, so tests can
// get credentials that expire in, e.g., one second. d <= 0 restores the
// default (the requested DurationSeconds, 3600 when omitted).
func (s *Server) SetCredentialLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.credLifetime = d
}

// AssumeRoleCalls returns a copy of the recorded AssumeRole calls in order.
func (s *Server) AssumeRoleCalls() []AssumeRoleCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]AssumeRoleCall(nil), s.assumeCalls...)
}

// stsDispatch answers an STS query-protocol request. s.mu held.
func (s *Server) stsDispatch(req Request, form url.Values, reqID string) ([]byte, *apiError) {
	if v := form.Get("Version"); v != "" && v != "2011-06-15" {
		return nil, errf("InvalidAction", "Could not find operation %s for version %s", req.Op, v)
	}
	var result any
	var aerr *apiError
	switch req.Op {
	case "AssumeRole":
		result, aerr = s.stsAssumeRole(req, form)
	case "GetCallerIdentity":
		result = s.stsGetCallerIdentity(req)
	default:
		return nil, errf("InvalidAction", "Could not find operation %s for version 2011-06-15", req.Op)
	}
	if aerr != nil {
		return nil, aerr
	}
	return stsResponse(req.Op, result, reqID), nil
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

// stsResponse wraps result as <OpResponse><OpResult>...</OpResult>...</OpResponse>.
func stsResponse(op string, result any, reqID string) []byte {
	inner, err := xml.Marshal(result)
	if err != nil {
		panic(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, op, stsNS)
	fmt.Fprintf(&b, "<%sResult>", op)
	// strip the wrapper element xml.Marshal adds
	s := string(inner)
	s = s[strings.Index(s, ">")+1 : strings.LastIndex(s, "<")]
	b.WriteString(s)
	fmt.Fprintf(&b, "</%sResult>", op)
	meta, _ := xml.Marshal(struct {
		XMLName xml.Name `xml:"ResponseMetadata"`
		responseMetadata
	}{responseMetadata: responseMetadata{RequestID: reqID}})
	b.Write(meta)
	fmt.Fprintf(&b, "</%sResponse>", op)
	return []byte(b.String())
}

type stsCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumeRoleResult struct {
	XMLName         xml.Name `xml:"R"`
	Credentials     stsCredentials
	AssumedRoleUser struct {
		AssumedRoleID string `xml:"AssumedRoleId"`
		Arn           string `xml:"Arn"`
	}
	PackedPolicySize int `xml:"PackedPolicySize,omitempty"`
}

var (
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalIDPattern  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	roleArnPattern     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)$`)
)

func validationError(format string, args ...any) *apiError {
	return errf("ValidationError", format, args...)
}

// stsAssumeRole implements AssumeRole: validates RoleArn (an IAM role ARN),
// RoleSessionName (2..64 of [\w+=,.@-]), DurationSeconds (900..43200,
// default 3600) and ExternalId, and issues new credentials each call:
// AccessKeyId "ASIAFAKE" + a 12-digit counter, Expiration now + the
// configured credential lifetime (default DurationSeconds).
func (s *Server) stsAssumeRole(req Request, form url.Values) (any, *apiError) {
	call := AssumeRoleCall{
		RoleArn:           form.Get("RoleArn"),
		RoleSessionName:   form.Get("RoleSessionName"),
		ExternalId:        form.Get("ExternalId"),
		CallerAccessKeyID: req.AccessKeyID,
		Time:              req.Time,
	}
	var aerr *apiError
	duration := defaultDuration
	if d := form.Get("DurationSeconds"); d != "" {
		n, err := strconv.Atoi(d)
		call.DurationSeconds = n
		switch {
		case err != nil:
			aerr = validationError("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must be a number", d)
		case n < minDuration:
			aerr = validationError("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to %d", n, minDuration)
		case n > maxDuration:
			aerr = validationError("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to %d", n, maxDuration)
		default:
			duration = n
		}
	}
	m := roleArnPattern.FindStringSubmatch(call.RoleArn)
	switch {
	case aerr != nil:
	case len(call.RoleArn) < 20 || len(call.RoleArn) > 2048:
		aerr = validationError("1 validation error detected: Value '%s' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20", call.RoleArn)
	case m == nil:
		aerr = validationError("%s is invalid", call.RoleArn)
	case !sessionNamePattern.MatchString(call.RoleSessionName):
		aerr = validationError("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", call.RoleSessionName)
	case form.Has("ExternalId") && (len(call.ExternalId) < 2 || len(call.ExternalId) > 1224 || !externalIDPattern.MatchString(call.ExternalId)):
		aerr = validationError("1 validation error detected: Value '%s' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*", call.ExternalId)
	}
	if aerr != nil {
		s.assumeCalls = append(s.assumeCalls, call)
		return nil, aerr
	}
	roleName := m[1]
	lifetime := time.Duration(duration) * time.Second
	if s.credLifetime > 0 {
		lifetime = s.credLifetime
	}
	s.stsCounter++
	n := s.stsCounter
	c := &issuedCreds{
		roleArn:     call.RoleArn,
		sessionName: call.RoleSessionName,
		secret:      fmt.Sprintf("fakeSecretAccessKey%08d", n),
		token:       fmt.Sprintf("FakeSessionToken%08d/%s", n, newUUID()),
		expiration:  time.Now().Add(lifetime),
	}
	akid := fmt.Sprintf("ASIAFAKE%012d", n)
	s.issued[akid] = c
	call.AccessKeyID = akid
	call.Expiration = c.expiration
	s.assumeCalls = append(s.assumeCalls, call)

	var out assumeRoleResult
	out.Credentials = stsCredentials{
		AccessKeyID:     akid,
		SecretAccessKey: c.secret,
		SessionToken:    c.token,
		Expiration:      c.expiration.UTC().Format("2006-01-02T15:04:05.000Z"),
	}
	out.AssumedRoleUser.AssumedRoleID = s.roleID(call.RoleArn) + ":" + call.RoleSessionName
	out.AssumedRoleUser.Arn = fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", s.account, roleName, call.RoleSessionName)
	return out, nil
}

// roleID returns a stable fake unique id for a role ARN. s.mu held.
func (s *Server) roleID(roleArn string) string {
	id, ok := s.roleIDs[roleArn]
	if !ok {
		id = fmt.Sprintf("AROAFAKE%012d", len(s.roleIDs)+1)
		s.roleIDs[roleArn] = id
	}
	return id
}

type callerIdentityResult struct {
	XMLName xml.Name `xml:"R"`
	Arn     string   `xml:"Arn"`
	UserID  string   `xml:"UserId"`
	Account string   `xml:"Account"`
}

// stsGetCallerIdentity implements GetCallerIdentity: the assumed role for
// credentials issued by AssumeRole, otherwise the IAM user named after the
// access key id that signed the request ("arn:aws:iam::ACCOUNT:user/AKID"),
// so that clients with different static credentials are different
// identities.
func (s *Server) stsGetCallerIdentity(req Request) any {
	out := callerIdentityResult{
		Arn:     fmt.Sprintf("arn:aws:iam::%s:user/%s", s.account, req.AccessKeyID),
		UserID:  "AIDA" + strings.ToUpper(req.AccessKeyID),
		Account: s.account,
	}
	if c, ok := s.issued[req.AccessKeyID]; ok {
		m := roleArnPattern.FindStringSubmatch(c.roleArn)
		out.Arn = fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", s.account, m[1], c.sessionName)
		out.UserID = s.roleID(c.roleArn) + ":" + c.sessionName
	}
	return out
}

// stsErrorCode translates JSON-service error codes to their STS spelling.
func stsErrorCode(e *apiError) (code string, status int) {
	switch e.code {
	case "ThrottlingException":
		return "Throttling", e.status
	case "AccessDeniedException":
		return "AccessDenied", http.StatusForbidden
	}
	return e.code, e.status
}

// writeSTSError writes e in the STS XML error format.
func (s *Server) writeSTSError(w http.ResponseWriter, reqID string, e *apiError) {
	code, status := stsErrorCode(e)
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	body, _ := xml.Marshal(struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		Error   struct {
			Type    string `xml:"Type"`
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		} `xml:"Error"`
		RequestID string `xml:"RequestId"`
	}{
		Xmlns: stsNS,
		Error: struct {
			Type    string `xml:"Type"`
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		}{typ, code, e.msg},
		RequestID: reqID,
	})
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", reqID)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

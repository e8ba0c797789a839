package awsfake

import (
	"bytes"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SecretVersion is one version of a Secrets Manager secret, as returned by
// [Server.Secret].
type SecretVersion struct {
	// Name and ARN of the secret.
	Name string
	ARN  string
	// VersionID is the version's id (a UUID, or the ClientRequestToken).
	VersionID string
	// SecretString is the string value ("" for a binary secret).
	SecretString string
	// SecretBinary is the binary value (nil for a string secret).
	SecretBinary []byte
	// Stages are the staging labels attached to the version, sorted.
	Stages []string
	// CreatedDate is when the version was created.
	CreatedDate time.Time
}

const (
	stageCurrent      = "AWSCURRENT"
	stagePrevious     = "AWSPREVIOUS"
	maxBatchIDs       = 20
	maxBatchResults   = 20
	maxListSecrets    = 100
	maxSecretValueLen = 65536
	maxKeptVersions   = 100
)

type secretVersion struct {
	id      string
	str     *string
	binary  []byte
	stages  map[string]bool
	created time.Time
}

func (v *secretVersion) value() string {
	if v.str != nil {
		return *v.str
	}
	return ""
}

func (v *secretVersion) stageList() []string {
	out := make([]string, 0, len(v.stages))
	for st := range v.stages {
		out = append(out, st)
	}
	sort.Strings(out)
	return out
}

func (v *secretVersion) sameValue(str *string, bin []byte) bool {
	if (v.str == nil) != (str == nil) || (v.binary == nil) != (bin == nil) {
		return false
	}
	if str != nil && *str != *v.str {
		return false
	}
	return bytes.Equal(v.binary, bin)
}

type secret struct {
	name     string
	arn      string
	versions []*secretVersion // oldest first
}

func (sec *secret) byStage(stage string) *secretVersion {
	for _, v := range sec.versions {
		if v.stages[stage] {
			return v
		}
	}
	return nil
}

func (sec *secret) byID(id string) *secretVersion {
	for _, v := range sec.versions {
		if v.id == id {
			return v
		}
	}
	return nil
}

// addVersion adds v with the staging labels stages. Each label moves to v;
// when AWSCURRENT moves, the version that had it gets AWSPREVIOUS.
func (sec *secret) addVersion(v *secretVersion, stages []string) {
	v.stages = map[string]bool{}
	for _, st := range stages {
		if st == stageCurrent {
			if old := sec.byStage(stageCurrent); old != nil && old != v {
				for _, o := range sec.versions {
					delete(o.stages, stagePrevious)
				}
				delete(old.stages, stageCurrent)
				old.stages[stagePrevious] = true
			}
		} else {
			for _, o := range sec.versions {
				delete(o.stages, st)
			}
		}
		v.stages[st] = true
	}
	sec.versions = append(sec.versions, v)
	// AWS keeps deprecated (unlabelled) versions up to a limit.
	for len(sec.versions) > maxKeptVersions {
		idx := -1
		for i, o := range sec.versions {
			if len(o.stages) == 0 {
				idx = i
				break
			}
		}
		if idx < 0 {
			break
		}
		sec.versions = append(sec.versions[:idx], sec.versions[idx+1:]...)
	}
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

const arnSuffixChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func (s *Server) newSecret(name string) *secret {
	suffix := make([]byte, 6)
	for i := range suffix {
		suffix[i] = arnSuffixChars[mrand.IntN(len(arnSuffixChars))]
	}
	sec := &secret{
		name: name,
		arn:  fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", s.region, s.account, name, suffix),
	}
	s.secrets[name] = sec
	return sec
}

// findSecret resolves a SecretId: a name, a full ARN or a partial ARN
// (without the random suffix). s.mu held.
func (s *Server) findSecret(id string) *secret {
	if sec, ok := s.secrets[id]; ok {
		return sec
	}
	if !strings.HasPrefix(id, "arn:") {
		return nil
	}
	for _, sec := range s.secrets {
		if sec.arn == id {
			return sec
		}
	}
	prefix := fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:", s.region, s.account)
	if name, ok := strings.CutPrefix(id, prefix); ok {
		return s.secrets[name]
	}
	return nil
}

// seedSecret adds an AWSCURRENT version, creating the secret if needed. s.mu
// held.
func (s *Server) seedSecret(name string, str *string, bin []byte) string {
	sec := s.secrets[name]
	if sec == nil {
		sec = s.newSecret(name)
	}
	v := &secretVersion{id: newUUID(), str: str, binary: bin, created: time.Now()}
	sec.addVersion(v, []string{stageCurrent})
	return v.id
}

// PutSecretString seeds a string secret without counting a request: it
// creates the secret if needed and adds a new AWSCURRENT version, moving the previous one to AWSPREVIOUS. It returns
// the new version id.
func (s *Server) PutSecretString(name, value string) (versionID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seedSecret(name, &value, nil)
}

// PutSecretBinary is [Server.PutSecretString] for a binary secret.
func (s *Server) PutSecretBinary(name string, value []byte) (versionID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if value == nil {
		value = []byte{}
	}
	return s.seedSecret(name, nil, bytes.Clone(value))
}

// Secret returns the AWSCURRENT version of the named secret; false if the
// secret does not exist.
func (s *Server) Secret(name string) (SecretVersion, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[name]
	if sec == nil {
		return SecretVersion{}, false
	}
	v := sec.byStage(stageCurrent)
	if v == nil {
		return SecretVersion{}, false
	}
	return SecretVersion{
		Name:         sec.name,
		ARN:          sec.arn,
		VersionID:    v.id,
		SecretString: v.value(),
		SecretBinary: bytes.Clone(v.binary),
		Stages:       v.stageList(),
		CreatedDate:  v.created,
	}, true
}

type secretValueJSON struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionId     string   `json:"VersionId"` //nolint:revive // AWS name
	SecretString  *string  `json:"SecretString,omitempty"`
	SecretBinary  []byte   `json:"SecretBinary,omitempty"`
	VersionStages []string `json:"VersionStages"`
	CreatedDate   *epoch   `json:"CreatedDate,omitempty"`
}

func valueOut(sec *secret, v *secretVersion) secretValueJSON {
	return secretValueJSON{
		ARN:           sec.arn,
		Name:          sec.name,
		VersionId:     v.id,
		SecretString:  v.str,
		SecretBinary:  v.binary,
		VersionStages: v.stageList(),
		CreatedDate:   epochPtr(v.created),
	}
}

func secretNotFound() *apiError {
	return errf("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

func validateSecretValue(str *string, bin []byte) *apiError {
	if str != nil && bin != nil {
		return errf("InvalidParameterException", "You can't specify both a binary secret value and a string secret value in the same secret.")
	}
	if (str != nil && len(*str) > maxSecretValueLen) || len(bin) > maxSecretValueLen {
		return errf("ValidationException", "1 validation error detected: Value at 'secretString' failed to satisfy constraint: Member must have length less than or equal to %d", maxSecretValueLen)
	}
	return nil
}

func validateToken(tok *string) *apiError {
	if tok != nil && (len(*tok) < 32 || len(*tok) > 64) {
		return errf("ValidationException", "1 validation error detected: Value '%s' at 'clientRequestToken' failed to satisfy constraint: Member must have length between 32 and 64", *tok)
	}
	return nil
}

// lookupValue finds the version of sec selected by versionID and stage
// (default AWSCURRENT).
func lookupValue(sec *secret, versionID, stage *string) (*secretVersion, *apiError) {
	if versionID != nil && *versionID != "" {
		v := sec.byID(*versionID)
		if v == nil {
			return nil, errf("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: %s", *versionID)
		}
		if stage != nil && *stage != "" && !v.stages[*stage] {
			return nil, errf("ResourceNotFoundException", "You provided a VersionStage that is not associated to the provided VersionId.")
		}
		return v, nil
	}
	st := stageCurrent
	if stage != nil && *stage != "" {
		st = *stage
	}
	v := sec.byStage(st)
	if v == nil {
		return nil, errf("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: %s", st)
	}
	return v, nil
}

// smGetSecretValue implements GetSecretValue.
func (s *Server) smGetSecretValue(_ Request, body []byte) (any, *apiError) {
	var in struct {
		SecretId     *string //nolint:revive // AWS name
		VersionId    *string //nolint:revive // AWS name
		VersionStage *string
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	sec, e := s.secretByID(in.SecretId)
	if e != nil {
		return nil, e
	}
	v, e := lookupValue(sec, in.VersionId, in.VersionStage)
	if e != nil {
		return nil, e
	}
	return valueOut(sec, v), nil
}

type smFilter struct {
	Key    string
	Values []string
}

// validateSMFilters accepts what the library sends: name filters. The other
// keys and "!" negations are refused (moto, in the integration tests,
// implements them).
func validateSMFilters(filters []smFilter) *apiError {
	for _, f := range filters {
		if f.Key != "name" {
			return errf("ValidationException", "the fake implements the filter key name only, not %s", f.Key)
		}
		if len(f.Values) == 0 || len(f.Values) > 10 {
			return errf("InvalidParameterException", "Invalid filter values for key %s: between 1 and 10 values are required.", f.Key)
		}
		for _, v := range f.Values {
			if strings.HasPrefix(v, "!") {
				return errf("ValidationException", "the fake implements no negated filter values")
			}
		}
	}
	return nil
}

// listedSecrets returns the secrets whose names start with a value of every
// name filter (a case-sensitive prefix match, as AWS documents it), sorted
// by name. s.mu held.
func (s *Server) listedSecrets(filters []smFilter) []*secret {
	var out []*secret
	for _, sec := range s.secrets {
		ok := true
		for _, f := range filters {
			ok = ok && slices.ContainsFunc(f.Values, func(v string) bool { return strings.HasPrefix(sec.name, v) })
		}
		if ok {
			out = append(out, sec)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// offsetPage cuts page [offset, offset+n) and returns the next token.
func offsetPage[T any](op string, all []T, tok *string, n int) ([]T, string, *apiError) {
	start := 0
	if tok != nil {
		key, ok := decodeToken(op, tok)
		off, err := strconv.Atoi(key)
		if !ok || err != nil || off < 0 {
			return nil, "", errf("InvalidNextTokenException", "The NextToken value is invalid.")
		}
		start = min(off, len(all))
	}
	end := min(start+n, len(all))
	next := ""
	if end < len(all) {
		next = encodeToken(op, strconv.Itoa(end))
	}
	return all[start:end], next, nil
}

type apiErrorJSON struct {
	SecretId  string `json:"SecretId"` //nolint:revive // AWS name
	ErrorCode string `json:"ErrorCode"`
	Message   string `json:"Message"`
}

// batchValue reads the AWSCURRENT value of sec for BatchGetSecretValue.
func (s *Server) batchValue(id string, sec *secret) (*secretValueJSON, *apiErrorJSON) {
	fail := func(e *apiError) (*secretValueJSON, *apiErrorJSON) {
		return nil, &apiErrorJSON{SecretId: id, ErrorCode: e.code, Message: e.msg}
	}
	if sec == nil {
		return fail(secretNotFound())
	}
	if s.denied["GetSecretValue"] {
		return fail(errf("AccessDeniedException", "%s", s.deniedMessage("secretsmanager", "GetSecretValue")))
	}
	v, e := lookupValue(sec, nil, nil)
	if e != nil {
		return fail(e)
	}
	out := valueOut(sec, v)
	return &out, nil
}

// smBatchGetSecretValue implements BatchGetSecretValue: either SecretIdList
// (1..20 ids, one answer, MaxResults not allowed) or Filters (as ListSecrets,
// sorted by name, MaxResults 1..20, default 20). Secrets that cannot be read
// are reported in Errors.
func (s *Server) smBatchGetSecretValue(_ Request, body []byte) (any, *apiError) {
	var in struct {
		SecretIdList []string //nolint:revive // AWS name
		Filters      []smFilter
		MaxResults   *int
		NextToken    *string
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if (len(in.SecretIdList) > 0) == (len(in.Filters) > 0) {
		return nil, errf("InvalidParameterException", "Either SecretIdList or Filters must be provided, but not both.")
	}
	values := []secretValueJSON{}
	errs := []apiErrorJSON{}
	out := map[string]any{}
	if len(in.SecretIdList) > 0 {
		if len(in.SecretIdList) > maxBatchIDs {
			return nil, errf("ValidationException", "1 validation error detected: Value at 'secretIdList' failed to satisfy constraint: Member must have length less than or equal to %d", maxBatchIDs)
		}
		if in.MaxResults != nil {
			return nil, errf("InvalidParameterException", "MaxResults can only be used together with Filters.")
		}
		for _, id := range in.SecretIdList {
			v, e := s.batchValue(id, s.findSecret(id))
			if e != nil {
				errs = append(errs, *e)
			} else {
				values = append(values, *v)
			}
		}
	} else {
		if e := validateSMFilters(in.Filters); e != nil {
			return nil, e
		}
		n, e := checkMaxResults(in.MaxResults, maxBatchResults)
		if e != nil {
			return nil, e
		}
		page, next, e := offsetPage("BatchGetSecretValue", s.listedSecrets(in.Filters), in.NextToken, n)
		if e != nil {
			return nil, e
		}
		for _, sec := range page {
			v, e := s.batchValue(sec.arn, sec)
			if e != nil {
				errs = append(errs, *e)
			} else {
				values = append(values, *v)
			}
		}
		if next != "" {
			out["NextToken"] = next
		}
	}
	out["SecretValues"] = values
	out["Errors"] = errs
	return out, nil
}

// smListSecrets implements ListSecrets: name filters, sorted by name,
// MaxResults 1..100 (default 100). The library reads the names only.
func (s *Server) smListSecrets(_ Request, body []byte) (any, *apiError) {
	var in struct {
		MaxResults *int
		NextToken  *string
		Filters    []smFilter
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	n, e := checkMaxResults(in.MaxResults, maxListSecrets)
	if e != nil {
		return nil, e
	}
	if e := validateSMFilters(in.Filters); e != nil {
		return nil, e
	}
	page, next, e := offsetPage("ListSecrets", s.listedSecrets(in.Filters), in.NextToken, n)
	if e != nil {
		return nil, e
	}
	type entry struct {
		ARN  string `json:"ARN"`
		Name string `json:"Name"`
	}
	list := mapSlice(page, func(sec *secret) entry { return entry{ARN: sec.arn, Name: sec.name} })
	out := map[string]any{"SecretList": list}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

// smPutSecretValue implements PutSecretValue: the new version becomes
// AWSCURRENT and the former current one AWSPREVIOUS (VersionStages, which
// the library never sends, are not implemented). Repeating a
// ClientRequestToken (the SDK sends one, and the same on a retry) with the
// same value is a no-op returning that version; with another value it is
// ResourceExistsException.
func (s *Server) smPutSecretValue(_ Request, body []byte) (any, *apiError) {
	var in struct {
		SecretId           *string //nolint:revive // AWS name
		ClientRequestToken *string
		SecretString       *string
		SecretBinary       []byte
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	sec, e := s.secretByID(in.SecretId)
	if e != nil {
		return nil, e
	}
	if e := validateSecretValue(in.SecretString, in.SecretBinary); e != nil {
		return nil, e
	}
	if in.SecretString == nil && in.SecretBinary == nil {
		return nil, errf("InvalidRequestException", "You must provide either SecretString or SecretBinary.")
	}
	if e := validateToken(in.ClientRequestToken); e != nil {
		return nil, e
	}
	id := newUUID()
	if in.ClientRequestToken != nil {
		id = *in.ClientRequestToken
		if old := sec.byID(id); old != nil {
			if !old.sameValue(in.SecretString, in.SecretBinary) {
				return nil, errf("ResourceExistsException", "You can't modify an existing version, you can only create a new version.")
			}
			return map[string]any{"ARN": sec.arn, "Name": sec.name, "VersionId": old.id, "VersionStages": old.stageList()}, nil
		}
	}
	v := &secretVersion{id: id, str: in.SecretString, binary: in.SecretBinary, created: time.Now()}
	sec.addVersion(v, []string{stageCurrent})
	return map[string]any{"ARN": sec.arn, "Name": sec.name, "VersionId": v.id, "VersionStages": v.stageList()}, nil
}

// secretByID finds the secret a request's SecretId names:
// ResourceNotFoundException when there is none.
func (s *Server) secretByID(id *string) (*secret, *apiError) {
	if id == nil {
		return nil, secretNotFound()
	}
	sec := s.findSecret(*id)
	if sec == nil {
		return nil, secretNotFound()
	}
	return sec, nil
}

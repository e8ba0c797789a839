package awsfake

import (
	"bytes"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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
	stageCurrent       = "AWSCURRENT"
	stagePrevious      = "AWSPREVIOUS"
	maxBatchIDs        = 20
	maxBatchResults    = 20
	maxListSecrets     = 100
	maxSecretValueLen  = 65536
	maxKeptVersions    = 100
	defaultRecoveryDay = 30
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

type smTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type secret struct {
	name        string
	arn         string
	description string
	kmsKeyID    string
	tags        []smTag
	versions    []*secretVersion // oldest first
	created     time.Time
	changed     time.Time
	deletedAt   time.Time // when DeleteSecret scheduled the deletion; zero if not
	deletionAt  time.Time // when the deletion is due
}

func (sec *secret) deleted() bool { return !sec.deletedAt.IsZero() }

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
	sec.changed = v.created
}

func (sec *secret) versionsToStages() map[string][]string {
	out := map[string][]string{}
	for _, v := range sec.versions {
		if len(v.stages) > 0 {
			out[v.id] = v.stageList()
		}
	}
	return out
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
	now := time.Now()
	sec := &secret{
		name:    name,
		arn:     fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", s.region, s.account, name, suffix),
		created: now,
		changed: now,
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
	sec.deletedAt, sec.deletionAt = time.Time{}, time.Time{}
	v := &secretVersion{id: newUUID(), str: str, binary: bin, created: time.Now()}
	sec.addVersion(v, []string{stageCurrent})
	return v.id
}

// PutSecretString seeds a string secret without counting a request: it
// creates the secret if needed (or cancels its scheduled deletion) and adds a
// new AWSCURRENT version, moving the previous one to AWSPREVIOUS. It returns
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
// secret does not exist or has no current version. A secret scheduled for
// deletion is still returned.
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

func markedForDeletion() *apiError {
	return errf("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
}

var secretNameChars = regexp.MustCompile(`^[a-zA-Z0-9/_+=.@!-]+$`)

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

// smCreateSecret implements CreateSecret. A secret created without a value
// has no version (GetSecretValue then answers ResourceNotFoundException).
func (s *Server) smCreateSecret(_ Request, body []byte) (any, *apiError) {
	var in struct {
		Name               *string
		ClientRequestToken *string
		Description        *string
		KmsKeyId           *string //nolint:revive // AWS name
		SecretString       *string
		SecretBinary       []byte
		Tags               []smTag
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if in.Name == nil || *in.Name == "" || utf8.RuneCountInString(*in.Name) > 512 || !secretNameChars.MatchString(*in.Name) {
		return nil, errf("InvalidParameterException", "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
	}
	if e := validateSecretValue(in.SecretString, in.SecretBinary); e != nil {
		return nil, e
	}
	if e := validateToken(in.ClientRequestToken); e != nil {
		return nil, e
	}
	if in.Description != nil && utf8.RuneCountInString(*in.Description) > 2048 {
		return nil, errf("ValidationException", "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 2048")
	}
	if old := s.secrets[*in.Name]; old != nil {
		if old.deleted() {
			return nil, errf("InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion.")
		}
		return nil, errf("ResourceExistsException", "The operation failed because the secret %s already exists.", *in.Name)
	}
	sec := s.newSecret(*in.Name)
	if in.Description != nil {
		sec.description = *in.Description
	}
	if in.KmsKeyId != nil {
		sec.kmsKeyID = *in.KmsKeyId
	}
	sec.tags = in.Tags
	out := map[string]any{"ARN": sec.arn, "Name": sec.name}
	if in.SecretString != nil || in.SecretBinary != nil {
		id := newUUID()
		if in.ClientRequestToken != nil {
			id = *in.ClientRequestToken
		}
		sec.addVersion(&secretVersion{id: id, str: in.SecretString, binary: in.SecretBinary, created: sec.created}, []string{stageCurrent})
		out["VersionId"] = id
	}
	return out, nil
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
	sec, e := s.secretByID(in.SecretId, true)
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

var smFilterKeys = map[string]bool{
	"description": true, "name": true, "tag-key": true, "tag-value": true,
	"primary-region": true, "owning-service": true, "all": true,
}

func validateSMFilters(filters []smFilter) *apiError {
	if len(filters) > 10 {
		return errf("ValidationException", "1 validation error detected: Value at 'filters' failed to satisfy constraint: Member must have length less than or equal to 10")
	}
	for i, f := range filters {
		if !smFilterKeys[f.Key] {
			return errf("ValidationException", "1 validation error detected: Value '%s' at 'filters.%d.member.key' failed to satisfy constraint: Member must satisfy enum value set: [all, name, tag-key, description, owning-service, tag-value, primary-region]", f.Key, i+1)
		}
		if len(f.Values) == 0 || len(f.Values) > 10 {
			return errf("InvalidParameterException", "Invalid filter values for key %s: between 1 and 10 values are required.", f.Key)
		}
	}
	return nil
}

// matchSMFilters applies ListSecrets filters: all filters must match; within
// a filter any value; a value starting with "!" must not match. As the API
// reference's Filter type documents: name, tag-key and tag-value are
// case-sensitive prefix matches, description a case-insensitive prefix
// match; all (documented as a case-insensitive word search) is a
// case-insensitive substring match on name, description and tags here;
// primary-region and owning-service never match (the fake has no replicas
// or managed secrets).
func matchSMFilters(sec *secret, filters []smFilter) bool {
	for _, f := range filters {
		pos, hasPos := false, false
		for _, raw := range f.Values {
			v, neg := strings.CutPrefix(raw, "!")
			m := matchSMFilter(sec, f.Key, v)
			if neg {
				if m {
					return false
				}
				continue
			}
			hasPos = true
			pos = pos || m
		}
		if hasPos && !pos {
			return false
		}
	}
	return true
}

func matchSMFilter(sec *secret, key, v string) bool {
	lv := strings.ToLower(v)
	ciPrefix := func(s string) bool { return strings.HasPrefix(strings.ToLower(s), lv) }
	ciContains := func(s string) bool { return strings.Contains(strings.ToLower(s), lv) }
	switch key {
	case "name":
		return strings.HasPrefix(sec.name, v)
	case "description":
		return ciPrefix(sec.description)
	case "tag-key":
		for _, t := range sec.tags {
			if strings.HasPrefix(t.Key, v) {
				return true
			}
		}
	case "tag-value":
		for _, t := range sec.tags {
			if strings.HasPrefix(t.Value, v) {
				return true
			}
		}
	case "all":
		if ciContains(sec.name) || ciContains(sec.description) {
			return true
		}
		for _, t := range sec.tags {
			if ciContains(t.Key) || ciContains(t.Value) {
				return true
			}
		}
	}
	return false
}

// listedSecrets returns the secrets matching filters, sorted by name
// ascending. s.mu held.
func (s *Server) listedSecrets(filters []smFilter, includeDeleted bool) []*secret {
	var out []*secret
	for _, sec := range s.secrets {
		if sec.deleted() && !includeDeleted {
			continue
		}
		if matchSMFilters(sec, filters) {
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
	if sec.deleted() {
		return fail(markedForDeletion())
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
		page, next, e := offsetPage("BatchGetSecretValue", s.listedSecrets(in.Filters, false), in.NextToken, n)
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

type secretMetaJSON struct {
	ARN                    string              `json:"ARN"`
	Name                   string              `json:"Name"`
	Description            string              `json:"Description,omitempty"`
	KmsKeyId               string              `json:"KmsKeyId,omitempty"` //nolint:revive // AWS name
	LastChangedDate        *epoch              `json:"LastChangedDate,omitempty"`
	DeletedDate            *epoch              `json:"DeletedDate,omitempty"`
	Tags                   []smTag             `json:"Tags,omitempty"`
	SecretVersionsToStages map[string][]string `json:"SecretVersionsToStages,omitempty"`
	VersionIdsToStages     map[string][]string `json:"VersionIdsToStages,omitempty"`
	CreatedDate            *epoch              `json:"CreatedDate,omitempty"`
}

func secretMeta(sec *secret) secretMetaJSON {
	return secretMetaJSON{
		ARN:             sec.arn,
		Name:            sec.name,
		Description:     sec.description,
		KmsKeyId:        sec.kmsKeyID,
		LastChangedDate: epochPtr(sec.changed),
		DeletedDate:     epochPtr(sec.deletedAt),
		Tags:            sec.tags,
		CreatedDate:     epochPtr(sec.created),
	}
}

// smListSecrets implements ListSecrets: filters as described at
// matchSMFilters, sorted by name unless SortBy says otherwise (created-date,
// last-changed-date, last-accessed-date = last-changed-date here), SortOrder
// asc (default) or desc, MaxResults 1..100 (default 100). Secrets scheduled
// for deletion are listed only with IncludePlannedDeletion.
func (s *Server) smListSecrets(_ Request, body []byte) (any, *apiError) {
	var in struct {
		IncludePlannedDeletion *bool
		MaxResults             *int
		NextToken              *string
		Filters                []smFilter
		SortOrder              *string
		SortBy                 *string
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
	desc := false
	if in.SortOrder != nil {
		switch *in.SortOrder {
		case "asc":
		case "desc":
			desc = true
		default:
			return nil, errf("ValidationException", "1 validation error detected: Value '%s' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [asc, desc]", *in.SortOrder)
		}
	}
	all := s.listedSecrets(in.Filters, in.IncludePlannedDeletion != nil && *in.IncludePlannedDeletion)
	if in.SortBy != nil {
		var key func(*secret) time.Time
		switch *in.SortBy {
		case "name":
		case "created-date":
			key = func(sec *secret) time.Time { return sec.created }
		case "last-changed-date", "last-accessed-date":
			key = func(sec *secret) time.Time { return sec.changed }
		default:
			return nil, errf("ValidationException", "1 validation error detected: Value '%s' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value set: [created-date, last-accessed-date, last-changed-date, name]", *in.SortBy)
		}
		if key != nil {
			sort.SliceStable(all, func(i, j int) bool { return key(all[i]).Before(key(all[j])) })
		}
	}
	if desc {
		for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
			all[i], all[j] = all[j], all[i]
		}
	}
	page, next, e := offsetPage("ListSecrets", all, in.NextToken, n)
	if e != nil {
		return nil, e
	}
	list := mapSlice(page, func(sec *secret) secretMetaJSON {
		m := secretMeta(sec)
		m.SecretVersionsToStages = sec.versionsToStages()
		return m
	})
	out := map[string]any{"SecretList": list}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

// smPutSecretValue implements PutSecretValue. VersionStages defaults to
// [AWSCURRENT]; moving AWSCURRENT makes the former current version
// AWSPREVIOUS. Repeating a ClientRequestToken with the same value is a no-op
// returning that version; with another value it is ResourceExistsException.
func (s *Server) smPutSecretValue(_ Request, body []byte) (any, *apiError) {
	var in struct {
		SecretId           *string //nolint:revive // AWS name
		ClientRequestToken *string
		SecretString       *string
		SecretBinary       []byte
		VersionStages      []string
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	sec, e := s.secretByID(in.SecretId, true)
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
	if len(in.VersionStages) > 20 {
		return nil, errf("ValidationException", "1 validation error detected: Value at 'versionStages' failed to satisfy constraint: Member must have length less than or equal to 20")
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
	stages := in.VersionStages
	if len(stages) == 0 {
		stages = []string{stageCurrent}
	}
	v := &secretVersion{id: id, str: in.SecretString, binary: in.SecretBinary, created: time.Now()}
	sec.addVersion(v, stages)
	return map[string]any{"ARN": sec.arn, "Name": sec.name, "VersionId": v.id, "VersionStages": v.stageList()}, nil
}

// smDescribeSecret implements DescribeSecret (also for secrets scheduled for
// deletion, which carry DeletedDate).
func (s *Server) smDescribeSecret(_ Request, body []byte) (any, *apiError) {
	var in struct {
		SecretId *string //nolint:revive // AWS name
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	sec, e := s.secretByID(in.SecretId, false)
	if e != nil {
		return nil, e
	}
	m := secretMeta(sec)
	m.VersionIdsToStages = sec.versionsToStages()
	return m, nil
}

// smDeleteSecret implements DeleteSecret. ForceDeleteWithoutRecovery removes
// the secret at once; otherwise the deletion is scheduled after
// RecoveryWindowInDays (7..30, default 30) and the secret can no longer be
// read or changed (the fake never carries the deletion out; seeding the
// secret again with PutSecretString cancels it).
func (s *Server) smDeleteSecret(_ Request, body []byte) (any, *apiError) {
	var in struct {
		SecretId                   *string //nolint:revive // AWS name
		RecoveryWindowInDays       *int
		ForceDeleteWithoutRecovery *bool
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	sec, e := s.secretByID(in.SecretId, false)
	if e != nil {
		return nil, e
	}
	force := in.ForceDeleteWithoutRecovery != nil && *in.ForceDeleteWithoutRecovery
	if force && in.RecoveryWindowInDays != nil {
		return nil, errf("InvalidParameterException", "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
	}
	days := defaultRecoveryDay
	if in.RecoveryWindowInDays != nil {
		days = *in.RecoveryWindowInDays
		if days < 7 || days > 30 {
			return nil, errf("InvalidParameterException", "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
		}
	}
	now := time.Now()
	if force {
		delete(s.secrets, sec.name)
		return map[string]any{"ARN": sec.arn, "Name": sec.name, "DeletionDate": epoch(now)}, nil
	}
	if sec.deleted() {
		return nil, errf("InvalidRequestException", "You can't perform this operation on the secret because it was already scheduled for deletion.")
	}
	sec.deletedAt = now
	sec.deletionAt = now.Add(time.Duration(days) * 24 * time.Hour)
	return map[string]any{"ARN": sec.arn, "Name": sec.name, "DeletionDate": epoch(sec.deletionAt)}, nil
}

// secretByID finds the secret a request's SecretId names: ResourceNotFound
// when there is none and, with live, InvalidRequest when it is scheduled for
// deletion.
func (s *Server) secretByID(id *string, live bool) (*secret, *apiError) {
	if id == nil {
		return nil, secretNotFound()
	}
	sec := s.findSecret(*id)
	if sec == nil {
		return nil, secretNotFound()
	}
	if live && sec.deleted() {
		return nil, markedForDeletion()
	}
	return sec, nil
}

package aws

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/s1crets/s1crets/driver"
)

// getParametersSize is GetParameters' limit of names per call.
const getParametersSize = 10

func chunks(names []string, n int) [][]string {
	var out [][]string
	for len(names) > n {
		out = append(out, names[:n])
		names = names[n:]
	}
	if len(names) > 0 {
		out = append(out, names)
	}
	return out
}

// GetMany reads parameters with GetParameters, 10 names a call; names
// under ReferencePrefix go through Get, for the walk. Answers are matched
// to the names as asked (see matchParameter).
func (p *parameterStore) GetMany(ctx context.Context, names []string, q driver.Query) (map[string]driver.Secret, map[string]error, error) {
	found := make(map[string]driver.Secret, len(names))
	failed := map[string]error{}
	var plain []string
	for _, n := range names {
		if strings.HasPrefix(n, ReferencePrefix) {
			sec, err := p.Get(ctx, n, q)
			if err != nil {
				failed[n] = err
			} else {
				found[n] = sec
			}
			continue
		}
		plain = append(plain, n)
	}
	for _, chunk := range distinctChunks(plain, getParametersSize, parameterOf) {
		in := &ssm.GetParametersInput{Names: chunk, WithDecryption: &q.Decrypt}
		out, err := renewing(p.creds, func() (*ssm.GetParametersOutput, error) { return p.client.GetParameters(ctx, in) })
		if err != nil {
			return nil, nil, mapError(err)
		}
		answers := make(map[string]*types.Parameter, 2*len(out.Parameters))
		for i := range out.Parameters {
			param := &out.Parameters[i]
			answers[parameterOf(awssdk.ToString(param.Name))] = param
			if arn := awssdk.ToString(param.ARN); arn != "" {
				answers[parameterOf(arn)] = param
			}
		}
		for _, n := range chunk {
			if param := answers[parameterOf(n)]; param != nil && matchParameter(n, param) {
				found[n] = parameterSecret(param)
			}
		}
	}
	return found, failed, nil
}

// parameterOf names the parameter that n (a name or an ARN, with or without
// a selector) reads, for matching answers to names: "/a", "a",
// "/a:3" and ".../parameter/a" are all "a". It conflates "a" and "/a",
// which only puts them in separate calls.
func parameterOf(n string) string {
	base, _ := splitSelector(n)
	if strings.HasPrefix(base, "arn:") {
		if i := strings.Index(base, ":parameter/"); i >= 0 {
			return base[i+len(":parameter/"):]
		}
		return base
	}
	return strings.TrimPrefix(base, "/")
}

// distinctChunks splits names into chunks of at most n in which no two
// names have the same key. Each call of GetParameters then asks for a
// parameter once, so that its answer belongs to one name, even from an
// emulator that leaves out the answer's Selector (moto does): "/a" and
// "/a:1" in one call would come back as two answers named "/a", and the
// older value could be taken for the current one.
func distinctChunks(names []string, n int, key func(string) string) [][]string {
	var out [][]string
	var keys []map[string]bool
	for _, name := range names {
		k := key(name)
		i := 0
		for ; i < len(out); i++ {
			if len(out[i]) < n && !keys[i][k] {
				break
			}
		}
		if i == len(out) {
			out = append(out, nil)
			keys = append(keys, map[string]bool{})
		}
		out[i] = append(out[i], name)
		keys[i][k] = true
	}
	return out
}

// matchParameter reports whether param, the answer for the parameter that
// name reads, is the version that name asks for: the answer's Selector,
// when it has one, is name's; a version number in name is the answer's
// Version.
func matchParameter(name string, param *types.Parameter) bool {
	_, sel := splitSelector(name)
	if got := awssdk.ToString(param.Selector); got != "" && got != sel {
		return false
	}
	if v, err := strconv.ParseInt(strings.TrimPrefix(sel, ":"), 10, 64); err == nil && sel != "" && param.Version != 0 {
		return param.Version == v
	}
	return true
}

// splitSelector splits "NAME:VERSION" or "NAME:LABEL" (and the same after
// an ARN) into the name and ":VERSION", as GetParameters answers Selector.
func splitSelector(n string) (base, sel string) {
	from := 0
	if strings.HasPrefix(n, "arn:") {
		from = strings.Index(n, ":parameter/")
		if from < 0 {
			return n, ""
		}
	}
	if i := strings.LastIndexByte(n, ':'); i > from && i > 0 && !(from > 0 && i == from) {
		return n[:i], n[i:]
	}
	return n, ""
}

// GetMany reads secrets with BatchGetSecretValue, 20 ids a call. When
// that call is denied, or a version is asked for (the batch call reads
// AWSCURRENT only), it reads them one by one.
func (s *secretsManager) GetMany(ctx context.Context, names []string, q driver.Query) (map[string]driver.Secret, map[string]error, error) {
	if q.VersionStage == "" && q.VersionID == "" {
		found, failed, err := s.batchByID(ctx, names)
		if code(err) != "AccessDeniedException" {
			return found, failed, err
		}
	}
	return s.manyOneByOne(ctx, names, q)
}

func (s *secretsManager) batchByID(ctx context.Context, names []string) (map[string]driver.Secret, map[string]error, error) {
	found := make(map[string]driver.Secret, len(names))
	failed := map[string]error{}
	for _, chunk := range chunks(names, batchSize) {
		in := &secretsmanager.BatchGetSecretValueInput{SecretIdList: chunk}
		out, err := renewing(s.creds, func() (*secretsmanager.BatchGetSecretValueOutput, error) {
			return s.client.BatchGetSecretValue(ctx, in)
		})
		if err != nil {
			return nil, nil, mapError(err)
		}
		// Answers carry the name and the ARN; the caller may have asked by
		// either.
		asked := make(map[string]bool, len(chunk))
		for _, id := range chunk {
			asked[id] = true
		}
		for i := range out.SecretValues {
			v := &out.SecretValues[i]
			val := secretOfEntry(v)
			for _, id := range []string{awssdk.ToString(v.Name), awssdk.ToString(v.ARN)} {
				if asked[id] {
					found[id] = val
				}
			}
		}
		for _, e := range out.Errors {
			id := awssdk.ToString(e.SecretId)
			failed[id] = mapError(&smithy.GenericAPIError{Code: awssdk.ToString(e.ErrorCode), Message: awssdk.ToString(e.Message)})
		}
	}
	return found, failed, nil
}

func (s *secretsManager) manyOneByOne(ctx context.Context, names []string, q driver.Query) (map[string]driver.Secret, map[string]error, error) {
	values := make([]driver.Secret, len(names))
	errs := make([]error, len(names))
	g := new(errgroup.Group)
	g.SetLimit(8)
	for i, n := range names {
		g.Go(func() error {
			values[i], errs[i] = s.Get(ctx, n, q)
			return nil
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	found := make(map[string]driver.Secret, len(names))
	failed := map[string]error{}
	for i, n := range names {
		if errs[i] != nil {
			failed[n] = fmt.Errorf("secret %q: %w", n, errs[i])
		} else {
			found[n] = values[i]
		}
	}
	return found, failed, nil
}

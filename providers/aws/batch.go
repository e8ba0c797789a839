package aws

import (
	"context"
	"fmt"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
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
// to the names as asked: by name or ARN, and version selector.
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
	for _, chunk := range chunks(plain, getParametersSize) {
		in := &ssm.GetParametersInput{Names: chunk, WithDecryption: &q.Decrypt}
		out, err := renewing(p.creds, func() (*ssm.GetParametersOutput, error) { return p.client.GetParameters(ctx, in) })
		if err != nil {
			return nil, nil, mapError(err)
		}
		answers := make(map[[2]string]driver.Secret, 2*len(out.Parameters))
		for _, param := range out.Parameters {
			name, sel := awssdk.ToString(param.Name), awssdk.ToString(param.Selector)
			sec := driver.Secret{Name: name, Text: awssdk.ToString(param.Value)}
			answers[[2]string{name, sel}] = sec
			if arn := awssdk.ToString(param.ARN); arn != "" {
				answers[[2]string{arn, sel}] = sec
			}
		}
		for _, n := range chunk {
			base, sel := splitSelector(n)
			if sec, ok := answers[[2]string{base, sel}]; ok {
				found[n] = sec
			}
		}
	}
	return found, failed, nil
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
		for _, v := range out.SecretValues {
			val := secretOf(v.Name, v.SecretBinary, v.SecretString)
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

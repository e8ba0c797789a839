package motoenv

import (
	"context"
	"errors"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// Seeding writes for tests, idempotent: on a busy machine the SDK may
// retry a write that moto already did (an answer that came too late, or a
// reset connection), and the retry must not fail the test.

// PutParameter creates or overwrites a parameter.
func PutParameter(ctx context.Context, c *ssm.Client, in *ssm.PutParameterInput) error {
	in.Overwrite = awssdk.Bool(true)
	_, err := c.PutParameter(ctx, in)
	return err
}

// CreateSecret creates a secret whose name is the test's own: a
// ResourceExistsException is a retry of this create that moto already did.
func CreateSecret(ctx context.Context, c *secretsmanager.Client, in *secretsmanager.CreateSecretInput) error {
	_, err := c.CreateSecret(ctx, in)
	if _, exists := errors.AsType[*smtypes.ResourceExistsException](err); exists {
		return nil
	}
	return err
}

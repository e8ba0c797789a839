// Package awsfake is an in-process fake of the AWS Systems Manager Parameter
// Store, Secrets Manager and STS wire protocols, served by an
// [httptest.Server].
//
// The real aws-sdk-go-v2 clients talk to it: build them from [Server.Config]
// (static credentials, region us-east-1, BaseEndpoint pointing at the fake)
// and use them as against AWS. One server answers all three services:
//
//   - SSM and Secrets Manager use the AWS JSON 1.1 protocol (POST /, header
//     X-Amz-Target "AmazonSSM.<Op>" or "secretsmanager.<Op>"); errors carry
//     the AWS error code in the body's "__type" and in the X-Amzn-ErrorType
//     header, so the SDK maps them to its modeled error types
//     (*ssmtypes.ParameterNotFound, *smtypes.ResourceNotFoundException, ...).
//   - STS uses the AWS query protocol (form-encoded Action=AssumeRole or
//     GetCallerIdentity) with XML answers and the STS XML error format.
//
// It implements what the library sends, and nothing more (moto, in the
// integration tests, answers the rest of the API):
//
//	SSM:             GetParameter, GetParameters, GetParametersByPath,
//	                 DescribeParameters, PutParameter
//	Secrets Manager: GetSecretValue, BatchGetSecretValue, ListSecrets,
//	                 PutSecretValue
//	STS:             AssumeRole, GetCallerIdentity
//
// Any other operation answers UnknownOperationException (JSON) or
// InvalidAction (STS); a filter, option or field of these operations that
// the library never sends is refused or ignored, as each operation says.
// State is seeded with [Server.PutParameter], [Server.PutSecretString] and
// [Server.PutSecretBinary], not through the API.
//
// The fake follows real AWS behaviour where it matters to callers: status
// codes, error codes, page limits and so on. Details:
//
//   - Lists are sorted by name; NextToken values are opaque and bound to
//     their operation (a foreign token answers InvalidNextToken /
//     InvalidNextTokenException).
//   - GetParameter: ParameterNotFound when missing; a Name may also be the
//     parameter ARN, and may end in a version or label selector ("name:3",
//     "name:label", labels set with [Server.LabelParameterVersion]): the
//     answer holds that version with the bare Name and the Selector, as on
//     AWS; an unknown version or label is ParameterVersionNotFound.
//     SecureString values read without WithDecryption come back as
//     [Ciphertext] of the name, a fixed non-secret placeholder standing in for
//     the KMS ciphertext AWS returns.
//   - GetParameter (and GetParameters) on
//     "/aws/reference/secretsmanager/<secret-id>" return the secret's
//     AWSCURRENT value as a SecureString named as requested, with the
//     secret's ARN and SourceResult; WithDecryption must be true
//     (ValidationException otherwise); a missing secret is ParameterNotFound;
//     a binary secret's value is returned base64-encoded.
//   - GetParameters: 1..10 names, ARNs and selectors as GetParameter
//     (ValidationException otherwise); found parameters in request order,
//     the rest (unknown versions and labels too) in InvalidParameters.
//   - GetParametersByPath: Path must start with "/" (ValidationException);
//     "/" is the root; without Recursive only direct children; MaxResults
//     1..10, default 10 (ValidationException above 10).
//   - DescribeParameters: ParameterFilters on Name, Equals or BeginsWith
//     (other keys and options: InvalidFilterKey, InvalidFilterOption);
//     MaxResults 1..50, default 50.
//   - PutParameter: the overwrite of an existing parameter (Overwrite true);
//     creating one is refused. AllowedPattern must match the whole value
//     (ParameterPatternMismatchException). Omitted Type, Description,
//     AllowedPattern, Tier and DataType are kept while an omitted KeyId of a
//     SecureString reverts to alias/aws/ssm. Standard values are limited to
//     4096 characters, Advanced to 8192; Advanced cannot be downgraded. An
//     unusable KeyId answers InvalidKeyId.
//   - Secrets: SecretId is a name, the ARN, or the ARN without its random
//     suffix. PutSecretValue moves AWSCURRENT to the new version and
//     AWSPREVIOUS to the former current one; repeating a ClientRequestToken
//     (the SDK sends one) with the same value is a no-op.
//   - BatchGetSecretValue: exactly one of SecretIdList (1..20) and Filters
//     (InvalidParameterException otherwise); MaxResults 1..20 and paging
//     only with Filters; unreadable secrets are reported in Errors.
//   - ListSecrets and BatchGetSecretValue's Filters: the "name" filter, a
//     case-sensitive prefix match, as AWS documents it (other keys and "!"
//     negations: ValidationException); sorted by name; ListSecrets'
//     MaxResults 1..100, default 100, and its entries hold ARN and Name.
//   - AssumeRole issues new credentials on every call ("ASIAFAKE" + a
//     counter); see [Server.SetCredentialLifetime].
//
// Test hooks let tests seed state without counting requests
// ([Server.PutParameter], [Server.PutSecretString]), inspect it, count the
// requests per operation ([Server.Calls], [Server.Requests]) together with
// the access key that signed them, inject faults ([Server.FailNext],
// [Server.Deny], [Server.SetHook]) and shape STS credentials
// ([Server.SetCredentialLifetime]).
//
// A Server is safe for concurrent use.
package awsfake

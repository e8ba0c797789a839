package aws

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/s1crets/s1crets/driver"
)

// Names and ARNs as the AWS documentation describes them: Parameter Store
// names (letters, digits, _ . - and / for a hierarchy of at most 15
// levels, at most 1011 characters), NAME:VERSION and NAME:LABEL selectors
// (labels: at most 100 letters, digits, . - _, not beginning with a digit,
// "aws" or "ssm"), parameter ARNs; Secrets Manager names (1 to 512 letters,
// digits and / _ + = . @ -, and "!" in the names AWS gives RDS-managed
// secrets), full and partial ARNs (at most 2048 characters).
func TestValidateNames(t *testing.T) {
	ps, sm := &parameterStore{}, &secretsManager{}
	q := driver.DefaultQuery()
	long := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a'
		}
		return string(b)
	}
	for _, c := range []struct {
		store driver.Validator
		op    driver.Op
		name  string
		ok    bool
	}{
		{ps, driver.OpGet, "/prod/db/password", true},
		{ps, driver.OpGet, "plain_name.v-1", true},
		{ps, driver.OpGet, "/prod/db/password:3", true},
		{ps, driver.OpGet, "/prod/db/password:Prod.Label_1-x", true},
		{ps, driver.OpGet, "/a:0", false},        // versions start at 1
		{ps, driver.OpGet, "/a:1label", false},   // a label cannot begin with a digit
		{ps, driver.OpGet, "/a:awsLabel", false}, // nor with aws or ssm
		{ps, driver.OpGet, "/a:ssm", false},      //
		{ps, driver.OpGet, "/a:", false},         // an empty selector
		{ps, driver.OpGet, "/a:" + long(101), false},
		{ps, driver.OpGet, "/a:" + long(100), true},
		{ps, driver.OpGet, "/a b", false},
		{ps, driver.OpGet, "/a\x00b", false},
		{ps, driver.OpGet, "a/b", false},
		{ps, driver.OpGet, "/" + long(1011), false},
		{ps, driver.OpGet, "/l/l/l/l/l/l/l/l/l/l/l/l/l/l/l", true},
		{ps, driver.OpGet, "/l/l/l/l/l/l/l/l/l/l/l/l/l/l/l/l", false},
		{ps, driver.OpGet, "arn:aws:ssm:us-east-1:123456789012:parameter/prod/db/password", true},
		{ps, driver.OpGet, "arn:aws:ssm:us-east-1:123456789012:parameter/prod/db/password:2", true},
		{ps, driver.OpGet, "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/x", true},
		{ps, driver.OpGet, "arn:aws:ssm:us-east-1:123456789012:parameter/a\x00b", false},
		{ps, driver.OpGet, "arn:aws:ssm:us-east-1:12345:parameter/a", false},
		{ps, driver.OpGet, "arn:aws:secretsmanager:us-east-1:123456789012:parameter/a", false},
		{ps, driver.OpGet, "arn:aws:ssm:us-east-1:123456789012:document/a", false},
		{ps, driver.OpUpdate, "arn:aws:ssm:us-east-1:123456789012:parameter/a", false},
		{ps, driver.OpGetByPath, "/prod", true},
		{ps, driver.OpGetByPath, "prod", false},
		{ps, driver.OpUpdate, "/aws/x", false},
		{ps, driver.OpUpdate, "/SSM-x/y", false},
		{sm, driver.OpGet, "prod/db/mysql", true},
		{sm, driver.OpGet, "a+b=c.d@e-f_g/h", true},
		{sm, driver.OpGet, "rds!db-0123abcd-4567", true},
		{sm, driver.OpGet, "rds!cluster-0123abcd", true},
		{sm, driver.OpGet, long(512), true},
		{sm, driver.OpGet, long(513), false},
		{sm, driver.OpGet, "a b", false},
		{sm, driver.OpGet, "a\x00b", false},
		{sm, driver.OpGet, "a#b", false},
		{sm, driver.OpGet, "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf", true},
		{sm, driver.OpGet, "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db", true},
		{sm, driver.OpGet, "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf", true},
		{sm, driver.OpGet, "arn:aws:secretsmanager:us-east-1:123456789012:secret:a\x00b", false},
		{sm, driver.OpGet, "arn:aws:secretsmanager:us-east-1:123456789012:secret:", false},
		{sm, driver.OpGet, "arn:aws:secretsmanager:us-east-1:123456789012:key:x", false},
		{sm, driver.OpGet, "arn:aws:ssm:us-east-1:123456789012:secret:x", false},
		{sm, driver.OpGet, "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + long(2048), false},
	} {
		err := c.store.Validate(c.op, c.name, q)
		if c.ok {
			assert.NoError(t, err, "%T %s %q", c.store, c.op, c.name)
		} else {
			assert.Error(t, err, "%T %s %q", c.store, c.op, c.name)
		}
	}
}

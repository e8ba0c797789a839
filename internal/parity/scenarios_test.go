package parity

// The scenarios: what both libraries run, on identical moto state. A path
// or value holds {root}, replaced by the side's own root (see seedFor), so
// the two sides never read what the other one wrote.
//
// A step whose results differ names the row of differences.md that
// explains it (diff) and the Go result that row promises (want, in the
// normalised form, with {root} for the root). Every other step must give
// the same result on both sides.

const ref = "/aws/reference/secretsmanager/"

// jsonSecret is the JSON secret {root}/json of Secrets Manager.
const jsonSecret = `{"a":{"b":{"c":"deep"}},"zero":0,"empty":"","n":null,"off":false,` +
	`"lst":[{"k":1},{"k":2},{}],"mixed":[{"k":1},{"j":2}],"hosts":[{"name":"a"},{"name":"b"}],` +
	`"top":"T","user":"admin","port":5432}`

// The role moto's STS lets anyone assume. Its credentials see the data of
// the account in the ARN: moto's default account, where the seed is.
const (
	roleARN      = "arn:aws:iam::123456789012:role/parity-reader"
	otherRoleARN = "arn:aws:iam::111111111111:role/parity-reader"
)

// Normalised results, for want.
var (
	notFound = map[string]any{"error": "not_found"}
	invalid  = map[string]any{"error": "invalid"}
	okNull   = map[string]any{"ok": nil}
)

func ok(v any) map[string]any { return map[string]any{"ok": v} }

// scenarios returns the steps, in the order both sides run them.
func scenarios() []step {
	var s []step
	// differs marks a step whose results differ, by row of
	// differences.md, with the Go result that row promises (nil: not
	// checked beyond differing).
	differs := func(st step, row string, want any) step {
		st.Diff, st.Want = row, want
		return st
	}
	withDefault := func(st step, d string) step {
		st.API, st.Opts = "provider", opts{"default": d}
		return st
	}
	add := func(group string, steps ...step) {
		for _, st := range steps {
			st.ID = group + "/" + st.ID
			s = append(s, st)
		}
	}

	// Row 1 (simple API, memoized instances) and row 2 (cache): a module
	// level read is cached in the memoized instance; an out-of-band write
	// stays invisible to it; other options or a provider object are other
	// instances.
	add("simple-api",
		step{ID: "ps-get", Op: "get", API: "module", Provider: "aws.ps", Path: "/{root}/stale/p"},
		step{ID: "ps-write-out-of-band", Op: "put_parameter", Path: "/{root}/stale/p", Value: "v2"},
		step{ID: "ps-get-cached", Op: "get", API: "module", Provider: "aws.ps", Path: "/{root}/stale/p"},
		step{ID: "ps-get-other-instance", Op: "get", API: "module", Provider: "aws.ps", Path: "/{root}/stale/p", Opts: opts{"retry": 5}},
		step{ID: "ps-provider-object", Op: "get", API: "provider", Provider: "aws.ps", Path: "/{root}/stale/p"},
		step{ID: "sm-get", Op: "get", API: "module", Provider: "aws.sm", Path: "{root}/stale/s"},
		step{ID: "sm-write-out-of-band", Op: "put_secret", Path: "{root}/stale/s", Value: "v2"},
		step{ID: "sm-get-cached", Op: "get", API: "module", Provider: "aws.sm", Path: "{root}/stale/s"},
		step{ID: "sm-provider-object", Op: "get", API: "provider", Provider: "aws.sm", Path: "{root}/stale/s"},
		// retry 2, not 1: moto may close a kept-alive connection as it is
		// reused, which a single attempt cannot survive on either side.
		// timeout 30, not 2: moto on a busy machine may take seconds to
		// answer, and a timed-out attempt on one side only is a mismatch.
		step{ID: "retry-timeout", Op: "get", API: "module", Provider: "aws.sm", Path: "{root}/plain", Opts: opts{"retry": 2, "timeout": 30}},
		step{ID: "retry-0", Op: "get", API: "module", Provider: "aws.sm", Path: "{root}/plain", Opts: opts{"retry": 0}},
		step{ID: "unknown-provider", Op: "get", API: "module", Provider: "aws.nope", Path: "{root}/plain"},
	)

	// Row 3: Parameter Store get.
	add("ps-get",
		step{ID: "plain", Op: "get", API: "module", Provider: "aws.ps", Path: "/{root}/app/plain"},
		step{ID: "secure", Op: "get", API: "module", Provider: "aws.ps", Path: "/{root}/app/secure"},
		step{ID: "secure-no-decrypt", Op: "get", API: "provider", Provider: "aws.ps", Path: "/{root}/app/secure", Opts: opts{"decrypt": false}},
		step{ID: "json-is-text", Op: "get", API: "module", Provider: "aws.ps", Path: "/{root}/app/json"},
		step{ID: "stringlist", Op: "get", API: "module", Provider: "aws.ps", Path: "/{root}/app/list"},
		step{ID: "missing", Op: "get", API: "module", Provider: "aws.ps", Path: "/{root}/app/nope"},
		step{ID: "missing-default", Op: "get", API: "provider", Provider: "aws.ps", Path: "/{root}/app/nope", Opts: opts{"default": "D"}},
		step{ID: "trailing-slash", Op: "get", API: "module", Provider: "aws.ps", Path: "/{root}/app/"},
		step{ID: "keypath", Op: "get", API: "module", Provider: "aws.ps", Path: "/{root}/app/json", Keypath: []string{"user"},
			Diff: "ps-keypath", Want: ok("admin")},
		step{ID: "keypath-provider", Op: "get", API: "provider", Provider: "aws.ps", Path: "/{root}/app/json", Keypath: []string{"nested", "k"},
			Diff: "ps-keypath", Want: ok("v")},
	)

	// Row 4: the /aws/reference/secretsmanager/ walk.
	ps := func(id, path string) step {
		return step{ID: id, Op: "get", API: "module", Provider: "aws.ps", Path: ref + "{root}/" + path}
	}
	add("ps-reference",
		ps("whole", "json"),
		ps("whole-trailing-slash", "json/"),
		ps("nested", "json/a/b/c"),
		ps("object", "json/a"),
		ps("zero", "json/zero"),
		ps("null", "json/n"),
		ps("list-fan-out", "json/hosts/name"),
		ps("missing-key", "json/missing"),
		withDefault(ps("missing-key-default", "json/missing"), "D"),
		ps("missing-secret", "nope"),
		ps("missing-secret-deeper", "nope/a/b"),
		ps("plain", "plain"),
		ps("number", "num"),
		ps("name-with-slashes", "prod/db/user"),
		step{ID: "no-decrypt", Op: "get", API: "provider", Provider: "aws.ps", Path: ref + "{root}/json", Opts: opts{"decrypt": false}},
		differs(ps("falsy-midway", "json/zero/top"), "falsy-keypath", notFound),
		differs(ps("fan-out-empty-element", "json/lst/k"), "fan-out-missing", notFound),
		differs(ps("fan-out-missing-key", "json/mixed/k"), "fan-out-missing", notFound),
		differs(ps("list-index", "json/hosts/1/name"), "list-index", ok("b")),
		differs(withDefault(ps("missing-secret-default", "nope"), "D"), "default-missing-secret", ok("D")),
		differs(ps("plain-keys-left-over", "plain/extra/more"), "keys-left-over", notFound),
		differs(ps("number-keys-left-over", "num/x"), "keypath-scalar", notFound),
	)

	// Row 5: get_by_path.
	add("ps-get-by-path",
		step{ID: "recursive", Op: "get_by_path", API: "module", Provider: "aws.ps", Path: "/{root}/app"},
		step{ID: "one-level", Op: "get_by_path", API: "provider", Provider: "aws.ps", Path: "/{root}/app", Opts: opts{"recursive": false}},
		step{ID: "trailing-slash", Op: "get_by_path", API: "provider", Provider: "aws.ps", Path: "/{root}/app/"},
		step{ID: "no-decrypt", Op: "get_by_path", API: "provider", Provider: "aws.ps", Path: "/{root}/app/db", Opts: opts{"decrypt": false}},
		step{ID: "pages-25", Op: "get_by_path", API: "module", Provider: "aws.ps", Path: "/{root}/many"},
		step{ID: "partial-segment", Op: "get_by_path", API: "module", Provider: "aws.ps", Path: "/{root}/ap"},
		step{ID: "nothing", Op: "get_by_path", API: "module", Provider: "aws.ps", Path: "/{root}/nothing"},
		differs(step{ID: "no-leading-slash", Op: "get_by_path", API: "module", Provider: "aws.ps", Path: "{root}/app"},
			"invalid-names", map[string]any{"error": "invalid"}),
	)

	// Row 6: path_exists.
	exists := func(id, path string, keys ...string) step {
		return step{ID: id, Op: "path_exists", API: "module", Provider: "aws.ps", Path: path, Keypath: keys}
	}
	add("ps-path-exists",
		exists("key", "/{root}/app/plain"),
		exists("prefix", "/{root}/app"),
		exists("prefix-trailing-slash", "/{root}/app/"),
		exists("missing", "/{root}/nope"),
		differs(exists("reference", ref+"{root}/plain"), "ps-path-exists-reference", ok(true)),
		differs(exists("partial-segment", "/{root}/app/db/pas"), "ps-path-exists-boundary", ok(false)),
		differs(exists("partial-first-segment", "/{root}/ap"), "ps-path-exists-boundary", ok(false)),
		differs(exists("keypath", "/{root}/app/json", "nope"), "ps-keypath", ok(false)),
	)

	// Row 7: update.
	describe := func(id, path string) step { return step{ID: id, Op: "describe_parameter", Path: path} }
	update := func(id, path, value string) step {
		return step{ID: id, Op: "update", API: "module", Provider: "aws.ps", Path: path, Value: value}
	}
	add("ps-update",
		step{ID: "get-before", Op: "get", API: "module", Provider: "aws.ps", Path: "/{root}/upd/plain"},
		step{ID: "list-before", Op: "get_by_path", API: "module", Provider: "aws.ps", Path: "/{root}/upd"},
		update("keeps-metadata", "/{root}/upd/key", "new-value-2"),
		describe("keeps-metadata-describe", "/{root}/upd/key"),
		update("plain", "/{root}/upd/plain", "p2"),
		step{ID: "get-after", Op: "get", API: "module", Provider: "aws.ps", Path: "/{root}/upd/plain"},
		differs(step{ID: "list-after", Op: "get_by_path", API: "module", Provider: "aws.ps", Path: "/{root}/upd"},
			"module-get-by-path-stale", nil),
		update("data-type", "/{root}/upd/ami", "ami-87654321"),
		differs(describe("data-type-describe", "/{root}/upd/ami"), "ps-update-fields", nil),
		differs(update("two-names-share-the-prefix", "/{root}/upd/db/pass", "np"), "ps-update-exact-name", okNull),
		differs(update("a-path-not-a-parameter", "/{root}/upd/deep", "v"), "ps-update-exact-name", notFound),
		differs(describe("a-path-not-a-parameter-describe", "/{root}/upd/deep/x/y"), "ps-update-exact-name", nil),
		update("missing", "/{root}/upd/nope", "x"),
	)

	// Rows 8 and 9: Secrets Manager get and key paths.
	sm := func(id, path string, keys ...string) step {
		return step{ID: id, Op: "get", API: "module", Provider: "aws.sm", Path: "{root}/" + path, Keypath: keys}
	}
	add("sm-get",
		sm("json", "json"),
		sm("keypath", "json", "a", "b", "c"),
		sm("keypath-object", "json", "a"),
		sm("keypath-zero", "json", "zero"),
		sm("keypath-empty-string", "json", "empty"),
		sm("keypath-null", "json", "n"),
		sm("keypath-false", "json", "off"),
		sm("keypath-number", "json", "port"),
		sm("list-fan-out", "json", "hosts", "name"),
		sm("keypath-missing", "json", "missing"),
		withDefault(sm("keypath-missing-default", "json", "missing"), "D"),
		sm("keypath-into-string", "json", "user", "x"),
		sm("plain", "plain"),
		sm("number", "num"),
		sm("float", "float"),
		sm("json-string", "quoted"),
		sm("binary", "bin"),
		sm("missing", "nope"),
		sm("by-prefix-is-not-a-name", "pro"),
		differs(sm("falsy-zero-midway", "json", "zero", "top"), "falsy-keypath", notFound),
		differs(sm("falsy-empty-midway", "json", "empty", "top"), "falsy-keypath", notFound),
		differs(sm("falsy-false-midway", "json", "off", "top"), "falsy-keypath", notFound),
		differs(sm("fan-out-empty-element", "json", "lst", "k"), "fan-out-missing", notFound),
		differs(sm("fan-out-missing-key", "json", "mixed", "k"), "fan-out-missing", notFound),
		differs(sm("list-index", "json", "hosts", "0", "name"), "list-index", ok("a")),
		differs(sm("keypath-into-plain", "plain", "x"), "keypath-non-json", notFound),
		differs(sm("keypath-into-binary", "bin", "x"), "keypath-non-json", notFound),
		differs(sm("keypath-into-number", "num", "x"), "keypath-scalar", notFound),
		differs(withDefault(sm("missing-default", "nope"), "D"), "default-missing-secret", ok("D")),
	)

	// Row 10: get_by_path by name prefix; fail_on_error.
	add("sm-get-by-path",
		step{ID: "name-prefix", Op: "get_by_path", API: "module", Provider: "aws.sm", Path: "{root}/prod"},
		step{ID: "name-prefix-slash", Op: "get_by_path", API: "module", Provider: "aws.sm", Path: "{root}/prod/"},
		step{ID: "nothing", Op: "get_by_path", API: "module", Provider: "aws.sm", Path: "{root}/nothing"},
		step{ID: "unreadable-secret", Op: "get_by_path", API: "provider", Provider: "aws.sm", Path: "{root}/fail/"},
		differs(step{ID: "unreadable-secret-fail-on-error-false", Op: "get_by_path", API: "provider", Provider: "aws.sm", Path: "{root}/fail/",
			Opts: opts{"fail_on_error": false}}, "fail-on-error-skips", nil),
		differs(step{ID: "unreadable-secret-module-fail-on-error-false", Op: "get_by_path", API: "module", Provider: "aws.sm", Path: "{root}/fail/",
			Opts: opts{"fail_on_error": false}}, "fail-on-error-skips", nil),
		step{ID: "then-update", Op: "update", API: "module", Provider: "aws.sm", Path: "{root}/prod/api", Value: "k2"},
		step{ID: "then-get", Op: "get", API: "module", Provider: "aws.sm", Path: "{root}/prod/api"},
		differs(step{ID: "then-list", Op: "get_by_path", API: "module", Provider: "aws.sm", Path: "{root}/prod/"},
			"module-get-by-path-stale", nil),
	)

	// Row 11: update keeps the kind.
	raw := func(id, path string) step { return step{ID: id, Op: "raw_secret", Path: path} }
	smUpdate := func(id, path, value string) step {
		return step{ID: id, Op: "update", API: "module", Provider: "aws.sm", Path: path, Value: value}
	}
	add("sm-update",
		sm("get-before", "upd/str"),
		smUpdate("string", "{root}/upd/str", "s2"),
		raw("string-raw", "{root}/upd/str"),
		sm("get-after", "upd/str"),
		smUpdate("binary", "{root}/upd/bin", "b2"),
		raw("binary-raw", "{root}/upd/bin"),
		sm("binary-get-after", "upd/bin"),
		smUpdate("json", "{root}/upd/json", `{"k":"v2"}`),
		sm("json-keypath-after", "upd/json", "k"),
		differs(smUpdate("missing", "{root}/upd/nope", "x"), "sm-update-missing", notFound),
	)

	// Row 12: path_exists.
	smExists := func(id, path string, keys ...string) step {
		return step{ID: id, Op: "path_exists", API: "module", Provider: "aws.sm", Path: "{root}/" + path, Keypath: keys}
	}
	add("sm-path-exists",
		smExists("secret", "json"),
		smExists("keypath", "json", "a", "b"),
		smExists("keypath-missing", "json", "nope"),
		smExists("missing", "nope"),
		smExists("name-prefix", "pro"),
		smExists("binary", "bin"),
		differs(smExists("keypath-into-plain", "plain", "x"), "keypath-non-json", ok(false)),
		differs(smExists("keypath-into-number", "num", "x"), "keypath-scalar", ok(false)),
	)

	// Row 17: the command-line tools, on the same data: a few steps, so
	// that the CLI's differences are in the one table (cmd/s1crets's
	// end-to-end test compares the CLIs in depth). Each run of the original
	// CLI costs about a second (Python start-up and boto3).
	cli := func(id string, args ...string) step { return step{ID: id, Op: "cli", Args: args} }
	cliOut := func(rc int, stdout string) map[string]any {
		return ok(map[string]any{"rc": rc, "stdout": stdout})
	}
	add("cli",
		cli("get", "get", "{root}/plain"),
		cli("exists-missing", "exists", "{root}/json", "nope"),
		differs(cli("get-json", "get", "{root}/prod/db"), "cli-json-output", cliOut(0, `{"user":"u","password":"p"}`+"\n")),
		differs(step{ID: "get-by-path", Op: "cli", Args: []string{"get-by-path", "{root}/prod/"}, SortLines: true},
			"cli-json-output", nil),
		differs(cli("get-binary", "get", "{root}/bin"), "cli-binary", cliOut(0, "\x00\x01\\xffa")),
		differs(step{ID: "get-by-path-binary", Op: "cli", Args: []string{"get-by-path", "{root}/binonly/"}, SortLines: true},
			"cli-binary", cliOut(0, "{root}/binonly/b AAH/YQ==\n")),
		differs(cli("ps-keypath", "get", "--provider", "aws.ps", "/{root}/app/json", "user"), "ps-keypath", cliOut(0, "admin\n")),
	)

	// Row 13: assume role with moto's STS; row 14: an explicit region.
	add("sts-region",
		step{ID: "ps-assume-role", Op: "get", API: "provider", Provider: "aws.ps", Path: "/{root}/app/plain",
			Ctor: opts{"sts_args": opts{"RoleArn": roleARN}}},
		step{ID: "sm-assume-role", Op: "get", API: "provider", Provider: "aws.sm", Path: "{root}/json", Keypath: []string{"a", "b", "c"},
			Ctor: opts{"sts_args": opts{"RoleArn": roleARN, "RoleSessionName": "parity-session"}}},
		step{ID: "sm-assume-role-get-by-path", Op: "get_by_path", API: "provider", Provider: "aws.sm", Path: "{root}/prod/",
			Ctor: opts{"sts_args": opts{"RoleArn": roleARN, "RoleSessionName": "parity-session"}}},
		step{ID: "role-in-another-account", Op: "get", API: "provider", Provider: "aws.sm", Path: "{root}/plain",
			Ctor: opts{"sts_args": opts{"RoleArn": otherRoleARN}}},
		step{ID: "another-region", Op: "get", API: "provider", Provider: "aws.ps", Path: "/{root}/app/plain",
			Ctor: opts{"sts_args": opts{"aws_region": "eu-west-1"}}},
	)

	// An option of one store given to the other: the original's methods
	// take **kwargs and ignore it; this library refuses it before any
	// remote call. Last, so that what the original caches here is read by
	// no later step.
	add("not-applicable",
		differs(step{ID: "ps-fail-on-error", Op: "get_by_path", API: "module", Provider: "aws.ps", Path: "/{root}/app/db",
			Opts: opts{"fail_on_error": false}}, "option-not-applicable", invalid),
		differs(step{ID: "sm-decrypt", Op: "get", API: "provider", Provider: "aws.sm", Path: "{root}/plain",
			Opts: opts{"decrypt": false}}, "option-not-applicable", invalid),
		differs(step{ID: "sm-recursive", Op: "get_by_path", API: "provider", Provider: "aws.sm", Path: "{root}/prod/",
			Opts: opts{"recursive": false}}, "option-not-applicable", invalid),
	)
	return s
}

// seedSpec is the moto state of one side: the same for both, under the
// side's root.
type seedSpec struct {
	params  []param
	secrets []secret
}

type param struct {
	name, value, typ, keyID, description, tier, dataType, allowedPattern string
}

type secret struct {
	name   string
	value  string
	binary []byte
	empty  bool // created without a value
}

func seedFor(root string) seedSpec {
	p := func(name, value, typ string) param { return param{name: "/" + root + name, value: value, typ: typ} }
	s := func(name, value string) secret { return secret{name: root + name, value: value} }
	spec := seedSpec{
		params: []param{
			p("/app/plain", "hunter2", "String"),
			p("/app/secure", "s3cr3t", "SecureString"),
			p("/app/json", `{"user":"admin","port":5432,"nested":{"k":"v"}}`, "String"),
			p("/app/list", "a,b,c", "StringList"),
			p("/app/db/user", "dbuser", "String"),
			p("/app/db/pass", "dbpass", "SecureString"),
			p("/app/db/passx", "other", "String"),
			p("/stale/p", "v1", "String"),
			p("/upd/plain", "p1", "String"),
			{name: "/" + root + "/upd/key", value: "old-value-1", typ: "SecureString", keyID: "alias/custom",
				description: "the key", tier: "Advanced", allowedPattern: "^[a-z0-9-]+$"},
			{name: "/" + root + "/upd/ami", value: "ami-12345678", typ: "String", dataType: "aws:ec2:image", description: "an image"},
			p("/upd/db/pass", "dbpass", "SecureString"),
			p("/upd/db/passx", "other", "String"),
			p("/upd/deep/x/y", "deep", "String"),
		},
		secrets: []secret{
			s("/json", jsonSecret),
			s("/plain", "pw"),
			s("/num", "123"),
			s("/float", "1.50"),
			s("/quoted", `"quoted"`),
			{name: root + "/bin", binary: []byte{0, 1, 0xff, 'a'}},
			s("/prod/db", `{"user":"u","password":"p"}`),
			s("/prod/dbx", "x"),
			s("/prod/api", "k"),
			s("/prodz", "z"),
			s("/stale/s", "v1"),
			s("/upd/str", "s1"),
			{name: root + "/upd/bin", binary: []byte{1, 2, 3}},
			s("/upd/json", `{"k":"v1"}`),
			s("/fail/ok", "fine"),
			{name: root + "/binonly/b", binary: []byte{0, 1, 0xff, 'a'}},
			{name: root + "/fail/novalue", empty: true},
		},
	}
	for i := range 25 {
		spec.params = append(spec.params, p("/many/p"+string(rune('a'+i)), "v", "String"))
	}
	return spec
}

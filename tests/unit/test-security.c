/* test-security: regression tests of issue 11's hardening that need no
 * server: WebSocket message shapes, JWT claims, config ranges and listen,
 * password masking, tenant names, key and plugin file ownership, and the
 * non-dumpable job processes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <gcrypt.h>

#include "base/conf.h"
#include "base/crypto.h"
#include "model/tenant.h"
#include "plugin/trust.h"
#include "server/auth.h"
#include "server/progress.h"
#include "server/wsmsg.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";

/* ---- item 1: WebSocket client messages ------------------------------ */

static void wake(void *ctx)
{
	(void)ctx;
}

static void expect_ws_refused(const char *msg, const char *part)
{
	struct wsmsg m;
	char err[256] = "";

	assert_int_equal(wsmsg_parse(msg, strlen(msg), &m, err, sizeof(err)), -1);
	if (!strstr(err, part))
		fail_msg("'%s': error '%s' does not mention '%s'", msg, err, part);
}

static void test_ws_subscribe_null(void **state)
{
	struct progress_bus *b = progress_bus_new(16);
	struct progress_sub *s = progress_subscribe(b, 1, wake, NULL);
	const char *v[2] = {NULL, "job:1"};

	(void)state;
	/* The crash of issue 11: a NULL channel reached strcmp. */
	assert_int_equal(progress_sub_only(s, v, 1), -1);
	assert_int_equal(progress_sub_only(s, v, 2), -1);
	assert_int_equal(progress_sub_only(s, v + 1, 1), 0);
	expect_ws_refused("{\"subscribe\":[null]}", "subscribe[0] is null");
	progress_bus_free(b);
}

static void test_ws_shapes(void **state)
{
	struct wsmsg m;
	char err[256], big[80 * 12 + 32];
	size_t i, n;

	(void)state;
	assert_int_equal(wsmsg_parse("{\"subscribe\":[\"job:5\",\"*\"]} \n", 29,
				     &m, err, sizeof(err)), 0);
	assert_int_equal(m.nchannels, 2);
	assert_string_equal(m.channels[0], "job:5");
	expect_ws_refused("{\"subscribe\":[7]}", "subscribe[0] is a number");
	expect_ws_refused("{\"subscribe\":[[\"job:1\"]]}", "is an array");
	expect_ws_refused("{\"subscribe\":\"job:1\"}", "'subscribe' is a string");
	expect_ws_refused("{\"subscribe\":[\"job:0\"]}", "not a channel");
	expect_ws_refused("{\"subscribe\":[\"job:007\"]}", "not a channel");
	expect_ws_refused("{\"subscribe\":[\"job:5\\u0000\"]}", "not a channel");
	expect_ws_refused("{\"subscribe\":[],\"x\":1}", "exactly one key");
	expect_ws_refused("{\"subscribe\":[]} x", "bytes after");
	expect_ws_refused("[null]", "is an array");
	expect_ws_refused("{\"subscribe\":[", "not complete JSON");
	expect_ws_refused("", "0 bytes");
	n = (size_t)snprintf(big, sizeof(big), "{\"subscribe\":[");
	for (i = 0; i < WSMSG_MAX_CHANNELS + 1; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s\"job:%zu\"",
				      i ? "," : "", i + 1);
	snprintf(big + n, sizeof(big) - n, "]}");
	expect_ws_refused(big, "at most 64");
}

/* ---- item 9: JWT claims --------------------------------------------- */

/* "header.payload" of an HS256 token (unsigned). */
static char *sign(const char *payload)
{
	static const char hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	char *h = auth_b64url_encode((const unsigned char *)hdr, strlen(hdr));
	char *p = auth_b64url_encode((const unsigned char *)payload,
				     strlen(payload));
	size_t n = strlen(h) + strlen(p) + 2;
	char *tok = malloc(n);

	assert_non_null(tok);
	snprintf(tok, n, "%s.%s", h, p);
	free(h);
	free(p);
	return tok;
}

/* HMAC through libgcrypt, as auth.c does, to sign test payloads. */
static char *signed_token(const char *payload)
{
	char *unsigned_tok = sign(payload), *sig, *out;
	unsigned char mac[32];
	size_t len = 32, n;
	gcry_mac_hd_t hd;

	assert_int_equal(gcry_mac_open(&hd, GCRY_MAC_HMAC_SHA256, 0, NULL), 0);
	assert_int_equal(gcry_mac_setkey(hd, key, sizeof(key)), 0);
	assert_int_equal(gcry_mac_write(hd, unsigned_tok, strlen(unsigned_tok)), 0);
	assert_int_equal(gcry_mac_read(hd, mac, &len), 0);
	gcry_mac_close(hd);
	sig = auth_b64url_encode(mac, sizeof(mac));
	n = strlen(unsigned_tok) + strlen(sig) + 2;
	out = malloc(n);
	assert_non_null(out);
	snprintf(out, n, "%s.%s", unsigned_tok, sig);
	free(unsigned_tok);
	free(sig);
	return out;
}

static int verify(const char *payload, int64_t now, int64_t max_life,
		  struct auth_claims *c, char *err, size_t errlen)
{
	struct auth_policy pol = {AUTH_DEFAULT_SKEW_S, max_life};
	char *t = signed_token(payload);
	int rc = auth_token_verify_ex(key, sizeof(key), t, now, &pol, c, err,
				      errlen);

	free(t);
	return rc;
}

static void test_jwt_claims(void **state)
{
	struct auth_claims c;
	char err[512];

	(void)state;
	assert_int_equal(crypto_init(err, sizeof(err)), 0);
	/* The test's own signer agrees with the host's. */
	assert_int_equal(verify("{\"tenant\":3,\"role\":\"view\",\"iat\":1000,"
				"\"exp\":2000}", 1500, 0, &c, err, sizeof(err)), 0);
	assert_int_equal(c.tenant, 3);
	/* nbf honoured (beyond the skew), and fine once reached */
	assert_int_equal(verify("{\"tenant\":3,\"role\":\"view\",\"iat\":1000,"
				"\"nbf\":1800,\"exp\":2000}", 1500, 0, &c, err,
				sizeof(err)), AUTH_NOT_YET);
	assert_non_null(strstr(err, "nbf"));
	assert_int_equal(verify("{\"tenant\":3,\"role\":\"view\",\"iat\":1000,"
				"\"nbf\":1800,\"exp\":2000}", 1801, 0, &c, err,
				sizeof(err)), 0);
	/* iat in the future beyond the skew; within it is fine */
	assert_int_equal(verify("{\"tenant\":3,\"role\":\"view\",\"iat\":1700,"
				"\"exp\":2000}", 1500, 0, &c, err, sizeof(err)),
			 AUTH_NOT_YET);
	assert_int_equal(verify("{\"tenant\":3,\"role\":\"view\",\"iat\":1530,"
				"\"exp\":2000}", 1500, 0, &c, err, sizeof(err)), 0);
	/* duplicate claims: json-c would keep the last one */
	assert_int_equal(verify("{\"tenant\":3,\"role\":\"view\",\"iat\":1000,"
				"\"exp\":2000,\"tenant\":4}", 1500, 0, &c, err,
				sizeof(err)), AUTH_BAD_CLAIMS);
	assert_non_null(strstr(err, "repeats a key"));
	assert_int_equal(verify("{\"tenant\":3,\"role\":\"view\",\"iat\":1000,"
				"\"exp\":2000,\"x\":{\"a\":1,\"a\":2}}", 1500, 0,
				&c, err, sizeof(err)), 0); /* nested: not claims */
	/* exp capped to the configured lifetime */
	assert_int_equal(verify("{\"tenant\":3,\"role\":\"view\",\"iat\":1000,"
				"\"exp\":900000}", 1500, 3600, &c, err,
				sizeof(err)), 0);
	assert_int_equal(c.exp, 4600);
	assert_int_equal(verify("{\"tenant\":3,\"role\":\"view\",\"iat\":1000,"
				"\"exp\":900000}", 5000, 3600, &c, err,
				sizeof(err)), AUTH_EXPIRED);
	assert_int_equal(verify("{\"tenant\":3,\"role\":\"view\","
				"\"exp\":900000}", 1500, 3600, &c, err,
				sizeof(err)), AUTH_BAD_CLAIMS);
	{
		const char *dup = "{\"a\":1, \"a\" :2}";
		const char *esc = "{\"a\":\"\\\"a\\\":\",\"b\":1}";

		assert_true(auth_json_has_duplicate_key(dup, strlen(dup)));
		/* "a": inside a string value is not a key */
		assert_false(auth_json_has_duplicate_key(esc, strlen(esc)));
	}
}

/* ---- items 11, 13: configuration ------------------------------------ */

static char cpath[64];

static const char *write_conf(const char *text)
{
	int fd;

	snprintf(cpath, sizeof(cpath), "/tmp/pulse-sec-XXXXXX");
	fd = mkstemp(cpath);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return cpath;
}

static void expect_conf_error(const char *text, int flags, const char *part)
{
	struct conf c;
	char err[1024] = "";
	const char *path = write_conf(text);

	assert_int_equal(conf_load_ex(path, flags, &c, err, sizeof(err)), -1);
	if (!strstr(err, part))
		fail_msg("'%s': error '%s' does not mention '%s'", text, err, part);
	conf_free(&c);
	unlink(path);
}

static void test_conf_ranges_and_listen(void **state)
{
	char host[128], err[256];
	int port;

	(void)state;
	/* Refused, not wrapped to 1215752191; the key and its line named. */
	expect_conf_error("log_level = \"info\";\njobs = {\n max_running = "
			  "99999999999L; };\n", CONF_ALLOW_EMPTY,
			  ":3: 'jobs.max_running' is 99999999999");
	expect_conf_error("http = { max_retries = -1; };\n", CONF_ALLOW_EMPTY,
			  ":1: 'http.max_retries' is -1; it must be between 0");
	expect_conf_error("listen = \"127.0.0.1:http\";\n", CONF_ALLOW_EMPTY,
			  ":1: listen '127.0.0.1:http': the port");
	expect_conf_error("listen = \"127.0.0.1:99999\";\n", CONF_ALLOW_EMPTY,
			  "the port must be a number from 1 to 65535");
	expect_conf_error("listen = \"127.0.0.1:-5\";\n", CONF_ALLOW_EMPTY,
			  "the port must be");
	expect_conf_error("listen = \"no-such-host.invalid:80\";\n",
			  CONF_ALLOW_EMPTY, "the host must be");
	/* An empty file on reload: refused; at start it is allowed. */
	expect_conf_error("", 0, "the file is empty");
	expect_conf_error("  \n\t\n", 0, "the file is empty");
	{
		struct conf c;
		const char *path = write_conf("# the defaults, on purpose\n");

		assert_int_equal(conf_load_ex(path, 0, &c, err, sizeof(err)), 0);
		conf_free(&c);
		unlink(path);
	}
	assert_int_equal(conf_parse_listen("*:8470", host, sizeof(host), &port,
					   err, sizeof(err)), 0);
	assert_int_equal(port, 8470);
	assert_int_equal(conf_parse_listen("127.0.0.1:0", host, sizeof(host),
					   &port, err, sizeof(err)), -1);
	assert_int_equal(conf_parse_listen(":80", host, sizeof(host), &port,
					   err, sizeof(err)), -1);
}

/* ---- item 7: password masking --------------------------------------- */

static void expect_masked(const char *url, const char *want)
{
	char out[512];

	conf_mask_url(url, out, sizeof(out));
	assert_string_equal(out, want);
	assert_null(strstr(out, "s3cret"));
}

static void test_mask_every_form(void **state)
{
	(void)state;
	expect_masked("postgresql://app:s3cret@db:5432/x",
		      "postgresql://app:***@db:5432/x");
	expect_masked("postgresql://app@db/x?password=s3cret&sslmode=require",
		      "postgresql://app@db/x?password=***&sslmode=require");
	expect_masked("postgresql:///x?host=/run&sslpassword=s3cret",
		      "postgresql:///x?host=/run&sslpassword=***");
	expect_masked("postgresql://app:s3cret@db/x?password=s3cret",
		      "postgresql://app:***@db/x?password=***");
	expect_masked("postgresql://a:p@s3cret@db/x", "postgresql://a:***@db/x");
	expect_masked("host=db password=s3cret user=app",
		      "host=db password=*** user=app");
	expect_masked("host=db password = 's3cret with space' user=app",
		      "host=db password = *** user=app");
	expect_masked("password='s3cret \\' quote' dbname=x",
		      "password=*** dbname=x");
	/* libpq: any isspace() separates, and unquoted values take
	 * backslash escapes (both found by tests/fuzz/fuzz-conninfo) */
	expect_masked("host=db\npassword=s3cret", "host=db\npassword=***");
	expect_masked("host=db\vpassword=s3cret\fuser=app",
		      "host=db\vpassword=***\fuser=app");
	expect_masked("host=db password=s3\\ s3cret user=app",
		      "host=db password=*** user=app");
	expect_masked("dbname=x", "dbname=x");
	expect_masked("amqp://guest:s3cret@127.0.0.1:5672/%2f",
		      "amqp://guest:***@127.0.0.1:5672/%2f");
}

/* ---- item 13: tenant names ------------------------------------------ */

static void test_tenant_numeric_name(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(tenant_name_valid("1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "all digits"));
	assert_int_equal(tenant_name_valid("0042", err, sizeof(err)), -1);
	assert_int_equal(tenant_name_valid("team1", err, sizeof(err)), 0);
	assert_int_equal(tenant_name_valid("1a", err, sizeof(err)), 0);
}

/* ---- item 8: key and plugin files ----------------------------------- */

static void test_key_and_plugin_ownership(void **state)
{
	char dir[] = "/tmp/pulse-own-XXXXXX", path[128], err[512];
	struct crypto_key k;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/jwt.key", dir);
	assert_int_equal(crypto_key_load(path, 1, &k, err, sizeof(err)), 0);
	assert_int_equal(crypto_key_file_check(path, err, sizeof(err)), 0);
	/* a directory others can write: anyone could swap the key */
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(crypto_key_load(path, 0, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "writable by group or others"));
	assert_int_equal(chmod(dir, 0700), 0);
	/* owned by someone else (the test may run as root: chown works) */
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(crypto_key_file_check(path, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "owned by uid 65534"));
		assert_int_equal(chown(path, 0, 0), 0);
	}
	/* plugin files: group/world-writable, or in such a directory */
	snprintf(path, sizeof(path), "%s/p.so", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
	unsetenv("PULSE_HOST_TRUST_PLUGIN_DIRS");
	plugin_trust_set(0);
	assert_int_equal(plugin_trust_check(path, err, sizeof(err)), 0);
	assert_int_equal(chmod(path, 0775), 0);
	assert_int_equal(plugin_trust_check(path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "plugin file"));
	assert_int_equal(chmod(path, 0755), 0);
	assert_int_equal(chmod(dir, 0757), 0);
	assert_int_equal(plugin_trust_check(path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "plugin directory"));
	plugin_trust_set(1); /* explicitly trusted */
	assert_int_equal(plugin_trust_check(path, err, sizeof(err)), 0);
	plugin_trust_set(0);
	assert_int_equal(chmod(dir, 0700), 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/jwt.key", dir);
	unlink(path);
	rmdir(dir);
}

/* ---- item 14: the key directory is made 0700 on first use ----------- */

static void test_key_dir_created_private(void **state)
{
	char dir[] = "/tmp/pulse-kd-XXXXXX", sub[128], path[160], err[512];
	struct crypto_key k;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/lib-pulse-host", dir);
	snprintf(path, sizeof(path), "%s/secret.key", sub);
	assert_int_equal(crypto_key_load(path, 1, &k, err, sizeof(err)), 0);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	unlink(path);
	rmdir(sub);
	rmdir(dir);
}

/* ---- item 6: job processes are not dumpable ------------------------- */

static void test_not_dumpable(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		crypto_harden_process();
		/* a job process is a fork of the hardened daemon */
		if (fork() == 0)
			_exit(prctl(PR_GET_DUMPABLE) == 0 ? 0 : 1);
		wait(&st);
		_exit(WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
		      prctl(PR_GET_DUMPABLE) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* Whether the mapping holding p has MADV_DONTDUMP ("dd" in VmFlags of
 * /proc/self/smaps). -1: no mapping holds p. */
static int dont_dump(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0, r = -1;
	uintptr_t a = (uintptr_t)p;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		/* a mapping's line starts with lower-case hex, keys with a
		 * capital */
		if (strchr("0123456789abcdef", line[0]) &&
		    sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = a >= lo && a < hi;
		else if (in && strncmp(line, "VmFlags:", 8) == 0) {
			r = strstr(line, " dd") != NULL;
			break;
		}
	}
	fclose(f);
	return r;
}

/* Secrets held long stay out of core dumps, and are wiped (issue 11,
 * item 6): the JWT key's own page, a job's credentials, the wipe. */
static void test_secret_memory(void **state)
{
	unsigned char *k, *buf;
	char secret[] = "ghp_not-a-real-token";
	size_t i;

	(void)state;
	k = crypto_secret_alloc(32);
	assert_non_null(k);
	for (i = 0; i < 32; i++)
		assert_int_equal(k[i], 0);
	memset(k, 0xab, 32);
	assert_int_equal(dont_dump(k), 1);
	crypto_secret_free(k, 32);

	/* a heap string, as a job's credentials are */
	buf = malloc(3 * 4096);
	assert_non_null(buf);
	memset(buf, 'x', 3 * 4096);
	assert_int_equal(crypto_dontdump(buf + 4096, 100), 0);
	assert_int_equal(dont_dump(buf + 4096), 1);
	free(buf);

	crypto_wipe(secret, strlen(secret));
	for (i = 0; i < sizeof(secret) - 1; i++)
		assert_int_equal(secret[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ws_subscribe_null),
		cmocka_unit_test(test_ws_shapes),
		cmocka_unit_test(test_jwt_claims),
		cmocka_unit_test(test_conf_ranges_and_listen),
		cmocka_unit_test(test_mask_every_form),
		cmocka_unit_test(test_tenant_numeric_name),
		cmocka_unit_test(test_key_and_plugin_ownership),
		cmocka_unit_test(test_key_dir_created_private),
		cmocka_unit_test(test_not_dumpable),
		cmocka_unit_test(test_secret_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

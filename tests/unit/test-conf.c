/* test-conf: the configuration file parser, its errors and overrides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/conf.h"
#include "base/log.h"

static char tmpl[64];

/* Write text to a temp file; returns its path (static storage). */
static const char *write_conf(const char *text)
{
	int fd;

	snprintf(tmpl, sizeof(tmpl), "/tmp/pulse-conf-XXXXXX");
	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return tmpl;
}

static void expect_error(const char *text, const char *part)
{
	struct conf c;
	char err[1024] = "";
	const char *path = write_conf(text);

	assert_int_equal(conf_load(path, &c, err, sizeof(err)), -1);
	if (!strstr(err, part))
		fail_msg("error '%s' does not mention '%s'", err, part);
	/* Errors name the file. */
	assert_non_null(strstr(err, path));
	conf_free(&c);
	unlink(path);
}

static void test_defaults_when_no_file(void **state)
{
	struct conf c;
	char err[256];

	(void)state;
	unsetenv("PULSE_HOST_DATABASE_URL");
	unsetenv("PULSE_HOST_BROKER_URL");
	/* The shipped file is all comments: it must give the defaults. */
	assert_int_equal(conf_load(getenv("PULSE_TEST_SHIPPED_CONF"), &c, err,
				   sizeof(err)), 0);
	assert_string_equal(c.database_url, "postgresql:///pulse_host");
	assert_string_equal(c.broker_url, "");
	assert_string_equal(c.listen, "127.0.0.1:8470");
	assert_int_equal(c.http_timeout_s, 60);
	assert_true(conf_has_role(&c, "transform"));
	conf_free(&c);
}

static void test_values_and_env_override(void **state)
{
	struct conf c;
	char err[256];
	const char *path = write_conf(
		"database_url = \"postgresql://a@db/x\";\n"
		"broker_url = \"amqp://b\";\n"
		"worker_roles = [\"transform\", \"load\"];\n"
		"http = { timeout_seconds = 7; };\n");

	(void)state;
	setenv("PULSE_HOST_DATABASE_URL", "postgresql://env@db/y", 1);
	setenv("PULSE_HOST_BROKER_URL", "", 1);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), 0);
	assert_string_equal(c.database_url, "postgresql://env@db/y");
	assert_string_equal(c.broker_url, ""); /* empty env = in-process */
	assert_int_equal(c.http_timeout_s, 7);
	assert_false(conf_has_role(&c, "server"));
	assert_true(conf_has_role(&c, "load"));
	unsetenv("PULSE_HOST_DATABASE_URL");
	unsetenv("PULSE_HOST_BROKER_URL");
	conf_free(&c);
	unlink(path);
}

static void test_errors_name_file_and_line(void **state)
{
	(void)state;
	expect_error("log_level = \"info\";\nlisten = 5;\n", ":2: 'listen' must be a string");
	expect_error("log_level = \"info\";\n\ndatabse_url = \"x\";\n",
		     ":3: unknown setting 'databse_url'");
	expect_error("http = { timeout = 3; };\n", ":1: unknown setting 'http.timeout'");
	expect_error("database_url = \"x\"\n= 3;\n", ":2: syntax error");
	expect_error("log_level = \"loud\";\n", ":1: log_level 'loud' is not one of");
	expect_error("worker_roles = [\"transform\", \"cook\"];\n",
		     ":1: worker_roles has unknown role 'cook'");
	expect_error("plugin_dirs = [1, 2];\n", "element 1 must be a string");
	/* Issue 11: the database limits have ranges, and a cross-key error
	 * names one key and its line. */
	expect_error("log_level = \"info\";\ndatabase = {\n  lock_timeout_ms = 50; };\n",
		     ":3: 'database.lock_timeout_ms' is 50");
	expect_error("database = { statement_timeout_ms = 99999999999; };\n",
		     ":1: 'database.statement_timeout_ms'");
	expect_error("database = {\n statement_timeout_ms = 1000;\n"
		     " lock_timeout_ms = 2000; };\n",
		     ":3: database.lock_timeout_ms: lock_timeout_ms (2000) must not "
		     "exceed statement_timeout_ms (1000)");
}

static void test_database_timeouts(void **state)
{
	struct conf c;
	char err[256];
	const char *path = write_conf(
		"database = { statement_timeout_ms = 9000; lock_timeout_ms = 700; };\n");

	(void)state;
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.db_statement_timeout_ms, 9000);
	assert_int_equal(c.db_lock_timeout_ms, 700);
	conf_free(&c);
	unlink(path);
	/* Defaults: bounded, never "wait for ever". */
	assert_int_equal(conf_load(getenv("PULSE_TEST_SHIPPED_CONF"), &c, err,
				   sizeof(err)), 0);
	assert_int_equal(c.db_statement_timeout_ms, 30000);
	assert_int_equal(c.db_lock_timeout_ms, 5000);
	conf_free(&c);
}

static void test_missing_explicit_file(void **state)
{
	struct conf c;
	char err[512];

	(void)state;
	assert_int_equal(conf_load("/nonexistent/pulse.conf", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/pulse.conf: cannot read"));
	conf_free(&c);
}

static void test_log_redaction(void **state)
{
	char line[256];

	(void)state;
	snprintf(line, sizeof(line), "GET /x Authorization: Bearer ghp_abcdef123456 ok");
	log_redact(line);
	assert_null(strstr(line, "ghp_abcdef123456"));
	assert_non_null(strstr(line, "Bearer ***"));
	snprintf(line, sizeof(line), "url=https://h/?token=s3cr3tvalue&x=1");
	log_redact(line);
	assert_null(strstr(line, "s3cr3tvalue"));
	assert_non_null(strstr(line, "&x=1"));
	snprintf(line, sizeof(line), "{\"api_token\":\"abc123xyz\"}");
	log_redact(line);
	assert_null(strstr(line, "abc123xyz"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_when_no_file),
		cmocka_unit_test(test_values_and_env_override),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_missing_explicit_file),
		cmocka_unit_test(test_database_timeouts),
		cmocka_unit_test(test_log_redaction),
	};
	static char shipped[4096];

	snprintf(shipped, sizeof(shipped), "%s/conf/pulse-host.conf",
		 getenv("abs_top_srcdir") ? getenv("abs_top_srcdir") : ".");
	setenv("PULSE_TEST_SHIPPED_CONF", shipped, 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

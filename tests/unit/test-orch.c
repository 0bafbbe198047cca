/* Unit tests: job state machine table, finish/retry policy, JWT auth and
 * role matrix, progress bus (order, coalescing, tenant isolation). No
 * database needed. */
#include "config.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/auth.h"
#include "jobs/jobpolicy.h"
#include "jobs/jobstate.h"
#include "jobs/runner.h"
#include "server/progress.h"

/* ---- state machine --------------------------------------------------- */

static void test_transitions(void **st)
{
	/* The legal moves, written out independently of jobstate.c. */
	static const char *const legal[] = {
		"NOT_STARTED>PENDING", "PENDING>RUNNING", "PENDING>PAUSED",
		"RUNNING>FINISHED", "RUNNING>ERROR", "RUNNING>PAUSED",
		"ERROR>RUNNING", "ERROR>PAUSED", "PAUSED>RUNNING",
		"FINISHED>PENDING", NULL,
	};
	int from, to, nlegal = 0;

	(void)st;
	for (from = 0; from < JS_COUNT; from++) {
		for (to = 0; to < JS_COUNT; to++) {
			char pair[40];
			int want = 0, i;

			snprintf(pair, sizeof(pair), "%s>%s", jobstate_name(from),
				 jobstate_name(to));
			for (i = 0; legal[i]; i++)
				if (strcmp(legal[i], pair) == 0)
					want = 1;
			if (jobstate_legal(from, to) != want)
				fail_msg("%s should be %s", pair, want ? "legal" : "illegal");
			nlegal += want;
		}
	}
	assert_int_equal(nlegal, 10);
	assert_false(jobstate_legal(-1, JS_PENDING));
	assert_false(jobstate_legal(JS_PENDING, JS_COUNT));
}

static void test_names(void **st)
{
	char buf[80];
	int s;

	(void)st;
	for (s = 0; s < JS_COUNT; s++)
		assert_int_equal(jobstate_parse(jobstate_name(s)), s);
	assert_int_equal(jobstate_parse("running"), -1);
	assert_int_equal(jobstate_parse(NULL), -1);
	assert_string_equal(jobstate_allowed(JS_RUNNING, buf, sizeof(buf)),
			    "FINISHED, ERROR, PAUSED");
	assert_string_equal(jobstate_allowed(JS_NOT_STARTED, buf, sizeof(buf)),
			    "PENDING");
}

/* ---- finish/retry policy ---------------------------------------------- */

static void test_backoff(void **st)
{
	(void)st;
	/* 30 s doubled per attempt, the jitter band is 0.8x .. 1.2x */
	assert_int_equal(jobpolicy_backoff_s(30, 0, 14400, 0.5), 30);
	assert_int_equal(jobpolicy_backoff_s(30, 0, 14400, 0.0), 24);
	assert_int_equal(jobpolicy_backoff_s(30, 0, 14400, 1.0), 36);
	assert_int_equal(jobpolicy_backoff_s(30, 3, 14400, 0.5), 240);
	/* capped at the interval, then jittered */
	assert_int_equal(jobpolicy_backoff_s(30, 20, 3600, 0.5), 3600);
	assert_int_equal(jobpolicy_backoff_s(30, 20, 3600, 1.0), 4320);
	/* never below a second; out-of-range jitter is clamped */
	assert_int_equal(jobpolicy_backoff_s(0, 0, 3600, 0.5), 1);
	assert_int_equal(jobpolicy_backoff_s(30, 0, 14400, 7.0), 36);
}

/* A job process that failed transiently on its first try. */
static void policy_in(struct jobpolicy_in *in)
{
	memset(in, 0, sizeof(*in));
	in->control = "";
	in->have_done = 1;
	in->done_rc = RUNNER_FAILED;
	in->done_err = "HTTP 503 from the API";
	in->run_id = 7;
	in->run_state = "ERROR";
	in->run_err = "";
	in->run_class = "transient";
	in->max_retries = 5;
	in->fast_retry_s = 60;
	in->interval_s = 14400;
	in->jitter = 0.5;
}

static void test_policy_errors(void **st)
{
	struct jobpolicy_in in;
	struct jobpolicy_out out;

	(void)st;
	policy_in(&in);
	in.retry_count = 2;
	jobpolicy_decide(&in, &out);
	assert_int_equal(out.state, JS_ERROR);
	assert_string_equal(out.error_class, "transient");
	assert_int_equal(out.retry_count, 3);
	assert_int_equal(out.next_run_in_s, 240);
	assert_string_equal(out.message, "HTTP 503 from the API");
	assert_non_null(strstr(out.reason, "retry 3/5 in 240 s"));
	assert_false(out.close_run);

	in.retry_count = 5; /* used up: the normal interval */
	jobpolicy_decide(&in, &out);
	assert_int_equal(out.state, JS_ERROR);
	assert_int_equal(out.retry_count, -1);
	assert_int_equal(out.next_run_in_s, -1);
	assert_non_null(strstr(out.reason, "5 retries used up"));

	policy_in(&in);
	in.run_class = "permanent";
	jobpolicy_decide(&in, &out);
	assert_string_equal(out.error_class, "permanent");
	assert_int_equal(out.retry_count, -1);
	assert_int_equal(out.next_run_in_s, -1);
	assert_non_null(strstr(out.reason, "permanent error, not retried"));

	/* Exited without its last line: the run's error and the status. */
	policy_in(&in);
	in.have_done = 0;
	in.done_err = "";
	in.run_err = "database went away";
	in.exit_code = 3;
	jobpolicy_decide(&in, &out);
	assert_int_equal(out.state, JS_ERROR);
	assert_string_equal(out.message, "database went away (exit status 3)");
	in.run_err = "";
	jobpolicy_decide(&in, &out);
	assert_string_equal(out.message, "the job process exited without a "
			    "result (exit status 3)");
}

static void test_policy_ends(void **st)
{
	struct jobpolicy_in in;
	struct jobpolicy_out out;

	(void)st;
	policy_in(&in);
	in.signal = SIGSEGV;
	in.have_done = 0;
	jobpolicy_decide(&in, &out);
	assert_int_equal(out.state, JS_ERROR);
	assert_string_equal(out.error_class, "crash");
	assert_true(out.close_run);
	assert_non_null(strstr(out.message, "signal 11, segmentation fault"));
	assert_int_equal(out.next_run_in_s, -1);

	/* The shutdown grace ran out: paused, resumed by the next daemon. */
	in.signal = SIGKILL;
	in.control = "shutdown";
	jobpolicy_decide(&in, &out);
	assert_int_equal(out.state, JS_PAUSED);
	assert_true(out.auto_resume);
	assert_false(out.close_run);
	assert_null(out.error_class);

	policy_in(&in);
	in.done_cancelled = 1;
	in.control = "stop";
	jobpolicy_decide(&in, &out);
	assert_int_equal(out.state, JS_PAUSED);
	assert_false(out.auto_resume);
	assert_non_null(strstr(out.reason, "stopped on request"));
	in.control = "pause";
	jobpolicy_decide(&in, &out);
	assert_false(out.auto_resume);
	assert_non_null(strstr(out.reason, "paused on request"));

	policy_in(&in);
	in.done_rc = RUNNER_OK;
	jobpolicy_decide(&in, &out);
	assert_int_equal(out.state, JS_FINISHED);
	assert_string_equal(out.reason, "run 7 finished");
	assert_string_equal(out.message, "");
	in.done_rc = RUNNER_PARTIAL;
	in.done_err = "2 raw rows failed";
	jobpolicy_decide(&in, &out);
	assert_int_equal(out.state, JS_FINISHED);
	assert_string_equal(out.reason, "run 7 finished with failed raw rows: "
			    "2 raw rows failed");
}

/* Stop escalation and resource limits (issue 11, item 5): a job process
 * the daemon SIGKILLed after the stop grace is a stop, not a crash, and
 * says so; a limit's signal names the limit. */
static void test_policy_escalation(void **st)
{
	struct jobpolicy_in in;
	struct jobpolicy_out out;

	(void)st;
	policy_in(&in);
	in.done_cancelled = 1;
	in.control = "stop";
	jobpolicy_decide(&in, &out);
	assert_non_null(strstr(out.reason, "stopped on request after SIGTERM"));

	policy_in(&in);
	in.have_done = 0;
	in.signal = SIGKILL;
	in.control = "stop";
	in.escalated = 1;
	in.grace_s = 10;
	jobpolicy_decide(&in, &out);
	assert_int_equal(out.state, JS_PAUSED);
	assert_null(out.error_class);
	assert_false(out.auto_resume);
	assert_true(out.close_run);
	assert_non_null(strstr(out.reason, "stopped on request: killed with "
			       "SIGKILL after 10 s grace"));
	in.control = "pause";
	jobpolicy_decide(&in, &out);
	assert_non_null(strstr(out.reason, "paused on request: killed with SIGKILL"));

	policy_in(&in);
	in.have_done = 0;
	in.signal = SIGXCPU;
	in.rlimit_cpu_s = 5;
	jobpolicy_decide(&in, &out);
	assert_int_equal(out.state, JS_ERROR);
	assert_non_null(strstr(out.message, "CPU time limit is 5 s "
			       "(jobs.rlimit_cpu_s)"));
	in.signal = SIGABRT;
	in.rlimit_cpu_s = 0;
	in.rlimit_as_mb = 256;
	jobpolicy_decide(&in, &out);
	assert_non_null(strstr(out.message, "256 MB of address space "
			       "(jobs.rlimit_as_mb)"));
}

/* ---- auth ------------------------------------------------------------ */

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char key2[32] = "ffffffffffffffffffffffffffffffff";

static char *issue(int64_t tenant, int role, int64_t exp)
{
	struct auth_claims c;

	memset(&c, 0, sizeof(c));
	c.tenant = tenant;
	c.role = role;
	c.iat = 1000;
	c.exp = exp;
	snprintf(c.sub, sizeof(c.sub), "al\"ice");
	return auth_token_issue(key, sizeof(key), &c);
}

static void test_token_roundtrip(void **st)
{
	struct auth_claims c;
	char err[256], *t = issue(7, AUTH_USER, 5000);

	(void)st;
	assert_non_null(t);
	assert_int_equal(auth_token_verify(key, sizeof(key), t, 4999, &c, err,
					   sizeof(err)), 0);
	assert_int_equal(c.tenant, 7);
	assert_int_equal(c.role, AUTH_USER);
	assert_int_equal(c.exp, 5000);
	assert_string_equal(c.sub, "al\"ice");
	/* expired at exp */
	assert_int_equal(auth_token_verify(key, sizeof(key), t, 5000, &c, err,
					   sizeof(err)), AUTH_EXPIRED);
	assert_non_null(strstr(err, "expired"));
	/* another key */
	assert_int_equal(auth_token_verify(key2, sizeof(key2), t, 10, &c, err,
					   sizeof(err)), AUTH_BAD_SIG);
	free(t);
}

/* Replace the payload of t by payload (re-encoded); keeps the signature. */
static char *swap_payload(const char *t, const char *payload)
{
	const char *d1 = strchr(t, '.'), *d2 = strrchr(t, '.');
	char *p = auth_b64url_encode((const unsigned char *)payload, strlen(payload));
	size_t n = (size_t)(d1 - t) + 1 + strlen(p) + strlen(d2) + 1;
	char *out = malloc(n);

	snprintf(out, n, "%.*s.%s%s", (int)(d1 - t), t, p, d2);
	free(p);
	return out;
}

static void test_token_attacks(void **st)
{
	struct auth_claims c;
	char err[256], *t = issue(7, AUTH_VIEW, 5000), *bad, *h, *pl, buf[512];

	(void)st;
	/* tampered claims (role upgrade) keep the old signature: refused */
	bad = swap_payload(t, "{\"tenant\":7,\"role\":\"admin\",\"exp\":5000}");
	assert_int_equal(auth_token_verify(key, sizeof(key), bad, 10, &c, err,
					   sizeof(err)), AUTH_BAD_SIG);
	free(bad);
	/* alg none with an empty signature */
	h = auth_b64url_encode((const unsigned char *)"{\"alg\":\"none\",\"typ\":\"JWT\"}", 27);
	pl = auth_b64url_encode((const unsigned char *)
				"{\"tenant\":7,\"role\":\"admin\",\"exp\":9999}", 38);
	snprintf(buf, sizeof(buf), "%s.%s.", h, pl);
	assert_int_equal(auth_token_verify(key, sizeof(key), buf, 10, &c, err,
					   sizeof(err)), AUTH_BAD_ALG);
	assert_non_null(strstr(err, "none"));
	free(h);
	/* HS512 claimed */
	h = auth_b64url_encode((const unsigned char *)"{\"alg\":\"HS512\"}", 15);
	snprintf(buf, sizeof(buf), "%s.%s.AAAA", h, pl);
	assert_int_equal(auth_token_verify(key, sizeof(key), buf, 10, &c, err,
					   sizeof(err)), AUTH_BAD_ALG);
	free(h);
	free(pl);
	/* garbage */
	assert_int_equal(auth_token_verify(key, sizeof(key), "abc", 10, &c, err,
					   sizeof(err)), AUTH_MALFORMED);
	assert_int_equal(auth_token_verify(key, sizeof(key), "a.b.c.d", 10, &c,
					   err, sizeof(err)), AUTH_MALFORMED);
	assert_int_equal(auth_token_verify(key, sizeof(key), NULL, 10, &c, err,
					   sizeof(err)), AUTH_MALFORMED);
	free(t);
}

static void test_token_claims(void **st)
{
	struct auth_claims c;
	char err[256];
	char *t = issue(0, AUTH_VIEW, 5000); /* tenant 0 is not a tenant */

	(void)st;
	assert_int_equal(auth_token_verify(key, sizeof(key), t, 10, &c, err,
					   sizeof(err)), AUTH_BAD_CLAIMS);
	free(t);
}

static void test_roles(void **st)
{
	(void)st;
	assert_true(auth_allowed(AUTH_VIEW, "jobs", "read"));
	assert_true(auth_allowed(AUTH_VIEW, "integrations", "read"));
	assert_false(auth_allowed(AUTH_VIEW, "jobs", "control"));
	assert_false(auth_allowed(AUTH_VIEW, "integrations", "write"));
	assert_true(auth_allowed(AUTH_USER, "jobs", "control"));
	assert_false(auth_allowed(AUTH_USER, "integrations", "write"));
	assert_false(auth_allowed(AUTH_USER, "integrations", "control"));
	assert_true(auth_allowed(AUTH_ADMIN, "integrations", "write"));
	assert_true(auth_allowed(AUTH_ADMIN, "jobs", "control"));
	assert_false(auth_allowed(AUTH_ADMIN, "nonsense", "read"));
	assert_false(auth_allowed(AUTH_ADMIN, "jobs", "nonsense"));
	assert_int_equal(auth_role_parse("admin"), AUTH_ADMIN);
	assert_int_equal(auth_role_parse("root"), -1);
	assert_int_equal(auth_parse_ttl("8h"), 8 * 3600);
	assert_int_equal(auth_parse_ttl("30m"), 1800);
	assert_int_equal(auth_parse_ttl("2d"), 172800);
	assert_int_equal(auth_parse_ttl("45"), 45);
	assert_int_equal(auth_parse_ttl("8x"), -1);
	assert_int_equal(auth_parse_ttl("-1h"), -1);
}

static void test_b64(void **st)
{
	static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	size_t i, n;

	(void)st;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char *e = auth_b64url_encode((const unsigned char *)in[i], strlen(in[i]));
		unsigned char *d = auth_b64url_decode(e, strlen(e), &n);

		assert_non_null(d);
		assert_int_equal(n, strlen(in[i]));
		assert_memory_equal(d, in[i], n);
		assert_null(strchr(e, '='));
		free(e);
		free(d);
	}
	assert_null(auth_b64url_decode("a+b/", 4, &n)); /* not the url alphabet */
}

/* ---- progress bus ------------------------------------------------------ */

static int wakes;
static void wake(void *ctx)
{
	(void)ctx;
	wakes++;
}

static void ev_init(struct progress_event *e, int kind, int64_t tenant,
		    int64_t job, uint64_t done)
{
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->tenant_id = tenant;
	e->job_id = job;
	e->done = done;
	e->total = 100;
	e->step = "extract";
	e->state = "RUNNING";
}

/* Pop every queued message into one string, separated by '\n'. */
static char *drain(struct progress_sub *s)
{
	size_t len, cap = 1, used = 0;
	unsigned char *data;
	char *out = calloc(1, 1);

	while (progress_sub_peek(s, &data, &len)) {
		cap += len + 1;
		out = realloc(out, cap);
		memcpy(out + used, data, len);
		used += len;
		out[used++] = '\n';
		out[used] = '\0';
		progress_sub_pop(s);
	}
	return out;
}

/* Fan-out cost (issue 11, item 18): a viewer whose queue already holds
 * messages has its writer armed; publishing more must not wake it again
 * (one poll change per viewer per burst, not per message). */
static void test_bus_wakes_once(void **st)
{
	struct progress_bus *b = progress_bus_new(16);
	struct progress_sub *a;
	struct progress_event e;
	int64_t job;

	(void)st;
	a = progress_subscribe(b, 1, wake, NULL);
	wakes = 0;
	for (job = 1; job <= 5; job++) { /* five jobs: nothing coalesces */
		ev_init(&e, PROG_STARTED, 1, job, 0);
		progress_publish(b, &e);
	}
	assert_int_equal(progress_sub_pending(a), 5);
	assert_int_equal(wakes, 1);
	while (progress_sub_pending(a))
		progress_sub_pop(a);
	ev_init(&e, PROG_STARTED, 1, 9, 0);
	progress_publish(b, &e);
	assert_int_equal(wakes, 2); /* empty again: this one wakes */
	progress_unsubscribe(a);
	progress_bus_free(b);
}

static void test_bus(void **st)
{
	struct progress_bus *b = progress_bus_new(16);
	struct progress_sub *a, *other, *late;
	struct progress_event e;
	char *got;
	uint64_t i;

	(void)st;
	a = progress_subscribe(b, 1, wake, NULL);
	other = progress_subscribe(b, 2, wake, NULL);
	ev_init(&e, PROG_STARTED, 1, 5, 0);
	progress_publish(b, &e);
	/* A slow viewer: 1000 progress events, none sent yet. */
	for (i = 1; i <= 1000; i++) {
		ev_init(&e, PROG_PROGRESS, 1, 5, i / 10);
		progress_publish(b, &e);
	}
	late = progress_subscribe(b, 1, wake, NULL); /* joins mid-run */
	ev_init(&e, PROG_COMPLETED, 1, 5, 100);
	progress_publish(b, &e);
	/* coalesced: started, the last progress, completed */
	assert_int_equal(progress_sub_pending(a), 3);
	got = drain(a);
	assert_non_null(strstr(got, "\"event\":\"job_started\""));
	assert_true(strstr(got, "job_started") < strstr(got, "job_progress"));
	assert_true(strstr(got, "job_progress") < strstr(got, "job_completed"));
	assert_non_null(strstr(got, "\"processed\":100,\"total\":100,\"percent\":100.0"));
	assert_non_null(strstr(got, "\"channel\":\"job:5\""));
	free(got);
	/* tenant 2 saw nothing of tenant 1 */
	assert_int_equal(progress_sub_pending(other), 0);
	/* the late viewer got the running job's last event, then the end */
	got = drain(late);
	assert_non_null(strstr(got, "job_progress"));
	assert_non_null(strstr(got, "job_completed"));
	free(got);
	/* a finished job is not replayed to new viewers */
	progress_unsubscribe(late);
	late = progress_subscribe(b, 1, wake, NULL);
	assert_int_equal(progress_sub_pending(late), 0);
	/* channel filter */
	{
		const char *only[] = {"job:6"};

		assert_int_equal(progress_sub_only(late, only, 1), 0);
		ev_init(&e, PROG_STARTED, 1, 5, 0);
		progress_publish(b, &e);
		assert_int_equal(progress_sub_pending(late), 0);
		ev_init(&e, PROG_STARTED, 1, 6, 0);
		progress_publish(b, &e);
		assert_int_equal(progress_sub_pending(late), 1);
		only[0] = "bogus";
		assert_int_equal(progress_sub_only(late, only, 1), -1);
	}
	assert_true(wakes > 0);
	progress_unsubscribe(a);
	progress_unsubscribe(other);
	progress_unsubscribe(late);
	progress_bus_free(b);
}

static void test_event_json(void **st)
{
	struct progress_event e;
	char *j;

	(void)st;
	ev_init(&e, PROG_PROGRESS, 1, 5, 25);
	e.run_started_us = 1000000;
	e.ts_us = 2000000;
	j = progress_event_json(&e, 11000000); /* 10 s for 25 of 100 */
	assert_non_null(strstr(j, "\"percent\":25.0"));
	assert_non_null(strstr(j, "\"eta_seconds\":30"));
	assert_non_null(strstr(j, "\"ts\":2000000"));
	free(j);
	ev_init(&e, PROG_ERROR, 1, 5, 0);
	e.message = "token \"x\" rejected";
	j = progress_event_json(&e, 1);
	assert_non_null(strstr(j, "\"event\":\"job_error\""));
	assert_non_null(strstr(j, "\"message\":\"token \\\"x\\\" rejected\""));
	free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_policy_errors),
		cmocka_unit_test(test_policy_ends),
		cmocka_unit_test(test_policy_escalation),
		cmocka_unit_test(test_token_roundtrip),
		cmocka_unit_test(test_token_attacks),
		cmocka_unit_test(test_token_claims),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_b64),
		cmocka_unit_test(test_bus),
		cmocka_unit_test(test_bus_wakes_once),
		cmocka_unit_test(test_event_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

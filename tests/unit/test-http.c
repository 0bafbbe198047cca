/*
 * test-http: the HTTP service (host/http/) against a tiny scripted HTTP
 * server running in a thread of this test (loopback, a free port). Each
 * test installs a handler that decides the responses; the server records
 * every request (path, Authorization, If-None-Match) so tests can assert
 * what the client sent, how often, and with which token.
 *
 * The server has its own clock, starting at 2026-06-01T00:00:00Z: its
 * Date and x-ratelimit-reset headers are in that time, far from the local
 * clock, so a wait computed against the local clock would be wrong by
 * months (and the test would hang or not wait at all).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/conf.h"
#include "http/http.h"
#include "plugin/job.h"
#include "plugin/loader.h"
#include "base/log.h"
#include "http/ratelimit.h"

#define SERVER_EPOCH 1780272000LL /* 2026-06-01T00:00:00Z */
#define MAX_REQS 64

struct seen {
	char method[8];
	char path[256];
	char auth[128];
	char inm[64];
};

struct reply {
	int status;
	const char *extra_headers; /* "Name: v\r\n..." or NULL */
	const char *body;
	long content_length;       /* -1: strlen(body); else lie (truncation) */
};

typedef void (*handler_fn)(int n, const struct seen *req, struct reply *out,
			   char *scratch, size_t scratch_len);

static int listen_fd = -1;
static int port;
static pthread_t server_thread;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static handler_fn handler;
static struct seen seen[MAX_REQS];
static int nseen;
static int64_t server_start_ms;

/* ------------------------------------------------------------ server */

static int64_t now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static int64_t server_now_s(void)
{
	return SERVER_EPOCH + (now_ms() - server_start_ms) / 1000;
}

static void header_value(const char *req, const char *name, char *out, size_t n)
{
	const char *p = req;
	size_t nl = strlen(name);

	out[0] = '\0';
	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1, *e;

			while (*v == ' ')
				v++;
			e = strstr(v, "\r\n");
			snprintf(out, n, "%.*s", (int)(e ? e - v : (long)strlen(v)), v);
			return;
		}
	}
}

static void serve_one(int fd)
{
	char buf[16384], date[64], scratch[512], head[2048];
	struct seen s;
	struct reply r;
	size_t len = 0;
	ssize_t got;
	char *end, cl[32];
	int n;
	time_t t;
	struct tm tm;

	while (len < sizeof(buf) - 1) {
		got = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (got <= 0)
			return;
		len += (size_t)got;
		buf[len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
	}
	if (!strstr(buf, "\r\n\r\n"))
		return;
	/* Drain a request body, if any. */
	header_value(buf, "Content-Length", cl, sizeof(cl));
	if (cl[0]) {
		size_t want = (size_t)atol(cl), have = len - (size_t)(strstr(buf, "\r\n\r\n") + 4 - buf);

		while (have < want && (got = recv(fd, scratch, sizeof(scratch), 0)) > 0)
			have += (size_t)got;
	}
	memset(&s, 0, sizeof(s));
	sscanf(buf, "%7s %255s", s.method, s.path);
	header_value(buf, "Authorization", s.auth, sizeof(s.auth));
	header_value(buf, "If-None-Match", s.inm, sizeof(s.inm));
	pthread_mutex_lock(&lock);
	n = nseen;
	if (nseen < MAX_REQS)
		seen[nseen++] = s;
	pthread_mutex_unlock(&lock);
	memset(&r, 0, sizeof(r));
	r.status = 200;
	r.body = "{}";
	r.content_length = -1;
	scratch[0] = '\0';
	if (handler)
		handler(n, &s, &r, scratch, sizeof(scratch));
	t = (time_t)server_now_s();
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	snprintf(head, sizeof(head),
		 "HTTP/1.1 %d X\r\nDate: %s\r\nContent-Type: application/json\r\n"
		 "Content-Length: %ld\r\nConnection: close\r\n%s\r\n",
		 r.status, date,
		 r.content_length >= 0 ? r.content_length : (long)strlen(r.body),
		 r.extra_headers ? r.extra_headers : "");
	if (send(fd, head, strlen(head), MSG_NOSIGNAL) < 0)
		return;
	if (r.status != 304)
		send(fd, r.body, strlen(r.body), MSG_NOSIGNAL);
}

static void *server_main(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(listen_fd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		serve_one(fd);
		shutdown(fd, SHUT_RDWR);
		close(fd);
	}
}

static int server_up(void **state)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int one = 1;

	(void)state;
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (listen_fd < 0)
		return -1;
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(listen_fd, 16) < 0 ||
	    getsockname(listen_fd, (struct sockaddr *)&a, &al) < 0)
		return -1;
	port = ntohs(a.sin_port);
	server_start_ms = now_ms();
	if (http_global_init() < 0)
		return -1;
	return pthread_create(&server_thread, NULL, server_main, NULL) == 0 ? 0 : -1;
}

static int server_down(void **state)
{
	(void)state;
	shutdown(listen_fd, SHUT_RDWR);
	close(listen_fd);
	pthread_join(server_thread, NULL);
	http_global_cleanup();
	return 0;
}

/* ------------------------------------------------------------ a fake job */

struct fake {
	struct pulse_job job;
	struct job_backend be;
	struct plugin plugin;
	const char *tokens[4];
	char state_key[8][80];
	char state_val[8][80];
	int nstate;
	char last_step[256];
	int progress_calls;
	int cancel_after_calls; /* 0: never */
	int cancel_calls;
	struct conf conf;
	struct http_client *hc;
};

/* The scripted server is plain http on loopback: the operator's
 * allow-list must name it, as the sandboxes' configs do. */
static char *allow_loopback[] = {(char *)"127.0.0.1", NULL};
static char *allow_none[] = {NULL};

static struct fake *fake_of(struct pulse_job *job)
{
	return (struct fake *)job; /* job is the first member */
}

static char *fk_secret(struct pulse_job *job, const char *key, uint32_t i)
{
	struct fake *f = fake_of(job);

	if (strcmp(key, "tokens") != 0 || i >= 4 || !f->tokens[i])
		return NULL;
	return strdup(f->tokens[i]);
}

static char *fk_state_get(struct pulse_job *job, const char *key)
{
	struct fake *f = fake_of(job);
	int i;

	for (i = 0; i < f->nstate; i++)
		if (strcmp(f->state_key[i], key) == 0)
			return strdup(f->state_val[i]);
	return NULL;
}

static int32_t fk_state_set(struct pulse_job *job, const char *key,
			    const char *value)
{
	struct fake *f = fake_of(job);
	int i;

	for (i = 0; i < f->nstate; i++)
		if (strcmp(f->state_key[i], key) == 0)
			break;
	if (i == 8)
		return PULSE_ERR;
	snprintf(f->state_key[i], sizeof(f->state_key[i]), "%s", key);
	snprintf(f->state_val[i], sizeof(f->state_val[i]), "%s", value);
	if (i == f->nstate)
		f->nstate++;
	return PULSE_OK;
}

static void fk_progress(struct pulse_job *job, const char *step, uint64_t d,
			uint64_t t)
{
	struct fake *f = fake_of(job);

	(void)d;
	(void)t;
	f->progress_calls++;
	snprintf(f->last_step, sizeof(f->last_step), "%s", step ? step : "");
}

static int32_t fk_cancelled(struct pulse_job *job)
{
	struct fake *f = fake_of(job);

	f->cancel_calls++;
	return f->cancel_after_calls && f->cancel_calls >= f->cancel_after_calls;
}

static struct fake *fake_new_allow(int max_retries, char **allow)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct conf *c;

	assert_non_null(f);
	f->plugin.name = (char *)"github";
	f->job.plugin = &f->plugin;
	f->job.integration_id = 7;
	f->job.run_id = 1;
	f->job.mode = JOB_EXTRACT;
	f->be.secret_get = fk_secret;
	f->be.state_get = fk_state_get;
	f->be.state_set = fk_state_set;
	f->be.progress = fk_progress;
	f->be.cancelled = fk_cancelled;
	http_backend_install(&f->be);
	assert_ptr_equal(f->be.http, http_request);
	f->job.be = &f->be;
	f->tokens[0] = "tok-AAAA-secret";
	c = &f->conf;
	c->http_ca_file = (char *)"";
	c->http_user_agent = (char *)"pulse-host-test";
	c->http_timeout_s = 10;
	c->http_max_retries = max_retries;
	c->http_allow_hosts = allow;
	f->hc = http_client_new(c, &f->job);
	assert_non_null(f->hc);
	assert_ptr_equal(f->job.http, f->hc);
	pthread_mutex_lock(&lock);
	nseen = 0;
	pthread_mutex_unlock(&lock);
	return f;
}

static struct fake *fake_new(int max_retries)
{
	return fake_new_allow(max_retries, allow_loopback);
}

static void fake_free(struct fake *f)
{
	http_client_free(f->hc);
	free(f);
	handler = NULL;
}

static int32_t get(struct fake *f, const char *path, uint32_t flags,
		   pulse_http_response **resp)
{
	char url[256];
	static const char *const hdrs[] = {"Accept: application/json", NULL};
	pulse_http_request req = {PULSE_STRUCT_HEADER(pulse_http_request)};

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	req.url = url;
	req.headers = hdrs;
	req.flags = flags;
	req.auth = PULSE_AUTH_BEARER;
	req.auth_secret = "tokens";
	return f->be.http(&f->job, &req, resp);
}

static int requests(void)
{
	int n;

	pthread_mutex_lock(&lock);
	n = nseen;
	pthread_mutex_unlock(&lock);
	return n;
}

/* ------------------------------------------------------------ handlers */

static void h_502_twice(int n, const struct seen *s, struct reply *r,
			char *sc, size_t sl)
{
	(void)s; (void)sc; (void)sl;
	if (n < 2) {
		r->status = 502;
		r->body = "<html>bad gateway</html>";
	} else {
		r->body = "{\"ok\":true}";
	}
}

static void h_truncate_once(int n, const struct seen *s, struct reply *r,
			    char *sc, size_t sl)
{
	(void)s; (void)sc; (void)sl;
	r->body = "{\"items\":[1,2,3],\"more\":\"xyz\"}";
	if (n == 0) {
		/* Promise more bytes than we send, then close: a cut body. */
		r->body = "{\"items\":[1,2";
		r->content_length = 200;
	} else if (n == 1) {
		/* A complete transfer of a body that is not whole JSON. */
		r->body = "{\"items\":[1,2";
	}
}

static void h_truncate_always(int n, const struct seen *s, struct reply *r,
			      char *sc, size_t sl)
{
	(void)n; (void)s; (void)sc; (void)sl;
	r->body = "{\"items\":[1,2";
	r->content_length = 100;
}

static void h_401(int n, const struct seen *s, struct reply *r, char *sc,
		  size_t sl)
{
	(void)n; (void)s; (void)sc; (void)sl;
	r->status = 401;
	r->body = "{\"message\":\"Bad credentials\",\"documentation_url\":\"x\"}";
}

static void h_403_forbidden(int n, const struct seen *s, struct reply *r,
			    char *sc, size_t sl)
{
	(void)n; (void)s; (void)sc; (void)sl;
	r->status = 403;
	r->extra_headers = "x-ratelimit-remaining: 4000\r\nx-ratelimit-reset: 1\r\n";
	r->body = "{\"message\":\"Resource not accessible by personal access token\"}";
}

static void h_404(int n, const struct seen *s, struct reply *r, char *sc,
		  size_t sl)
{
	(void)n; (void)s; (void)sc; (void)sl;
	r->status = 404;
	r->body = "{\"message\":\"Not Found\"}";
}

/* First request: primary limit exhausted, reset 2 s ahead (server time). */
static void h_primary(int n, const struct seen *s, struct reply *r, char *sc,
		      size_t sl)
{
	(void)s;
	if (n == 0) {
		r->status = 403;
		snprintf(sc, sl, "x-ratelimit-limit: 5000\r\nx-ratelimit-remaining: 0\r\n"
			 "x-ratelimit-reset: %lld\r\nx-ratelimit-resource: core\r\n",
			 (long long)server_now_s() + 2);
		r->extra_headers = sc;
		r->body = "{\"message\":\"API rate limit exceeded for user ID 1.\"}";
	} else {
		r->body = "{\"ok\":1}";
	}
}

/* Token A is exhausted (but the 200 still counts); token B has budget. */
static void h_rotate(int n, const struct seen *s, struct reply *r, char *sc,
		     size_t sl)
{
	(void)n;
	if (strstr(s->auth, "tok-AAAA")) {
		snprintf(sc, sl, "x-ratelimit-limit: 5000\r\nx-ratelimit-remaining: 0\r\n"
			 "x-ratelimit-reset: %lld\r\nx-ratelimit-resource: core\r\n",
			 (long long)server_now_s() + 3600);
	} else {
		snprintf(sc, sl, "x-ratelimit-limit: 5000\r\nx-ratelimit-remaining: 4999\r\n"
			 "x-ratelimit-reset: %lld\r\nx-ratelimit-resource: core\r\n",
			 (long long)server_now_s() + 3600);
	}
	r->extra_headers = sc;
	r->body = "{\"ok\":1}";
}

static void h_retry_after(int n, const struct seen *s, struct reply *r,
			  char *sc, size_t sl)
{
	(void)s; (void)sc; (void)sl;
	if (n == 0) {
		r->status = 429;
		r->extra_headers = "Retry-After: 1\r\n";
		r->body = "{\"message\":\"You have exceeded a secondary rate limit.\"}";
	} else {
		r->body = "{\"ok\":1}";
	}
}

static void h_secondary_no_hint(int n, const struct seen *s, struct reply *r,
				char *sc, size_t sl)
{
	(void)s; (void)sc; (void)sl;
	if (n == 0) {
		r->status = 403;
		r->body = "{\"message\":\"You have exceeded a secondary rate limit. "
			  "Please wait a few minutes before you try again.\"}";
	} else {
		r->body = "{\"ok\":1}";
	}
}

/* remaining 0 but no reset time: must still wait, not spin. */
static void h_primary_no_reset(int n, const struct seen *s, struct reply *r,
			       char *sc, size_t sl)
{
	(void)s; (void)sc; (void)sl;
	if (n == 0) {
		r->status = 403;
		r->extra_headers = "x-ratelimit-remaining: 0\r\n";
		r->body = "{\"message\":\"API rate limit exceeded\"}";
	} else {
		r->body = "{\"ok\":1}";
	}
}

static void h_etag(int n, const struct seen *s, struct reply *r, char *sc,
		   size_t sl)
{
	(void)n; (void)sc; (void)sl;
	if (strcmp(s->path, "/other") == 0) {
		r->body = "{\"other\":1}";
		return;
	}
	if (strcmp(s->inm, "\"v1\"") == 0) {
		r->status = 304;
		r->extra_headers = "ETag: \"v1\"\r\n";
		r->body = "";
		return;
	}
	r->extra_headers = "ETag: \"v1\"\r\n";
	r->body = "{\"page\":1}";
}

/* ------------------------------------------------------------ tests */

static void test_retry_502(void **state)
{
	struct fake *f = fake_new(3);
	pulse_http_response *resp = NULL;
	struct http_stats st;
	uint64_t len;

	(void)state;
	handler = h_502_twice;
	assert_int_equal(get(f, "/flaky", PULSE_HTTP_JSON, &resp), PULSE_OK);
	assert_non_null(resp);
	assert_int_equal(resp->status, 200);
	assert_string_equal(resp->body, "{\"ok\":true}");
	len = resp->body_len;
	assert_int_equal(len, strlen("{\"ok\":true}"));
	assert_int_equal(requests(), 3);
	http_client_stats(f->hc, &st);
	assert_int_equal(st.requests, 3);
	assert_int_equal(st.retries, 2);
	assert_string_equal(seen[0].auth, "Bearer tok-AAAA-secret");
	http_response_free(resp);
	fake_free(f);
}

static void test_502_exhausted(void **state)
{
	struct fake *f = fake_new(1);
	pulse_http_response *resp = (void *)1;

	(void)state;
	handler = h_502_twice;
	assert_int_equal(get(f, "/flaky", 0, &resp), PULSE_ERR_TRANSIENT);
	assert_null(resp);
	assert_int_equal(requests(), 2); /* 1 try + max_retries 1 */
	assert_int_equal(f->job.err_class, PULSE_ERR_TRANSIENT);
	assert_non_null(strstr(f->job.err, "failed after 2 attempts"));
	assert_non_null(strstr(f->job.err, "HTTP 502"));
	fake_free(f);
}

static void test_truncated_retried(void **state)
{
	struct fake *f = fake_new(3);
	pulse_http_response *resp = NULL;

	(void)state;
	handler = h_truncate_once;
	assert_int_equal(get(f, "/page", PULSE_HTTP_JSON, &resp), PULSE_OK);
	/* Attempt 1 was cut (CURLE_PARTIAL_FILE), attempt 2 complete but
	 * not JSON; neither was returned. */
	assert_int_equal(requests(), 3);
	assert_string_equal(resp->body, "{\"items\":[1,2,3],\"more\":\"xyz\"}");
	http_response_free(resp);
	fake_free(f);
}

static void test_truncated_never_returned(void **state)
{
	struct fake *f = fake_new(2);
	pulse_http_response *resp = (void *)1;

	(void)state;
	handler = h_truncate_always;
	assert_int_equal(get(f, "/page", PULSE_HTTP_JSON, &resp), PULSE_ERR_TRANSIENT);
	assert_null(resp);
	assert_int_equal(requests(), 3);
	assert_non_null(strstr(f->job.err, "integration 7 (github)"));
	fake_free(f);
}

static void test_401_permanent(void **state)
{
	struct fake *f = fake_new(5);
	pulse_http_response *resp = (void *)1;

	(void)state;
	handler = h_401;
	assert_int_equal(get(f, "/user", PULSE_HTTP_JSON, &resp), PULSE_ERR_PERMANENT);
	assert_null(resp);
	assert_int_equal(requests(), 1);
	assert_int_equal(f->job.err_class, PULSE_ERR_PERMANENT);
	assert_string_equal(f->job.err,
			    "integration 7 (github): token rejected (401 Bad credentials); "
			    "update it with `pulse-host integration set-secret 7 tokens`");
	fake_free(f);
}

static void test_403_permanent_404_returned(void **state)
{
	struct fake *f = fake_new(5);
	pulse_http_response *resp = NULL;

	(void)state;
	handler = h_403_forbidden;
	assert_int_equal(get(f, "/repos/a/b", 0, &resp), PULSE_ERR_PERMANENT);
	assert_int_equal(requests(), 1);
	assert_non_null(strstr(f->job.err, "access denied (403 Resource not accessible"));
	fake_free(f);

	f = fake_new(5);
	handler = h_404;
	assert_int_equal(get(f, "/repos/a/missing", PULSE_HTTP_JSON, &resp), PULSE_OK);
	assert_int_equal(resp->status, 404);
	assert_int_equal(f->job.err_class, 0);
	assert_int_equal(requests(), 1);
	http_response_free(resp);
	fake_free(f);
}

static void test_primary_limit_waited(void **state)
{
	struct fake *f = fake_new(5);
	pulse_http_response *resp = NULL;
	struct http_stats st;
	int64_t t0 = now_ms(), dt;

	(void)state;
	handler = h_primary;
	assert_int_equal(get(f, "/repos", PULSE_HTTP_JSON, &resp), PULSE_OK);
	dt = now_ms() - t0;
	assert_int_equal(resp->status, 200);
	assert_int_equal(requests(), 2);
	/* reset = server Date + 2 s (+1 s margin); local time is months away. */
	assert_true(dt >= 1500);
	assert_true(dt < 6000);
	assert_non_null(strstr(f->last_step, "waiting for github rate limit reset at 2026-06-01T"));
	http_client_stats(f->hc, &st);
	assert_int_equal(st.waits, 1);
	http_response_free(resp);
	fake_free(f);
}

static void test_token_rotation(void **state)
{
	struct fake *f = fake_new(5);
	pulse_http_response *resp = NULL;
	int64_t t0;

	(void)state;
	f->tokens[1] = "tok-BBBB-secret";
	handler = h_rotate;
	assert_int_equal(get(f, "/a", 0, &resp), PULSE_OK);
	http_response_free(resp);
	t0 = now_ms();
	assert_int_equal(get(f, "/b", 0, &resp), PULSE_OK);
	http_response_free(resp);
	assert_int_equal(get(f, "/c", 0, &resp), PULSE_OK);
	http_response_free(resp);
	assert_true(now_ms() - t0 < 2000); /* rotated, not waited an hour */
	assert_int_equal(requests(), 3);
	assert_string_equal(seen[0].auth, "Bearer tok-AAAA-secret");
	assert_string_equal(seen[1].auth, "Bearer tok-BBBB-secret");
	assert_string_equal(seen[2].auth, "Bearer tok-BBBB-secret");
	fake_free(f);
}

static void test_retry_after(void **state)
{
	struct fake *f = fake_new(5);
	pulse_http_response *resp = NULL;
	int64_t t0 = now_ms(), dt;

	(void)state;
	handler = h_retry_after;
	assert_int_equal(get(f, "/search", 0, &resp), PULSE_OK);
	dt = now_ms() - t0;
	assert_int_equal(resp->status, 200);
	assert_int_equal(requests(), 2);
	assert_true(dt >= 900 && dt < 4000);
	assert_non_null(strstr(f->last_step, "secondary rate limit (Retry-After)"));
	http_response_free(resp);
	fake_free(f);
}

static void test_secondary_without_hint(void **state)
{
	struct fake *f;
	pulse_http_response *resp = NULL;
	int64_t t0, dt;

	(void)state;
	/* The rule says "at least 60 s": cap it with the test-only knob. */
	setenv("PULSE_HOST_TEST_MAX_WAIT_MS", "300", 1);
	f = fake_new(5);
	unsetenv("PULSE_HOST_TEST_MAX_WAIT_MS");
	handler = h_secondary_no_hint;
	t0 = now_ms();
	assert_int_equal(get(f, "/repos", 0, &resp), PULSE_OK);
	dt = now_ms() - t0;
	assert_int_equal(resp->status, 200);
	assert_int_equal(requests(), 2);
	assert_true(dt >= 250 && dt < 3000);
	assert_non_null(strstr(f->last_step, "waiting 60 s for github secondary rate limit"));
	http_response_free(resp);
	fake_free(f);

	setenv("PULSE_HOST_TEST_MAX_WAIT_MS", "300", 1);
	f = fake_new(5);
	unsetenv("PULSE_HOST_TEST_MAX_WAIT_MS");
	handler = h_primary_no_reset;
	assert_int_equal(get(f, "/repos", 0, &resp), PULSE_OK);
	assert_int_equal(resp->status, 200);
	assert_int_equal(requests(), 2);
	assert_non_null(strstr(f->last_step, "secondary rate limit"));
	http_response_free(resp);
	fake_free(f);
}

static void test_conditional_304(void **state)
{
	struct fake *f = fake_new(5);
	pulse_http_response *resp = NULL;
	struct http_stats st;

	(void)state;
	handler = h_etag;
	assert_int_equal(get(f, "/deployments", PULSE_HTTP_CONDITIONAL | PULSE_HTTP_JSON,
			     &resp), PULSE_OK);
	assert_int_equal(resp->status, 200);
	assert_string_equal(seen[0].inm, "");
	http_response_free(resp);
	/* Not saved while the run goes on, only by commit (after success). */
	assert_int_equal(get(f, "/other", 0, &resp), PULSE_OK);
	http_response_free(resp);
	assert_int_equal(f->nstate, 0);
	assert_int_equal(http_client_commit(f->hc), 0);
	assert_int_equal(f->nstate, 1);
	assert_true(strncmp(f->state_key[0], "etag:", 5) == 0);
	assert_string_equal(f->state_val[0], "\"v1\"");
	/* A new run: the ETag comes from state and the 304 reaches the plugin. */
	http_client_free(f->hc);
	assert_null(f->job.http);
	f->job.run_id = 2;
	f->hc = http_client_new(&f->conf, &f->job);
	assert_int_equal(get(f, "/deployments", PULSE_HTTP_CONDITIONAL | PULSE_HTTP_JSON,
			     &resp), PULSE_OK);
	assert_int_equal(resp->status, 304);
	assert_int_equal(resp->body_len, 0);
	assert_string_equal(seen[2].inm, "\"v1\"");
	http_client_stats(f->hc, &st);
	assert_int_equal(st.not_modified, 1);
	assert_int_equal(st.retries, 0);
	http_response_free(resp);
	fake_free(f);
}

static void test_cancel_during_wait(void **state)
{
	struct fake *f = fake_new(5);
	int64_t t0 = now_ms();

	(void)state;
	f->cancel_after_calls = 2;
	/* Wait for a reset an hour ahead: must stop within about a second. */
	assert_int_equal(f->be.wait_until(&f->job, SERVER_EPOCH + 3600 * 24 * 400,
					  "waiting for GraphQL reset"),
			 PULSE_ERR_CANCELLED);
	assert_true(now_ms() - t0 < 3000);
	assert_string_equal(f->last_step, "waiting for GraphQL reset");
	assert_int_equal(f->job.err_class, PULSE_ERR_CANCELLED);
	fake_free(f);
}

static void test_wait_until_server_time(void **state)
{
	struct fake *f = fake_new(5);
	pulse_http_response *resp = NULL;
	int64_t t0, dt;

	(void)state;
	handler = h_404;
	/* One response teaches the client the server's clock. */
	assert_int_equal(get(f, "/x", 0, &resp), PULSE_OK);
	http_response_free(resp);
	t0 = now_ms();
	assert_int_equal(f->be.wait_until(&f->job, server_now_s() + 1, NULL), PULSE_OK);
	dt = now_ms() - t0;
	assert_true(dt >= 900 && dt < 4000);
	assert_non_null(strstr(f->last_step, "waiting for github rate limit reset at 2026-"));
	fake_free(f);
}

static void test_wait_until_rotates(void **state)
{
	struct fake *f = fake_new(5);
	pulse_http_response *resp = NULL;
	int64_t t0;

	(void)state;
	f->tokens[1] = "tok-BBBB-secret";
	handler = h_404;
	assert_int_equal(get(f, "/graphql", 0, &resp), PULSE_OK);
	http_response_free(resp);
	/* The plugin read "budget exhausted" in a body: with a second token
	 * the host switches instead of sleeping for an hour. */
	t0 = now_ms();
	assert_int_equal(f->be.wait_until(&f->job, server_now_s() + 3600, NULL), PULSE_OK);
	assert_true(now_ms() - t0 < 1000);
	assert_int_equal(get(f, "/graphql", 0, &resp), PULSE_OK);
	http_response_free(resp);
	assert_string_equal(seen[0].auth, "Bearer tok-AAAA-secret");
	assert_string_equal(seen[1].auth, "Bearer tok-BBBB-secret");
	fake_free(f);
}

static void test_secret_not_logged(void **state)
{
	struct fake *f;
	pulse_http_response *resp = NULL;
	const char *tmp = getenv("TMPDIR");
	char path[512], buf[65536];
	int fd, saved = dup(2);
	FILE *fp;
	size_t n;

	(void)state;
	snprintf(path, sizeof(path), "%s/test-http-log.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0 && saved >= 0);
	log_set_level(LOG_DEBUG);
	dup2(fd, 2);
	f = fake_new(2);
	handler = h_502_twice;
	assert_int_equal(get(f, "/flaky?access_token=tok-AAAA-secret&x=1", 0, &resp),
			 PULSE_OK);
	http_response_free(resp);
	handler = h_401;
	get(f, "/user", 0, &resp);
	fake_free(f);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	log_set_level(LOG_INFO);
	fp = fdopen(fd, "r");
	rewind(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	unlink(path);
	assert_non_null(strstr(buf, "retry integration=7 method=GET"));
	assert_non_null(strstr(buf, "url=http://127.0.0.1"));
	assert_non_null(strstr(buf, "/flaky?access_token="));
	assert_null(strstr(buf, "tok-AAAA"));
}

/* ------------------------------------------------------ request guard */

/* GET url (with the fake's token) and expect a permanent refusal whose
 * message contains every string in want; the server must see nothing. */
static void expect_refused(struct fake *f, const char *url,
			   const char *const *want)
{
	pulse_http_request req = {PULSE_STRUCT_HEADER(pulse_http_request)};
	pulse_http_response *resp = NULL;
	size_t i;

	req.url = url;
	req.auth = PULSE_AUTH_BEARER;
	req.auth_secret = "tokens";
	assert_int_equal(f->be.http(&f->job, &req, &resp), PULSE_ERR_PERMANENT);
	assert_null(resp);
	assert_int_equal(f->job.err_class, PULSE_ERR_PERMANENT);
	for (i = 0; want[i]; i++)
		if (!strstr(f->job.err, want[i]))
			fail_msg("error lacks \"%s\": %s", want[i], f->job.err);
	assert_int_equal(requests(), 0);
}

static void test_guard_plain_http_refused(void **state)
{
	struct fake *f = fake_new_allow(0, allow_none);
	const char *const want[] = {"integration 7 (github)", "https is required",
				    "host 127.0.0.1", "http.allow_hosts", NULL};
	char url[128];

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/user", port);
	expect_refused(f, url, want);
	fake_free(f);
}

static void test_guard_internal_address_refused(void **state)
{
	/* https passes the scheme check; the address does not. The same
	 * for a name that resolves to loopback. */
	struct fake *f = fake_new_allow(0, allow_none);
	const char *const want[] = {"integration 7 (github)", "host 127.0.0.1",
				    "address 127.0.0.1", "a loopback address",
				    "add \"127.0.0.1\" to http.allow_hosts", NULL};
	const char *const want_name[] = {"host localhost", "loopback",
					 "http.allow_hosts", NULL};
	const char *const want_meta[] = {"169.254.169.254", "link-local", NULL};
	char url[128];

	(void)state;
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/user", port);
	expect_refused(f, url, want);
	fake_free(f);
	f = fake_new_allow(0, allow_none);
	snprintf(url, sizeof(url), "https://localhost:%d/user", port);
	expect_refused(f, url, want_name);
	fake_free(f);
	f = fake_new_allow(0, allow_none);
	expect_refused(f, "https://169.254.169.254/latest/meta-data/", want_meta);
	fake_free(f);
	f = fake_new_allow(0, allow_none);
	expect_refused(f, "https://[::ffff:10.1.2.3]/x", (const char *const[]){
			"10.1.2.3", "a private address", NULL});
	fake_free(f);
}

static void h_redirect_internal(int n, const struct seen *s, struct reply *r,
				char *sc, size_t sl)
{
	(void)n; (void)s;
	/* 127.0.0.2 is loopback too, but not on the allow-list. */
	snprintf(sc, sl, "Location: http://127.0.0.2:%d/secret\r\n", port);
	r->status = 302;
	r->extra_headers = sc;
	r->body = "";
}

static void test_guard_redirect_not_followed(void **state)
{
	struct fake *f = fake_new(3);
	pulse_http_response *resp = NULL;

	(void)state;
	handler = h_redirect_internal;
	assert_int_equal(get(f, "/moved", 0, &resp), PULSE_ERR_PERMANENT);
	assert_null(resp);
	assert_non_null(strstr(f->job.err, "127.0.0.2"));
	assert_non_null(strstr(f->job.err, "refused"));
	assert_non_null(strstr(f->job.err, "http.allow_hosts"));
	/* One request (the redirect), no retries of a refusal. */
	assert_int_equal(requests(), 1);
	fake_free(f);
}

static void test_ratelimit_logic(void **state)
{
	struct rl_token t;
	struct rl_bucket *b;
	int i;

	(void)state;
	memset(&t, 0, sizeof(t));
	b = rl_bucket_get(&t, "graphql", 1);
	assert_non_null(b);
	assert_true(rl_bucket_usable(b, 100)); /* unknown: go ahead */
	rl_bucket_update(b, 5000, 10, 1000);
	rl_bucket_update(b, 5000, 8, 1000);
	assert_int_equal(b->cost, 2);
	assert_true(rl_bucket_usable(b, 100));
	rl_bucket_update(b, 5000, 1, 1000);
	assert_false(rl_bucket_usable(b, 100)); /* 1 < cost 7 */
	assert_true(rl_bucket_usable(b, 1000));  /* window reset */
	/* Pacing: plenty left -> none; little left -> spread until reset. */
	rl_bucket_update(b, 5000, 4000, 2000);
	assert_int_equal(rl_pace_ms(b, 1000 * 1000), 0);
	rl_bucket_update(b, 5000, 99, 2000);
	assert_true(rl_pace_ms(b, 1000 * 1000) > 0);
	assert_true(rl_pace_ms(b, 1000 * 1000) <= 1000 * 1000);
	for (i = 0; i < 50; i++) {
		int64_t d = rl_backoff_ms(3, 500, 30000);

		assert_true(d >= 2000 && d <= 4000);
		assert_true(rl_backoff_ms(20, 500, 30000) <= 30000);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratelimit_logic),
		cmocka_unit_test(test_retry_502),
		cmocka_unit_test(test_502_exhausted),
		cmocka_unit_test(test_truncated_retried),
		cmocka_unit_test(test_truncated_never_returned),
		cmocka_unit_test(test_401_permanent),
		cmocka_unit_test(test_403_permanent_404_returned),
		cmocka_unit_test(test_primary_limit_waited),
		cmocka_unit_test(test_token_rotation),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_secondary_without_hint),
		cmocka_unit_test(test_conditional_304),
		cmocka_unit_test(test_cancel_during_wait),
		cmocka_unit_test(test_wait_until_server_time),
		cmocka_unit_test(test_wait_until_rotates),
		cmocka_unit_test(test_secret_not_logged),
		cmocka_unit_test(test_guard_plain_http_refused),
		cmocka_unit_test(test_guard_internal_address_refused),
		cmocka_unit_test(test_guard_redirect_not_followed),
	};

	return cmocka_run_group_tests(tests, server_up, server_down);
}

/*
 * sandbox: a network-free source plugin for pipeline tests and benchmarks.
 *
 * extract makes up GitHub-shaped pages deterministically from the seed: a
 * page of repositories, then pages of pull requests with their commits,
 * reviews and comments nested inside, storing each page with a checkpoint
 * (resumable after a kill). transform turns them into repositories, prs,
 * prs_commits, prs_reviews and prs_comments records. Options make pages
 * malformed, records invalid, or extraction slow, on purpose.
 *
 * For tests that must catch a worker at a known point, the environment
 * variable PULSE_SANDBOX_HOLD_FILE names a file: the first transform in any
 * process that can create it (O_EXCL) writes its pid there and then waits
 * until the file is removed. The host commits a page's claim before it
 * calls transform, so the file's existence proves that a claim is held.
 * It is an environment variable, not a setting, so that only whoever starts
 * the process (never a tenant) can make a job wait. A process holds at
 * most once.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pulse-host/plugin.h>

PULSE_PLUGIN_INIT(api, self);

#define CHECKPOINT "sandbox.next_page"

static const pulse_config_field fields[] = {
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "org",
	 .type = PULSE_CFG_STRING, .default_json = "\"acme\"",
	 .description = "organisation name used in repository names"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "repos",
	 .type = PULSE_CFG_INT, .default_json = "2",
	 .description = "number of repositories", PULSE_RANGE(0, 10000)},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "prs_per_repo",
	 .type = PULSE_CFG_INT, .default_json = "20",
	 .description = "pull requests per repository",
	 PULSE_RANGE(0, 1000000)},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "page_size",
	 .type = PULSE_CFG_INT, .default_json = "10",
	 .description = "pull requests per page", PULSE_RANGE(1, 1000)},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "seed",
	 .type = PULSE_CFG_INT, .default_json = "1",
	 .description = "seed of the generator (same seed, same data)"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "fail_every",
	 .type = PULSE_CFG_INT, .default_json = "0",
	 .description = "every Nth pull request page lacks its pull_requests (0: never)",
	 PULSE_RANGE(0, 1000000)},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "bad_field",
	 .type = PULSE_CFG_BOOL, .default_json = "false",
	 .description = "emit an unknown field ('titel') on prs"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "wrong_type",
	 .type = PULSE_CFG_BOOL, .default_json = "false",
	 .description = "emit prs.number as a string"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "page_delay_ms",
	 .type = PULSE_CFG_INT, .default_json = "0",
	 .description = "sleep this long before each page (to test kills and progress)",
	 PULSE_RANGE(0, 600000)},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "since",
	 .type = PULSE_CFG_DATE, .default_json = "\"2025-01-01\"",
	 .description = "creation date of the first pull request"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "repo_filter",
	 .type = PULSE_CFG_REGEX,
	 .description = "only repositories whose name matches (POSIX ERE)"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "api_url",
	 .type = PULSE_CFG_URL,
	 .default_json = "\"https://sandbox.invalid/api\"",
	 .description = "base of the (fake) request URLs"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "token",
	 .type = PULSE_CFG_SECRET,
	 .description = "API token; \"bad-token\" is rejected like a 401"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = NULL},
};

/* ---- a small growable buffer ---------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

static void bprintf(struct buf *b, const char *fmt, ...)
	PULSE_PRINTF(2, 3);

static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t cap = b->cap ? b->cap * 2 : 4096;
			char *np;

			while (cap - b->len <= (size_t)n)
				cap *= 2;
			np = realloc(b->p, cap);
			if (!np) {
				b->oom = 1;
				return;
			}
			b->p = np;
			b->cap = cap;
		}
	}
}

/* ---- the generator ---------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t h3(int64_t seed, int64_t a, int64_t b)
{
	return mix((uint64_t)seed * 1000003ULL ^ mix((uint64_t)a * 7919ULL ^
						      mix((uint64_t)b)));
}

static void iso(char *out, size_t len, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int64_t epoch_of(const char *date)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!date || sscanf(date, "%d-%d-%d", &tm.tm_year, &tm.tm_mon,
			    &tm.tm_mday) != 3)
		return 1735689600; /* 2025-01-01 */
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm);
}

struct cfg {
	const char *org, *api_url, *filter;
	int64_t repos, prs, page_size, seed, fail_every, delay_ms, base;
	int bad_field, wrong_type;
	regex_t re;
	int has_re;
};

static int load_cfg(pulse_job *job, struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->org = api->config_string(job, "org");
	c->api_url = api->config_string(job, "api_url");
	c->filter = api->config_string(job, "repo_filter");
	c->repos = api->config_int(job, "repos", 2);
	c->prs = api->config_int(job, "prs_per_repo", 20);
	c->page_size = api->config_int(job, "page_size", 10);
	c->seed = api->config_int(job, "seed", 1);
	c->fail_every = api->config_int(job, "fail_every", 0);
	c->delay_ms = api->config_int(job, "page_delay_ms", 0);
	c->bad_field = api->config_bool(job, "bad_field", 0);
	c->wrong_type = api->config_bool(job, "wrong_type", 0);
	c->base = epoch_of(api->config_string(job, "since"));
	if (!c->org)
		c->org = "acme";
	if (!c->api_url)
		c->api_url = "https://sandbox.invalid/api";
	if (c->page_size < 1)
		c->page_size = 1;
	if (c->filter) {
		if (regcomp(&c->re, c->filter, REG_EXTENDED | REG_NOSUB) != 0)
			return -1;
		c->has_re = 1;
	}
	return 0;
}

static void free_cfg(struct cfg *c)
{
	if (c->has_re)
		regfree(&c->re);
}

static int repo_included(const struct cfg *c, int64_t r)
{
	char name[64];

	snprintf(name, sizeof(name), "repo-%lld", (long long)r + 1);
	return !c->has_re || regexec(&c->re, name, 0, NULL, 0) == 0;
}

static void repositories_page(const struct cfg *c, struct buf *b)
{
	int64_t r;
	int first = 1;
	char t1[32], t2[32];

	bprintf(b, "{\"total_count\":%lld,\"repositories\":[", (long long)c->repos);
	for (r = 0; r < c->repos; r++) {
		uint64_t h = h3(c->seed, r, -1);

		if (!repo_included(c, r))
			continue;
		iso(t1, sizeof(t1), c->base - 86400 * (int64_t)(30 + h % 300));
		iso(t2, sizeof(t2), c->base + 86400 * (int64_t)(h % 30));
		bprintf(b, "%s{\"node_id\":\"R_%llx\",\"full_name\":\"%s/repo-%lld\","
			"\"owner\":{\"login\":\"%s\"},\"name\":\"repo-%lld\","
			"\"default_branch\":\"%s\",\"html_url\":\"https://sandbox.invalid/%s/repo-%lld\","
			"\"private\":%s,\"created_at\":\"%s\",\"updated_at\":\"%s\","
			"\"pushed_at\":\"%s\"}", first ? "" : ",",
			(unsigned long long)h, c->org, (long long)r + 1, c->org,
			(long long)r + 1, h % 3 ? "main" : "master", c->org,
			(long long)r + 1, h % 2 ? "true" : "false", t1, t2, t2);
		first = 0;
	}
	bprintf(b, "]}");
}

static const char *const people[] = {"alice", "bob", "carol", "dave", "erin",
				     "frank", "grace", "heidi"};

static void pr_json(const struct cfg *c, struct buf *b, int64_t r, int64_t n)
{
	uint64_t h = h3(c->seed, r, n);
	int64_t created = c->base + (r * 100000 + n) * 600;
	int ncommits = 1 + (int)(h % 5), nreviews = (int)((h >> 8) % 4);
	int ncomments = (int)((h >> 16) % 5), st = (int)((h >> 24) % 10), i;
	const char *state = st < 7 ? "MERGED" : st < 9 ? "CLOSED" : "OPEN";
	char tc[32], tu[32], tm[32], t[32], mc[64], merged[40], closed[40];

	iso(tc, sizeof(tc), created);
	iso(tu, sizeof(tu), created + 7200 + (int64_t)(h % 86400));
	iso(tm, sizeof(tm), created + 3600 + (int64_t)(h % 80000));
	if (st < 7)
		snprintf(mc, sizeof(mc), "{\"oid\":\"%016llx\"}",
			 (unsigned long long)h);
	else
		snprintf(mc, sizeof(mc), "null");
	snprintf(merged, sizeof(merged), "\"%s\"", tm);
	snprintf(closed, sizeof(closed), "\"%s\"", tm);
	if (st >= 7)
		snprintf(merged, sizeof(merged), "null");
	if (st >= 9)
		snprintf(closed, sizeof(closed), "null");
	/* The title has quotes, a tab, a backslash, a newline and non-ASCII,
	 * so the load path's escaping is exercised on every page. */
	bprintf(b, "{\"id\":\"PR_%llx_%lld_%lld\",\"number\":%lld,"
		"\"title\":\"Fix \\\"edge\\\" case\\tin C:\\\\tmp #%lld\\nsecond line \\u00e9\","
		"\"state\":\"%s\",\"isDraft\":%s,\"author\":{\"login\":\"%s\"},"
		"\"baseRefName\":\"main\",\"headRefName\":\"feature/%lld\","
		"\"mergeCommit\":%s,\"createdAt\":\"%s\",\"updatedAt\":\"%s\","
		"\"mergedAt\":%s,\"closedAt\":%s,\"commits\":[",
		(unsigned long long)(h & 0xffffff), (long long)r, (long long)n,
		(long long)n + 1, (long long)n + 1, state,
		st == 9 && (h & 1) ? "true" : "false", people[h % 8],
		(long long)n + 1, mc, tc, tu, merged, closed);
	for (i = 0; i < ncommits; i++) {
		iso(t, sizeof(t), created - 3600 * (ncommits - i));
		bprintf(b, "%s{\"oid\":\"%016llx%08x\",\"author\":{\"login\":\"%s\"},"
			"\"message\":\"commit %d of #%lld\\n\\nwith a tab\\tand a "
			"backslash \\\\\",\"authoredDate\":\"%s\",\"committedDate\":\"%s\"}",
			i ? "," : "", (unsigned long long)mix(h + (uint64_t)i),
			(unsigned)i, people[(h >> (i + 3)) % 8], i + 1,
			(long long)n + 1, t, t);
	}
	bprintf(b, "],\"reviews\":[");
	for (i = 0; i < nreviews; i++) {
		iso(t, sizeof(t), created + 1800 * (i + 1));
		bprintf(b, "%s{\"id\":\"PRR_%llx_%d\",\"state\":\"%s\","
			"\"author\":{\"login\":\"%s\"},\"submittedAt\":\"%s\"}",
			i ? "," : "", (unsigned long long)(h & 0xffffffff), i,
			i + 1 == nreviews ? "APPROVED" : "COMMENTED",
			people[(h >> (i + 5)) % 8], t);
	}
	bprintf(b, "],\"comments\":[");
	for (i = 0; i < ncomments; i++) {
		iso(t, sizeof(t), created + 900 * (i + 1));
		bprintf(b, "%s{\"id\":\"IC_%llx_%d\",\"author\":{\"login\":\"%s\"},"
			"\"createdAt\":\"%s\"}", i ? "," : "",
			(unsigned long long)(h & 0xffffffff), i,
			people[(h >> (i + 7)) % 8], t);
	}
	bprintf(b, "]}");
}

/* Page p (1-based among pull request pages) of repository r. */
static void prs_page(const struct cfg *c, struct buf *b, int64_t r,
		     int64_t chunk, int malformed)
{
	int64_t n, from = chunk * c->page_size, to = from + c->page_size;

	if (to > c->prs)
		to = c->prs;
	bprintf(b, "{\"repository\":\"%s/repo-%lld\",\"page\":%lld,", c->org,
		(long long)r + 1, (long long)chunk + 1);
	if (malformed) {
		bprintf(b, "\"message\":\"sandbox: this page lost its "
			"pull_requests on purpose\"}");
		return;
	}
	bprintf(b, "\"pull_requests\":[");
	for (n = from; n < to; n++) {
		if (n > from)
			bprintf(b, ",");
		pr_json(c, b, r, n);
	}
	bprintf(b, "]}");
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

static int32_t sandbox_extract(void *state, pulse_job *job)
{
	struct cfg c;
	struct buf b = {NULL, 0, 0, 0};
	int64_t chunks, total, page, first = 0;
	char *resume, *token;
	int32_t rc = PULSE_OK;

	(void)state;
	if (load_cfg(job, &c) < 0)
		return api->fail(job, PULSE_ERR_PERMANENT, "repo_filter does not compile");
	token = api->secret_get(job, "token", 0);
	if (token && strcmp(token, "bad-token") == 0)
		/* The host puts the integration's id in place of ID. */
		rc = api->fail(job, PULSE_ERR_PERMANENT, "token rejected (401); "
			       "update it with `pulse-host integration "
			       "set-secret ID token`");
	if (token) {
		memset(token, 0, strlen(token));
		api->free(token);
	}
	if (rc != PULSE_OK)
		goto out;
	chunks = (c.prs + c.page_size - 1) / c.page_size;
	total = 1 + c.repos * chunks;
	resume = api->state_get(job, CHECKPOINT);
	if (resume) {
		first = strtoll(resume, NULL, 10);
		api->free(resume);
		if (first < 0 || first > total)
			first = 0;
		if (first > 0)
			api->log(self, PULSE_LOG_INFO, "resuming at page=%lld of %lld",
				 (long long)first, (long long)total);
	}
	for (page = first; page < total; page++) {
		pulse_raw_page pg = {PULSE_STRUCT_HEADER(pulse_raw_page)};
		char url[512], next[32];
		int64_t r = 0, chunk = 0;

		if (api->cancelled(job)) {
			rc = api->fail(job, PULSE_ERR_CANCELLED, "stopped before page %lld",
				       (long long)page);
			goto out;
		}
		sleep_ms(c.delay_ms);
		b.len = 0;
		if (page == 0) {
			repositories_page(&c, &b);
			snprintf(url, sizeof(url), "%s/orgs/%s/repos", c.api_url, c.org);
			pg.entity = "repositories";
		} else {
			r = (page - 1) / chunks;
			chunk = (page - 1) % chunks;
			if (!repo_included(&c, r))
				goto checkpoint;
			prs_page(&c, &b, r, chunk, c.fail_every > 0 &&
				 page % c.fail_every == 0);
			snprintf(url, sizeof(url), "%s/repos/%s/repo-%lld/pulls?page=%lld",
				 c.api_url, c.org, (long long)r + 1, (long long)chunk + 1);
			pg.entity = "pull_requests";
		}
		if (b.oom) {
			rc = api->fail(job, PULSE_ERR_TRANSIENT, "out of memory");
			goto out;
		}
		snprintf(next, sizeof(next), "%lld", (long long)page + 1);
		pg.request_method = "GET";
		pg.request_url = url;
		pg.http_status = 200;
		pg.body = b.p;
		pg.body_len = b.len;
		pg.checkpoint_key = CHECKPOINT;
		pg.checkpoint_value = next;
		if ((rc = api->raw_store(job, &pg)) != PULSE_OK)
			goto out;
		goto progress;
checkpoint:
		snprintf(next, sizeof(next), "%lld", (long long)page + 1);
		if ((rc = api->state_set(job, CHECKPOINT, next)) != PULSE_OK)
			goto out;
progress:
		api->progress(job, "pages", (uint64_t)page + 1, (uint64_t)total);
	}
	/* A finished sync starts over next time (the sandbox has no
	 * watermark), which also shows that reloading changes nothing. */
	rc = api->state_set(job, CHECKPOINT, "0");
out:
	free(b.p);
	free_cfg(&c);
	return rc;
}

/* ---- transform ---------------------------------------------------------- */

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

static const char *login(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_object))
		return NULL;
	return str(v, "login");
}

static struct json_object *arr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	       json_object_is_type(v, json_type_array) ? v : NULL;
}

/* Set fields in order; stop at the first failure (the host has the
 * reason in the job's error). */
#define SET(call) do { if ((call) != PULSE_OK) goto bad; } while (0)

static int32_t emit_repo(pulse_job *job, struct json_object *o)
{
	pulse_record *rec = api->record_begin(job, "repositories");
	const char *full = str(o, "full_name");
	char ext[256];
	size_t i;
	struct json_object *pv;

	if (!rec)
		return PULSE_ERR;
	if (!full) {
		api->record_abort(rec);
		return api->fail(job, PULSE_ERR_PERMANENT, "repository without full_name");
	}
	snprintf(ext, sizeof(ext), "%s", full);
	for (i = 0; ext[i]; i++)
		if (ext[i] >= 'A' && ext[i] <= 'Z')
			ext[i] = (char)(ext[i] - 'A' + 'a');
	SET(api->record_str(rec, "external_id", ext));
	SET(api->record_str(rec, "full_name", full));
	SET(api->record_str(rec, "owner", login(o, "owner")));
	SET(api->record_str(rec, "name", str(o, "name")));
	SET(api->record_str(rec, "default_branch", str(o, "default_branch")));
	SET(api->record_str(rec, "url", str(o, "html_url")));
	if (json_object_object_get_ex(o, "private", &pv))
		SET(api->record_bool(rec, "is_private", json_object_get_boolean(pv)));
	SET(api->record_time(rec, "created_at", str(o, "created_at")));
	SET(api->record_time(rec, "updated_at", str(o, "updated_at")));
	SET(api->record_time(rec, "pushed_at", str(o, "pushed_at")));
	return api->record_end(rec);
bad:
	api->record_abort(rec);
	return PULSE_ERR_INVALID;
}

static int32_t emit_pr(pulse_job *job, const char *repo, struct json_object *o,
		       int bad_field, int wrong_type)
{
	struct json_object *commits = arr(o, "commits"), *reviews = arr(o, "reviews");
	struct json_object *comments = arr(o, "comments"), *v;
	const char *id = str(o, "id"), *first = NULL;
	pulse_record *rec;
	char ext[256];
	size_t i, n;

	if (!id || !commits || !reviews || !comments)
		return api->fail(job, PULSE_ERR_PERMANENT, "a pull request of %s "
				 "lacks id, commits, reviews or comments", repo);
	/* children first: commits also give first_commit_at */
	n = json_object_array_length(commits);
	for (i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(commits, i);
		const char *sha = str(c, "oid"), *at = str(c, "authoredDate");

		if (at && (!first || strcmp(at, first) < 0))
			first = at;
		snprintf(ext, sizeof(ext), "%s:%s", id, sha ? sha : "");
		if (!(rec = api->record_begin(job, "prs_commits")))
			return PULSE_ERR;
		SET(api->record_str(rec, "external_id", ext));
		SET(api->record_str(rec, "pr_external_id", id));
		SET(api->record_str(rec, "sha", sha));
		SET(api->record_str(rec, "author", login(c, "author")));
		SET(api->record_str(rec, "message", str(c, "message")));
		SET(api->record_time(rec, "authored_at", at));
		SET(api->record_time(rec, "committed_at", str(c, "committedDate")));
		if (api->record_end(rec) != PULSE_OK)
			return PULSE_ERR;
	}
	n = json_object_array_length(reviews);
	for (i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(reviews, i);

		if (!(rec = api->record_begin(job, "prs_reviews")))
			return PULSE_ERR;
		SET(api->record_str(rec, "external_id", str(r, "id")));
		SET(api->record_str(rec, "pr_external_id", id));
		SET(api->record_str(rec, "state", str(r, "state")));
		SET(api->record_str(rec, "author", login(r, "author")));
		SET(api->record_time(rec, "submitted_at", str(r, "submittedAt")));
		if (api->record_end(rec) != PULSE_OK)
			return PULSE_ERR;
	}
	n = json_object_array_length(comments);
	for (i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(comments, i);

		if (!(rec = api->record_begin(job, "prs_comments")))
			return PULSE_ERR;
		SET(api->record_str(rec, "external_id", str(c, "id")));
		SET(api->record_str(rec, "pr_external_id", id));
		SET(api->record_str(rec, "author", login(c, "author")));
		SET(api->record_time(rec, "created_at", str(c, "createdAt")));
		if (api->record_end(rec) != PULSE_OK)
			return PULSE_ERR;
	}
	if (!(rec = api->record_begin(job, "prs")))
		return PULSE_ERR;
	SET(api->record_str(rec, "external_id", id));
	SET(api->record_str(rec, "repository_external_id", repo));
	if (wrong_type)
		SET(api->record_str(rec, "number", str(o, "number")));
	else if (json_object_object_get_ex(o, "number", &v))
		SET(api->record_int(rec, "number", json_object_get_int64(v)));
	SET(api->record_str(rec, bad_field ? "titel" : "title", str(o, "title")));
	SET(api->record_str(rec, "state", str(o, "state")));
	if (json_object_object_get_ex(o, "isDraft", &v))
		SET(api->record_bool(rec, "is_draft", json_object_get_boolean(v)));
	SET(api->record_str(rec, "author", login(o, "author")));
	SET(api->record_str(rec, "base_ref", str(o, "baseRefName")));
	SET(api->record_str(rec, "head_ref", str(o, "headRefName")));
	if (json_object_object_get_ex(o, "mergeCommit", &v) &&
	    json_object_is_type(v, json_type_object))
		SET(api->record_str(rec, "merge_commit_sha", str(v, "oid")));
	SET(api->record_int(rec, "commits_count",
			    (int64_t)json_object_array_length(commits)));
	SET(api->record_int(rec, "reviews_count",
			    (int64_t)json_object_array_length(reviews)));
	SET(api->record_int(rec, "comments_count",
			    (int64_t)json_object_array_length(comments)));
	SET(api->record_time(rec, "first_commit_at", first));
	SET(api->record_time(rec, "created_at", str(o, "createdAt")));
	SET(api->record_time(rec, "updated_at", str(o, "updatedAt")));
	SET(api->record_time(rec, "merged_at", str(o, "mergedAt")));
	SET(api->record_time(rec, "closed_at", str(o, "closedAt")));
	return api->record_end(rec);
bad:
	api->record_abort(rec);
	return PULSE_ERR_INVALID;
}

/* The hold point (see the top of the file). The pid goes into a file of
 * our own first, which link() then publishes under the agreed name: so the
 * file appears complete, and only one process anywhere wins and waits. */
static int held; /* a process holds once: removing the file releases it for good */

static void hold_point(void)
{
	const char *path = getenv("PULSE_SANDBOX_HOLD_FILE");
	char tmp[4096], pid[32];
	int fd = -1, n, won;

	if (!path || !*path || held)
		return;
	if (access(path, F_OK) == 0)
		return; /* somebody holds (or held) already */
	n = snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (fd < 0 || write(fd, pid, (size_t)n) != n) {
		api->log(self, PULSE_LOG_ERROR, "hold point: cannot write %s: %s; "
			 "check PULSE_SANDBOX_HOLD_FILE", tmp, strerror(errno));
		goto out;
	}
	won = link(tmp, path) == 0;
	if (!won && errno != EEXIST)
		api->log(self, PULSE_LOG_ERROR, "hold point: cannot create %s: "
			 "%s; check PULSE_SANDBOX_HOLD_FILE", path, strerror(errno));
	unlink(tmp);
	if (!won)
		goto out;
	held = 1;
	api->log(self, PULSE_LOG_INFO, "hold point: holding in transform "
		 "until %s is removed", path);
	while (access(path, F_OK) == 0)
		sleep_ms(10);
out:
	if (fd >= 0)
		close(fd);
	if (fd >= 0 && access(tmp, F_OK) == 0)
		unlink(tmp);
}

static int32_t sandbox_transform(void *state, pulse_job *job,
				 const pulse_raw_page *page)
{
	struct json_object *root, *list;
	int32_t rc = PULSE_OK;
	size_t i, n;

	(void)state;
	hold_point();
	root = json_tokener_parse(page->body);
	if (!root || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return api->fail(job, PULSE_ERR_PERMANENT, "page is not a JSON object");
	}
	if (strcmp(page->entity, "repositories") == 0) {
		if (!(list = arr(root, "repositories"))) {
			rc = api->fail(job, PULSE_ERR_PERMANENT, "page of %s has no "
				       "'repositories' array", page->request_url);
			goto out;
		}
		n = json_object_array_length(list);
		for (i = 0; i < n && rc == PULSE_OK; i++)
			rc = emit_repo(job, json_object_array_get_idx(list, i));
	} else if (strcmp(page->entity, "pull_requests") == 0) {
		const char *repo = str(root, "repository");
		char ext[256];
		size_t k;

		if (!repo || !(list = arr(root, "pull_requests"))) {
			rc = api->fail(job, PULSE_ERR_PERMANENT, "page of %s has no "
				       "'repository' or no 'pull_requests' array",
				       page->request_url);
			goto out;
		}
		snprintf(ext, sizeof(ext), "%s", repo);
		for (k = 0; ext[k]; k++)
			if (ext[k] >= 'A' && ext[k] <= 'Z')
				ext[k] = (char)(ext[k] - 'A' + 'a');
		n = json_object_array_length(list);
		for (i = 0; i < n && rc == PULSE_OK; i++)
			rc = emit_pr(job, ext, json_object_array_get_idx(list, i),
				     api->config_bool(job, "bad_field", 0),
				     api->config_bool(job, "wrong_type", 0));
	} else {
		rc = api->fail(job, PULSE_ERR_PERMANENT, "unknown page entity '%s'",
			       page->entity);
	}
out:
	json_object_put(root);
	return rc;
}

static int32_t sandbox_validate(void *state, pulse_job *job, char *err,
				uint32_t errlen)
{
	(void)state;
	if (api->config_int(job, "page_size", 10) < 1) {
		snprintf(err, errlen, "page_size must be at least 1");
		return PULSE_ERR_INVALID;
	}
	if (api->config_int(job, "repos", 2) < 0 ||
	    api->config_int(job, "prs_per_repo", 20) < 0 ||
	    api->config_int(job, "fail_every", 0) < 0) {
		snprintf(err, errlen, "repos, prs_per_repo and fail_every may not "
			 "be negative");
		return PULSE_ERR_INVALID;
	}
	return PULSE_OK;
}

static int32_t sandbox_init(const pulse_host_api *host_api, pulse_host *host,
			    void **state, char *err, uint32_t errlen)
{
	PULSE_PLUGIN_INIT2(host_api, host);
	if (!PULSE_API_HAS(api, record_delete)) {
		snprintf(err, errlen, "host API table too small (%u bytes)",
			 (unsigned)api->struct_size);
		return PULSE_ERR;
	}
	*state = NULL;
	return PULSE_OK;
}

static const pulse_source_ops ops = {
	PULSE_STRUCT_HEADER(pulse_source_ops),
	.extract = sandbox_extract,
	.transform = sandbox_transform,
	.validate = sandbox_validate,
};

static const pulse_plugin_info info = {
	PULSE_STRUCT_HEADER(pulse_plugin_info),
	.kind = PULSE_KIND_SOURCE,
	.name = "sandbox",
	.version = "1.0.0",
	.ops = &ops,
	.description = "network-free source of GitHub-shaped pull request data, "
		       "for tests",
	.config_fields = fields,
	.init = sandbox_init,
};

PULSE_EXPORT const pulse_plugin_info *pulse_plugin_entry_v1(uint32_t host_minor)
{
	(void)host_minor;
	return &info;
}

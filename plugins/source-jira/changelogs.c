/*
 * source-jira changelogs: a search page embeds only the newest histories
 * of an issue; the rest come from POST /changelog/bulkfetch (many issues
 * a request, nextPageToken paging) or, where that is absent, from
 * GET /issue/{id}/changelog (startAt paging).
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jira.h"

#define BULK_IDS 1000         /* /changelog/bulkfetch limit per request */
#define BULK_HISTORIES 1000   /* histories per bulkfetch page */
#define CHANGELOG_PAGE 100

/* 404: deleted since the search (the reconciliation finds it); other
 * answers fail the job. */
static int32_t changelog_refused(struct jr *g, const char *url,
				 const pulse_http_response *r, void *arg)
{
	const int64_t *id = arg;
	char msg[300];

	(void)url;
	if (jr_api->http_status(r) == 404) {
		jr_api->log(jr_host, PULSE_LOG_DEBUG, "issue=%" PRId64
			    " changelog=gone", *id);
		return PULSE_OK;
	}
	jr_errmsg(r, msg, sizeof(msg));
	return jr_api->fail(g->job, PULSE_ERR_PERMANENT, "the changelog of issue %"
			    PRId64 " could not be read (HTTP %u: %s)", *id,
			    jr_api->http_status(r), msg);
}

/* GET /issue/{id}/changelog, all pages (when bulkfetch is not there). */
static int32_t issue_changelog(struct jr *g, int64_t id)
{
	char params[64];
	char *url = kt_asprintf("%s/rest/api/3/issue/%" PRId64 "/changelog",
				g->base, id);
	struct jr_listing l = {
		.url = url,
		.page_size = CHANGELOG_PAGE,
		.entity = JR_RAW_ISSUE_CHANGELOG,
		.params = params,
		.refused = changelog_refused,
		.arg = &id,
	};
	int32_t rc;

	snprintf(params, sizeof(params), "{\"issue_id\":\"%" PRId64 "\"}", id);
	rc = url ? jr_get_listing(g, &l) : jr_oom(g);
	free(url);
	return rc;
}

/* POST /changelog/bulkfetch for up to BULK_IDS issues, every page. Returns
 * 1 when the endpoint is not there (the caller falls back). */
static int32_t bulk_changelogs(struct jr *g, const int64_t *ids, size_t n)
{
	char *url = kt_asprintf("%s/rest/api/3/changelog/bulkfetch", g->base);
	struct json_object *body = json_object_new_object(), *arr;
	struct kt_token pg = {NULL, 0};
	size_t i;
	int32_t rc = PULSE_OK;

	arr = json_object_new_array();
	if (!url || !body || !arr) {
		json_object_put(arr);
		rc = jr_oom(g);
		goto out;
	}
	for (i = 0; i < n; i++) {
		char b[32];

		snprintf(b, sizeof(b), "%" PRId64, ids[i]);
		json_object_array_add(arr, json_object_new_string(b));
	}
	json_object_object_add(body, "issueIdsOrKeys", arr);
	json_object_object_add(body, "maxResults", json_object_new_int(BULK_HISTORIES));
	while (!pg.done) {
		pulse_http_response *r = NULL;
		struct json_object *o;
		uint32_t st;

		if (pg.token)
			json_object_object_add(body, "nextPageToken",
					       json_object_new_string(pg.token));
		if ((rc = jr_call(g, "POST", url, body, PULSE_HTTP_JSON, &r)) != PULSE_OK)
			goto out;
		st = jr_api->http_status(r);
		if (st == 404 || st == 405 || st == 501) {
			jr_api->log(jr_host, PULSE_LOG_INFO, "changelog_bulkfetch=absent "
				    "status=%u fallback=per_issue", st);
			jr_api->http_release(r);
			rc = 1;
			goto out;
		}
		if (st != 200) {
			char msg[300];

			jr_errmsg(r, msg, sizeof(msg));
			rc = jr_api->fail(g->job, st >= 500 ? PULSE_ERR_TRANSIENT :
					  PULSE_ERR_PERMANENT, "Jira refused the bulk "
					  "changelog request (HTTP %u: %s)", st, msg);
			jr_api->http_release(r);
			goto out;
		}
		rc = kt_page_store(&g->pages, JR_RAW_CHANGELOGS, "POST", url, NULL, r,
				   NULL, NULL);
		o = kt_page_json(jr_api, r);
		/* bulkfetch pages end without isLast: no token is the end */
		if (kt_token_step(&pg, 0, pj_str(o, "nextPageToken")) < 0 &&
		    rc == PULSE_OK)
			rc = jr_oom(g);
		json_object_put(o);
		jr_api->http_release(r);
		if (rc != PULSE_OK)
			goto out;
	}
out:
	kt_token_free(&pg);
	free(url);
	json_object_put(body);
	return rc;
}

/* Complete changelogs of the pending issues, then forget them. */
int32_t jr_flush_changelogs(struct jr *g, struct kt_ids *pending)
{
	size_t i = 0, k;
	int32_t rc = PULSE_OK;
	char step[160];

	kt_ids_sort(pending);
	snprintf(step, sizeof(step), "%.120s (complete changelogs)", g->prog_step);
	if (pending->n)
		jr_api->progress(g->job, step, g->prog_done, g->prog_total);
	while (i < pending->n && rc == PULSE_OK) {
		size_t n = pending->n - i < BULK_IDS ? pending->n - i : BULK_IDS;

		rc = g->bulk_unsupported ? 1 : bulk_changelogs(g, pending->v + i, n);
		if (rc == 1) {
			g->bulk_unsupported = 1;
			rc = PULSE_OK;
			for (k = 0; k < n && rc == PULSE_OK; k++)
				rc = issue_changelog(g, pending->v[i + k]);
		}
		i += n;
	}
	if (rc == PULSE_OK)
		pending->n = 0;
	if (g->prog_step[0])
		jr_api->progress(g->job, g->prog_step, g->prog_done, g->prog_total);
	return rc;
}


/* source-jira reconcile: issues deleted in Jira (or hidden from the
 * account), found by comparing every issue id of the scope with the ids
 * seen before (state known:PID). */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jira.h"

#define IDS_PAGE 5000         /* id-only searches may return 5000 */

/* Every issue id of project pr (a token-paged id search), into all and
 * known. Every page but the newest is stored at once; the newest is
 * left in *held (released by the caller): the last one carries the
 * result. */
static int32_t project_ids(struct jr *g, const char *url,
			   struct json_object *fields, const struct jr_proj *pr,
			   struct kt_ids *all, struct kt_ids *known,
			   pulse_http_response **held)
{
	char *jql = kt_asprintf("project = %s ORDER BY key ASC", pr->id);
	struct kt_token pg = {NULL, 0};
	int32_t rc = PULSE_OK;

	if (!jql)
		return jr_oom(g);
	while (!pg.done && rc == PULSE_OK) {
		struct json_object *body = json_object_new_object(), *o, *arr;
		pulse_http_response *r = NULL;
		size_t n, i;

		if (!body) {
			rc = jr_oom(g);
			break;
		}
		json_object_object_add(body, "jql", json_object_new_string(jql));
		json_object_object_add(body, "fields", json_object_get(fields));
		json_object_object_add(body, "maxResults", json_object_new_int(IDS_PAGE));
		if (pg.token)
			json_object_object_add(body, "nextPageToken",
					       json_object_new_string(pg.token));
		rc = jr_call(g, "POST", url, body, PULSE_HTTP_JSON, &r);
		json_object_put(body);
		if (rc != PULSE_OK)
			break;
		if (jr_api->http_status(r) != 200) {
			char msg[300];

			jr_errmsg(r, msg, sizeof(msg));
			rc = jr_api->fail(g->job, jr_api->http_status(r) >= 500 ?
					  PULSE_ERR_TRANSIENT : PULSE_ERR_PERMANENT,
					  "the id search of project %s failed (HTTP %u: "
					  "%s)", pr->key, jr_api->http_status(r), msg);
			jr_api->http_release(r);
			break;
		}
		o = kt_page_json(jr_api, r);
		arr = pj_arr(o, "issues");
		n = arr ? json_object_array_length(arr) : 0;
		for (i = 0; i < n && rc == PULSE_OK; i++) {
			char b[32];
			const char *ids = jr_idstr(json_object_array_get_idx(arr, i),
						   "id", b, sizeof(b));
			int64_t id = ids ? strtoll(ids, NULL, 10) : 0;

			if (id > 0 && (kt_ids_add(all, id) < 0 ||
				       kt_ids_add(known, id) < 0))
				rc = jr_oom(g);
		}
		if (kt_token_step(&pg, pj_bool(o, "isLast", 0),
				  pj_str(o, "nextPageToken")) < 0)
			rc = jr_oom(g);
		json_object_put(o);
		/* Hold the newest page: the last one carries the result. */
		if (rc == PULSE_OK && *held)
			rc = kt_page_store(&g->pages, JR_RAW_ISSUE_IDS, "POST", url,
					   NULL, *held, NULL, NULL);
		jr_api->http_release(*held);
		*held = r;
	}
	kt_token_free(&pg);
	free(jql);
	return rc;
}

/* Every issue id of the scope (ids only, 5000 a page); ids missing from
 * what was seen before were deleted in Jira (or hidden from the account):
 * the last page is stored with {"deleted":[ids]} for the transform. */
int32_t jr_reconcile(struct jr *g, struct jr_seen *s, struct kt_ids *known)
{
	char *url = kt_asprintf("%s/rest/api/3/search/jql", g->base);
	struct kt_ids all = {0}, gone = {0};
	struct json_object *fields = json_object_new_array();
	pulse_http_response *held = NULL;
	char *params = NULL;
	size_t p, i;
	int32_t rc = PULSE_OK;

	if (!url || !fields) {
		rc = jr_oom(g);
		goto out;
	}
	json_object_array_add(fields, json_object_new_string("id"));
	jr_progress(g, "looking for issues deleted in Jira", 0, g->nproj);
	for (p = 0; p < g->nproj; p++) {
		known[p].n = 0; /* rebuilt from this walk */
		if ((rc = project_ids(g, url, fields, &g->proj[p], &all, &known[p],
				      &held)) != PULSE_OK)
			goto out;
		jr_progress(g, "looking for issues deleted in Jira", p + 1, g->nproj);
	}
	kt_ids_sort(&all);
	/* Issues the walks just saw count as present (created meanwhile). */
	for (p = 0; p < g->nproj; p++)
		for (i = 0; i < s->by_proj[p].n; i++)
			if (kt_ids_add(&known[p], s->by_proj[p].v[i]) < 0 ||
			    kt_ids_add(&all, s->by_proj[p].v[i]) < 0) {
				rc = jr_oom(g);
				goto out;
			}
	kt_ids_sort(&all);
	for (p = 0; p < g->nproj; p++) {
		struct kt_ids before = {0};
		char key[64];

		snprintf(key, sizeof(key), "known:%s", g->proj[p].id);
		jr_state_ids_get(g, key, &before);
		for (i = 0; i < before.n; i++)
			if (!kt_ids_has(&all, before.v[i]) &&
			    kt_ids_add(&gone, before.v[i]) < 0)
				rc = jr_oom(g);
		kt_ids_free(&before);
		if (rc != PULSE_OK)
			goto out;
	}
	kt_ids_sort(&gone);
	if (all.n == 0 && gone.n > 0) {
		/* Everything vanished at once: more likely lost permissions
		 * than a deleted site. Delete nothing; say so. */
		jr_api->log(jr_host, PULSE_LOG_WARN, "reconcile_refused known=%zu "
			    "found=0 reason=\"no issue is visible; check the "
			    "account's permissions\"", gone.n);
		gone.n = 0;
	}
	if (held) {
		struct json_object *o = json_object_new_object();
		struct json_object *d = json_object_new_array();

		for (i = 0; d && i < gone.n; i++) {
			char b[32];

			snprintf(b, sizeof(b), "%" PRId64, gone.v[i]);
			json_object_array_add(d, json_object_new_string(b));
		}
		if (o && d) {
			json_object_object_add(o, "deleted", d);
			d = NULL;
			params = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		}
		json_object_put(d);
		json_object_put(o);
		rc = params ? kt_page_store(&g->pages, JR_RAW_ISSUE_IDS, "POST", url,
					    params, held, NULL, NULL) : jr_oom(g);
	}
	jr_api->log(jr_host, PULSE_LOG_INFO, "reconcile issues=%zu deleted=%zu",
		    all.n, gone.n);
out:
	jr_api->http_release(held);
	json_object_put(fields);
	kt_ids_free(&all);
	kt_ids_free(&gone);
	free(params);
	free(url);
	return rc;
}


/* Jira's count of the issues of project pr, or -1 when it cannot say. */
static int64_t live_count(struct jr *g, const struct jr_proj *pr)
{
	struct json_object *b = json_object_new_object(), *o = NULL;
	pulse_http_response *r = NULL;
	char *url = kt_asprintf("%s/rest/api/3/search/approximate-count", g->base);
	char *jql = kt_asprintf("project = %s", pr->id);
	int64_t n = -1;

	if (b && url && jql) {
		json_object_object_add(b, "jql", json_object_new_string(jql));
		if (jr_call(g, "POST", url, b, PULSE_HTTP_JSON, &r) == PULSE_OK &&
		    jr_api->http_status(r) == 200) {
			o = kt_page_json(jr_api, r);
			n = pj_int(o, "count", -1);
		}
	}
	json_object_put(o);
	json_object_put(b);
	jr_api->http_release(r);
	free(url);
	free(jql);
	return n;
}

int jr_counts_differ(struct jr *g, struct jr_seen *s)
{
	size_t p, i;
	int differ = 0;

	for (p = 0; p < g->nproj && !differ; p++) {
		struct kt_ids ours = {0};
		char key[64];
		int64_t live;

		snprintf(key, sizeof(key), "known:%s", g->proj[p].id);
		jr_state_ids_get(g, key, &ours);
		for (i = 0; i < s->by_proj[p].n; i++)
			if (kt_ids_add(&ours, s->by_proj[p].v[i]) < 0) {
				kt_ids_free(&ours);
				return -1;
			}
		kt_ids_sort(&ours);
		live = live_count(g, &g->proj[p]);
		/* a count we cannot read is a difference: reconcile to be sure */
		if (live < 0 || (uint64_t)live != ours.n) {
			jr_api->log(jr_host, PULSE_LOG_INFO, "reconcile_needed project=%s "
				    "jira_count=%" PRId64 " ours=%zu", g->proj[p].key,
				    live, ours.n);
			differ = 1;
		}
		kt_ids_free(&ours);
	}
	return differ;
}

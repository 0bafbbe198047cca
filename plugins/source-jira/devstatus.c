/* source-jira dev-status: the pull requests linked to an issue, read
 * from the undocumented /rest/dev-status API. */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jira.h"

#define DEV_TRIP 3            /* consecutive failures that stop dev-status */
#define DEV_RETRY_MAX 50000   /* issues remembered for a dev-status retry */

/* Best effort: an answer other than a JSON 200 is logged and the issue is
 * kept for the next run; DEV_TRIP failures in a row stop dev-status for
 * this run (the API is undocumented and may be missing). Only a failure
 * of the host's own (5xx after every retry, a dropped connection) reaches
 * the job's error. */
int32_t jr_dev_status(struct jr *g, struct jr_seen *s, int64_t id)
{
	char *url = NULL, params[64];
	pulse_http_response *r = NULL;
	struct json_object *o = NULL, *detail;
	size_t i, prs = 0;
	uint32_t st = 0;
	int32_t rc = PULSE_OK;
	int ok = 0;

	if (!g->dev_status && !g->dev_tripped)
		return PULSE_OK; /* switched off in the configuration */
	if (kt_ids_add(&s->dev_done, id) < 0)
		return jr_oom(g);
	if (g->dev_tripped) {
		if (s->dev_failed.n < DEV_RETRY_MAX && kt_ids_add(&s->dev_failed, id) < 0)
			return jr_oom(g);
		return PULSE_OK;
	}
	url = kt_asprintf("%s/rest/dev-status/1.0/issue/detail?issueId=%" PRId64
			  "&applicationType=GitHub&dataType=pullrequest", g->base, id);
	if (!url)
		return jr_oom(g);
	/* no PULSE_HTTP_JSON: a broken body is ours to skip, not a retry */
	if (jr_call(g, "GET", url, NULL, 0, &r) == PULSE_OK) {
		st = jr_api->http_status(r);
		o = st == 200 ? kt_page_json(jr_api, r) : NULL;
		detail = pj_arr(o, "detail");
		ok = detail != NULL;
		for (i = 0; detail && i < json_object_array_length(detail); i++) {
			struct json_object *p = pj_arr(json_object_array_get_idx(detail, i),
						       "pullRequests");

			prs += p ? json_object_array_length(p) : 0;
		}
	}
	if (ok) {
		g->dev_fail_run = 0;
		/* Answers without links are not kept: nothing to load. */
		if (prs) {
			snprintf(params, sizeof(params), "{\"issue_id\":\"%" PRId64 "\"}", id);
			rc = kt_page_store(&g->pages, JR_RAW_DEV_STATUS, "GET", url,
					   params, r, NULL, NULL);
			g->dev_pages++;
		}
		goto out;
	}
	g->dev_failures++;
	if (s->dev_failed.n < DEV_RETRY_MAX && kt_ids_add(&s->dev_failed, id) < 0) {
		rc = jr_oom(g);
		goto out;
	}
	jr_api->log(jr_host, PULSE_LOG_WARN, "dev_status_failed issue=%" PRId64
		    " status=%u effect=\"retried next sync\"", id, st);
	if (++g->dev_fail_run >= DEV_TRIP) {
		g->dev_status = 0;
		g->dev_tripped = 1;
		jr_api->log(jr_host, PULSE_LOG_WARN, "dev_status_disabled failures=%d "
			    "effect=\"issue-PR links of this run are read next sync\"",
			    g->dev_fail_run);
	}
out:
	json_object_put(o);
	jr_api->http_release(r);
	free(url);
	return rc;
}


/*
 * The Development field holds text such as
 *   {pullrequest={dataType=pullrequest, state=OPEN, stateCount=1},
 *    json={"cachedValue":{"errors":[],"summary":{"pullrequest":{"overall":
 *    {"count":1,...}}}},"isStale":false}}
 * and "{}" (or null) for an issue without development information.
 */
int jr_dev_summary_none(const struct jr *g, struct json_object *fields)
{
	struct json_object *v, *doc;
	const char *text, *js;
	int64_t count;
	size_t len;
	char *copy;

	if (!g->dev_field[0] || !fields ||
	    !json_object_object_get_ex(fields, g->dev_field, &v))
		return 0; /* the site has no such field: ask */
	if (json_object_is_type(v, json_type_null))
		return 1;
	if (!json_object_is_type(v, json_type_string))
		return 0;
	text = json_object_get_string(v);
	if (strcmp(text, "{}") == 0)
		return 1;
	/* the JSON part runs from "json=" to the closing brace of the whole */
	js = strstr(text, "json=");
	len = js ? strlen(js + 5) : 0;
	if (!len || js[5 + len - 1] != '}' || !(copy = strndup(js + 5, len - 1)))
		return 0;
	doc = json_tokener_parse(copy);
	free(copy);
	v = pj_obj(pj_obj(pj_obj(pj_obj(doc, "cachedValue"), "summary"),
			  "pullrequest"), "overall");
	count = pj_int(v, "count", -1);
	json_object_put(doc);
	return count == 0;
}

/*
 * source-fabric client: one Fabric request with the principal's token.
 *
 * Requests go RAW (the plugin judges statuses), because Fabric's answers
 * need Fabric's rules: a 403 on deploy history is a missing role, not a
 * rate limit, and an error body's isRetriable says whether to try again.
 * 429 waits Retry-After (Fabric always sends it; 30 s when absent).
 * 5xx and isRetriable: true retry with backoff; isRetriable: false, and
 * every other status, go back to the caller.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fabric.h"

static const char *const get_headers[] = {
	"Accept: application/json",
	NULL,
};
static const char *const post_headers[] = {
	"Accept: application/json",
	"Content-Type: application/json",
	NULL,
};

int32_t fb_oom(struct fb *g)
{
	return fb_api->fail(g->job, PULSE_ERR_TRANSIENT, "fabric: out of memory");
}

void fb_error_text(const pulse_http_response *r, char *out, size_t n)
{
	struct json_object *o = kt_page_json(fb_api, r);
	const char *c = pj_str(o, "errorCode"), *m = pj_str(o, "message");

	snprintf(out, n, "%s%s%.200s", c ? c : "", c && m ? ": " : "",
		 m ? m : "");
	json_object_put(o);
}

/* -1 absent, 0 false, 1 true. */
static int retriable(const pulse_http_response *r)
{
	struct json_object *o = kt_page_json(fb_api, r), *v = NULL;
	int res = -1;

	if (json_object_object_get_ex(o, "isRetriable", &v) &&
	    json_object_is_type(v, json_type_boolean))
		res = json_object_get_boolean(v) ? 1 : 0;
	json_object_put(o);
	return res;
}

int32_t fb_call(struct fb *g, const char *method, const char *url,
		const char *body, uint32_t timeout_ms,
		pulse_http_response **resp)
{
	pulse_http_request req = {PULSE_STRUCT_HEADER(pulse_http_request)};
	pulse_http_response *r = NULL;
	int32_t rc = PULSE_OK;
	int tries;

	*resp = NULL;
	req.method = method;
	req.url = url;
	req.headers = body ? post_headers : get_headers;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.flags = PULSE_HTTP_RAW;
	req.timeout_ms = timeout_ms;
	for (tries = 1; rc == PULSE_OK; tries++) {
		const char *ra;
		int64_t secs;
		uint32_t st;
		int rt;
		char why[200], e[256];

		fb_api->http_release(r);
		r = NULL;
		g->calls++;
		if ((rc = fb_api->oauth2_http(g->job, &g->cred, &req, &r)) != PULSE_OK)
			break;
		st = fb_api->http_status(r);
		rt = st >= 400 ? retriable(r) : -1;
		if (st != 429 && !(st >= 500 && rt != 0) && rt != 1) {
			*resp = r; /* the caller's now */
			r = NULL;
			break;
		}
		ra = fb_api->http_header(r, "Retry-After");
		secs = ra && *ra >= '0' && *ra <= '9' ? strtoll(ra, NULL, 10) :
			st == 429 ? 30 : (int64_t)1 << (tries - 1);
		if (secs > 3600)
			secs = 3600;
		if (tries >= FB_MAX_TRIES) {
			fb_error_text(r, e, sizeof(e));
			rc = fb_api->fail(g->job, PULSE_ERR_TRANSIENT, "fabric: %s %s "
					  "still answers HTTP %u (%s) after %d tries; "
					  "the job will be retried later", method, url,
					  st, e, tries);
			break;
		}
		g->waits++;
		snprintf(why, sizeof(why), "waiting %" PRId64 " s: Fabric answered "
			 "%u%s", secs, st, st == 429 ? " (Retry-After)" :
			 " (retriable)");
		fb_api->job_log(g->job, PULSE_LOG_INFO, "fabric_wait status=%u "
				"wait_s=%" PRId64 " try=%d", st, secs, tries);
		rc = fb_api->wait_until(g->job, (int64_t)time(NULL) + secs, why);
	}
	fb_api->http_release(r);
	return rc;
}

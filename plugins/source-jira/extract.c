/*
 * source-jira extract: the catalogues (catalog.c), then the issues
 * (issues.c). Every response worth keeping is stored as one raw page.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jira.h"

int32_t jr_extract(void *state, pulse_job *job)
{
	struct jr g;
	const char *base = jr_api->config_string(job, "base_url");
	const char *since = jr_api->config_string(job, "since");
	size_t n;
	int32_t rc;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.job = job;
	g.pages.api = jr_api;
	g.pages.job = job;
	g.since_ms = since && *since ? kt_time_parse_ms(since) : KT_NO_TIME;
	g.dev_status = jr_api->config_bool(job, "dev_status", 1);
	n = base ? strlen(base) : 0;
	while (n > 0 && base[n - 1] == '/')
		n--;
	if (!(g.base = strndup(base ? base : "", n)))
		return jr_oom(&g);

	if ((rc = jr_load_catalog(&g)) != PULSE_OK)
		goto out;
	if (jr_api->cancelled(job)) {
		rc = jr_api->fail(job, PULSE_ERR_CANCELLED, "stopped before the issues");
		goto out;
	}
	if ((rc = jr_sync_issues(&g)) != PULSE_OK)
		goto out;
	jr_progress(&g, "done", g.issues, g.issues);
	jr_api->log(jr_host, PULSE_LOG_INFO, "sync projects=%zu issues=%" PRIu64
		    " requests=%" PRIu64 " pages_stored=%" PRIu64 " timezone=%s "
		    "dev_status_pages=%" PRIu64 " dev_status_failures=%" PRIu64,
		    g.nproj, g.issues, g.requests, g.pages.stored,
		    g.tzname[0] ? g.tzname : "-", g.dev_pages, g.dev_failures);
out:
	jr_tz_free(g.tz);
	free(g.proj);
	free(g.base);
	return rc;
}

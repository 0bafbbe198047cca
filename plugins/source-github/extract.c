/*
 * source-github extract: fetch what changed since the last sync and store
 * every response as a raw page. The steps are in repos.c, prs.c and
 * deployments.c, the requests in client.c. The order per repository is
 * pull requests (GraphQL), deployments with their statuses and the commits each
 * production deployment shipped (REST compare), then releases (when they
 * count as deployments). State keys (per repository id "owner/name"):
 *
 *   repo_list                        the org's repositories (304 path)
 *   pr_watermark:R                   newest PR updatedAt of the last sync
 *   pr_cursor:R                      checkpoint while paging (resume)
 *   open_prs:R                       PR numbers OPEN at the last sync
 *   dep_known:R, dep_updated:R       newest deployment id / updated_at
 *   dep_regex:R                      regex of the last sync
 *
 * Page 1 of each list is a conditional GET. The host saves ETags only when
 * the whole extract succeeded, so a 304 always means "processed before".
 *   prod_last:R                      last successful production deployment
 *   rel_known:R, rel_next:R, rel_mode:R   releases: newest id, checkpoint
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"

int32_t gh_extract(void *state_, pulse_job *job)
{
	struct gh g;
	struct repo *repos = NULL;
	size_t nrepos = 0, i;
	const char *org, *since;
	uint32_t k, nconf;
	int32_t rc = PULSE_OK;

	(void)state_;
	memset(&g, 0, sizeof(g));
	g.job = job;
	g.pages.api = gh_api;
	g.pages.job = job;
	g.since = -1;
	if (gh_endpoints(gh_api->config_string(job, "base_url"), &g.rest,
			 &g.graphql) < 0)
		return gh_oom(&g);
	g.env_re = gh_api->config_string(job, "deployment_environment");
	g.releases = gh_api->config_bool(job, "releases_as_deployments", 0);
	since = gh_api->config_string(job, "since");
	if (since && *since)
		g.since = kt_time_parse_s(since);
	org = gh_api->config_string(job, "org");

	gh_api->progress(job, "listing repositories", 0, 0);
	if (org && *org && (rc = gh_list_org(&g, org, &repos, &nrepos)) != PULSE_OK)
		goto out;
	nconf = gh_api->config_list_count(job, "repos");
	for (k = 0; k < nconf; k++) {
		const char *full = gh_api->config_list_item(job, "repos", k);

		if ((rc = gh_get_repo(&g, full)) != PULSE_OK)
			goto out;
		if (gh_repo_add(&repos, &nrepos, full, 1) < 0) {
			rc = gh_oom(&g);
			goto out;
		}
	}
	for (i = 0; i < nrepos; i++) {
		struct repo *r = &repos[i];
		char step[400];

		if (gh_api->cancelled(job)) {
			rc = gh_api->fail(job, PULSE_ERR_CANCELLED, "stopped before %s",
					  r->full);
			goto out;
		}
		snprintf(step, sizeof(step), "%s: pull requests", r->full);
		gh_api->progress(job, step, i, nrepos);
		rc = gh_sync_prs(&g, r);
		if (rc == 1) {
			rc = PULSE_OK; /* vanished since listed: skip it */
			continue;
		}
		if (rc != PULSE_OK)
			goto out;
		snprintf(step, sizeof(step), "%s: deployments", r->full);
		gh_api->progress(job, step, i, nrepos);
		if ((rc = gh_sync_deployments(&g, r)) != PULSE_OK)
			goto out;
		if (g.releases) {
			snprintf(step, sizeof(step), "%s: releases", r->full);
			gh_api->progress(job, step, i, nrepos);
			if ((rc = gh_sync_releases(&g, r)) != PULSE_OK)
				goto out;
		}
	}
	gh_api->progress(job, "done", nrepos, nrepos);
	gh_api->log(gh_host, PULSE_LOG_INFO, "sync repos=%zu pages_stored=%llu",
		    nrepos, (unsigned long long)g.pages.stored);
out:
	for (i = 0; i < nrepos; i++)
		gh_repo_free(&repos[i]);
	free(repos);
	free(g.rest);
	free(g.graphql);
	return rc;
}

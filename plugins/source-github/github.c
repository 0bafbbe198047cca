/*
 * source-github: the GitHub source plugin (pinned name "github").
 *
 * Extracts repositories, pull requests with their commits, reviews and
 * comments (GraphQL), deployments with their statuses, releases and the
 * commits each production deployment shipped (REST), incrementally; and
 * transforms them into the warehouse's repositories, prs*, deployments
 * and deployment_commits tables. See docs/github.md.
 */
#include <stdio.h>
#include <string.h>

#include "github.h"

#ifndef GH_VERSION
#define GH_VERSION "1.0.0"
#endif

PULSE_PLUGIN_INIT(gh_api, gh_host);

static const pulse_config_field fields[] = {
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "base_url",
	 .type = PULSE_CFG_URL, .default_json = "\"" GH_DEFAULT_BASE_URL "\"",
	 .description = "REST API root; GitHub Enterprise: https://HOST/api/v3"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "org",
	 .type = PULSE_CFG_STRING,
	 .description = "organization whose repositories are all synced"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "repos",
	 .type = PULSE_CFG_STRING_LIST,
	 .description = "repositories as owner/name (with or instead of org)"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "tokens",
	 .type = PULSE_CFG_SECRET_LIST, .required = 1,
	 .description = "personal access or app tokens; rotated when one runs out"},
	{PULSE_STRUCT_HEADER(pulse_config_field),
	 .name = "deployment_environment", .type = PULSE_CFG_REGEX,
	 .default_json = "\"" GH_DEFAULT_ENV_REGEX "\"",
	 .description = "environments that count as production (case-insensitive regex)"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "since",
	 .type = PULSE_CFG_DATE,
	 .description = "first sync: ignore pull requests and deployments older than this"},
	{PULSE_STRUCT_HEADER(pulse_config_field),
	 .name = "releases_as_deployments", .type = PULSE_CFG_BOOL,
	 .default_json = "false",
	 .description = "also count published releases (not drafts or prereleases) as deployments"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = NULL},
};

static int32_t gh_init(const pulse_host_api *api, pulse_host *host,
		       void **state, char *err, uint32_t errlen)
{
	/* Everything up to record_delete is used. */
	if (!PULSE_API_HAS(api, record_delete)) {
		snprintf(err, errlen, "the host's API table is too old for the "
			 "github plugin (needs ABI %d.0 or newer)",
			 PULSE_ABI_MAJOR);
		return PULSE_ERR;
	}
	PULSE_PLUGIN_INIT2(api, host);
	*state = NULL;
	return PULSE_OK;
}

/* Checks the config table cannot express. */
static int32_t gh_validate(void *state, pulse_job *job, char *err,
			   uint32_t errlen)
{
	const char *org = gh_api->config_string(job, "org");
	uint32_t i, n = gh_api->config_list_count(job, "repos");
	char id[256];

	(void)state;
	if ((!org || !*org) && n == 0) {
		snprintf(err, errlen, "set `org` (sync every repository of an "
			 "organization) or `repos` (a list of \"owner/name\"), "
			 "or both");
		return PULSE_ERR_INVALID;
	}
	if (org && (strchr(org, '/') || strchr(org, ' '))) {
		snprintf(err, errlen, "`org` must be an organization login such "
			 "as \"acme\", got \"%s\"", org);
		return PULSE_ERR_INVALID;
	}
	for (i = 0; i < n; i++) {
		const char *r = gh_api->config_list_item(job, "repos", i);

		if (!r || gh_repo_id(r, id, sizeof(id)) < 0 || strchr(r, ' ')) {
			snprintf(err, errlen, "`repos` item %u must be \"owner/name\", "
				 "got \"%s\"", i + 1, r ? r : "");
			return PULSE_ERR_INVALID;
		}
	}
	return PULSE_OK;
}

static const pulse_source_ops ops = {
	PULSE_STRUCT_HEADER(pulse_source_ops),
	.extract = gh_extract,
	.transform = gh_transform,
	.validate = gh_validate,
};

static const pulse_plugin_info info = {
	PULSE_STRUCT_HEADER(pulse_plugin_info),
	.kind = PULSE_KIND_SOURCE,
	.name = "github",
	.version = GH_VERSION,
	.ops = &ops,
	.description = "GitHub and GitHub Enterprise: repositories, pull "
		       "requests, reviews, deployments, releases",
	.config_fields = fields,
	.init = gh_init,
};

PULSE_EXPORT const pulse_plugin_info *pulse_plugin_entry_v1(uint32_t host_minor)
{
	(void)host_minor;
	return &info;
}

/*
 * source-github: internal declarations shared by the plugin's files.
 * Nothing here is exported; the plugin's only public symbol is
 * pulse_plugin_entry_v1 (github.c).
 */
#ifndef GH_GITHUB_H
#define GH_GITHUB_H

#include <stddef.h>
#include <stdint.h>

#include <pulse-host/plugin.h>

#include "pjson.h"

struct json_object;

/* The host API table and our handle, kept by init (read-only after). */
PULSE_PLUGIN_EXTERN(gh_api, gh_host);

/* Raw page entities (the plugin's own names, see docs/github.md). */
#define GH_RAW_REPOS "repositories"
#define GH_RAW_PRS "pull_requests"
#define GH_RAW_PR_CHILDREN "pull_request_children"
#define GH_RAW_DEPLOYMENTS "deployments"
#define GH_RAW_STATUSES "deployment_statuses"
#define GH_RAW_COMPARE "deployment_compare"
#define GH_RAW_RELEASES "releases"

/* Incremental overlap: PRs updated this long before the watermark are
 * fetched again, so clock skew and same-second updates are never lost. */
#define GH_OVERLAP_S 600

/* The config defaults (also in the config table). */
#define GH_DEFAULT_BASE_URL "https://api.github.com"
#define GH_DEFAULT_ENV_REGEX "prod|production"

/* extract.c */
int32_t gh_extract(void *state, pulse_job *job);

/* transform.c */
int32_t gh_transform(void *state, pulse_job *job, const pulse_raw_page *page);

/* util.c: small helpers both sides use. */
/* REST root without trailing slash, and the GraphQL endpoint belonging to
 * it (GitHub Enterprise: https://h/api/v3 -> https://h/api/graphql).
 * Both malloc'ed; the caller frees. Return -1 when out of memory. */
int gh_endpoints(const char *base_url, char **rest, char **graphql);
/* ISO-8601 "YYYY-MM-DDTHH:MM:SS[.fff](Z|+hh:mm)" to epoch seconds; -1 if
 * it does not parse. A bare date means midnight UTC. */
int64_t gh_parse_time(const char *iso);
/* Epoch seconds to "YYYY-MM-DDTHH:MM:SSZ" (out has >= 21 bytes). */
void gh_format_time(int64_t t, char *out, size_t n);
/* "owner/name" in lower case (the external id of a repository), into out.
 * Returns -1 if it is not owner/name. */
int gh_repo_id(const char *full_name, char *out, size_t n);
/* Does environment match the integration's deployment_environment regex
 * (POSIX extended, case-insensitive)? pattern NULL = the default. */
int gh_env_is_production(const char *pattern, const char *environment);
/* o.a.b... for a NULL-terminated path of keys. */
struct json_object *gh_path(struct json_object *o, ...);

#endif

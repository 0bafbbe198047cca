/*
 * source-fabric: Microsoft Fabric (pinned name "fabric"). REST v1
 * inventory (workspaces, items), job runs, deployment-pipeline deploy
 * operations (into `deployments`, for DORA), the workspaces' Git links,
 * and customer tables exposed through "API for GraphQL" items, with the
 * host's OAuth2 client-credentials service (ABI 1.3). See docs/fabric.md.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "fabric.h"

#ifndef FB_VERSION
#define FB_VERSION "1.0.0"
#endif

PULSE_PLUGIN_INIT(fb_api, fb_host);

static const pulse_config_field fields[] = {
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "tenant_id",
	 .type = PULSE_CFG_STRING, .required = 1,
	 .description = "the Directory (tenant) ID of the service principal"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "client_id",
	 .type = PULSE_CFG_STRING, .required = 1,
	 .description = "the app registration's Application (client) ID"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "client_secret",
	 .type = PULSE_CFG_SECRET, .required = 1,
	 .description = "a client secret's Value (not its Secret ID)"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "workspaces",
	 .type = PULSE_CFG_STRING_LIST,
	 .description = "workspace ids or names; empty = every workspace the "
	 "principal can see"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "since",
	 .type = PULSE_CFG_DATE,
	 .description = "ignore job runs started before this date"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "graphql",
	 .type = PULSE_CFG_JSON, .default_json = "[]",
	 .description = "[{\"endpoint\": URL, \"entity\": NAME, \"fields\": "
	 "[...], \"key\": FIELD, \"updated\": FIELD}]: tables read through "
	 "API for GraphQL items"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "authority",
	 .type = PULSE_CFG_URL, .default_json = "\"" FB_DEFAULT_AUTHORITY "\"",
	 .description = "identity platform base URL"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "api_url",
	 .type = PULSE_CFG_URL, .default_json = "\"" FB_DEFAULT_API "\"",
	 .description = "Fabric REST base URL"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "graphql_timeout_seconds",
	 .type = PULSE_CFG_INT, .default_json = "100",
	 PULSE_RANGE(1, 600),
	 .description = "per GraphQL request; an idle API's first answer is "
	 "slow, and a timeout is retried"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "graphql_page_size",
	 .type = PULSE_CFG_INT, .default_json = "500",
	 PULSE_RANGE(1, 100000),
	 .description = "rows per GraphQL page (`first`); the API's maximum "
	 "is 100000 unless its admin changed it"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = NULL},
};

static int32_t fb_init(const pulse_host_api *api, pulse_host *host,
		       void **state, char *err, uint32_t errlen)
{
	if (!PULSE_API_HAS(api, oauth2_http) || !PULSE_API_HAS(api, state_delete)) {
		snprintf(err, errlen, "the host's API table is too old for the "
			 "fabric plugin (needs ABI 1.3, the token service; "
			 "upgrade pulse-host)");
		return PULSE_ERR;
	}
	PULSE_PLUGIN_INIT2(api, host);
	*state = NULL;
	return PULSE_OK;
}

/* A GraphQL name: letters, digits, underscore; not starting with a digit. */
static int gql_name(const char *s)
{
	const char *p;

	if (!s || !*s || strlen(s) > 128 || (*s >= '0' && *s <= '9'))
		return 0;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return 1;
}

static int32_t check_entity(struct json_object *e, size_t i, char *err,
			    uint32_t errlen)
{
	struct json_object *f = pj_arr(e, "fields");
	const char *ep = pj_str(e, "endpoint"), *key = pj_str(e, "key");
	const char *up = pj_str(e, "updated");
	size_t j;
	int has_key = 0;

	if (!ep || (strncmp(ep, "https://", 8) && strncmp(ep, "http://", 7)) ||
	    !strstr(ep, "/graphql")) {
		snprintf(err, errlen, "`graphql` item %zu: `endpoint` must be the "
			 "API's URL, ending in /graphql (Fabric: the API for "
			 "GraphQL item > Copy endpoint)", i + 1);
		return PULSE_ERR_INVALID;
	}
	if (!gql_name(pj_str(e, "entity")) || !gql_name(key) ||
	    (up && !gql_name(up)) || !f || json_object_array_length(f) == 0) {
		snprintf(err, errlen, "`graphql` item %zu needs `entity` (the "
			 "query name), `fields` (a non-empty list), `key` (a "
			 "unique field) and optionally `updated`, all GraphQL "
			 "names", i + 1);
		return PULSE_ERR_INVALID;
	}
	for (j = 0; j < json_object_array_length(f); j++) {
		const char *n = json_object_get_string(json_object_array_get_idx(f, j));

		if (!gql_name(n)) {
			snprintf(err, errlen, "`graphql` item %zu: field %zu is not "
				 "a GraphQL name", i + 1, j + 1);
			return PULSE_ERR_INVALID;
		}
		has_key |= strcmp(n, key) == 0;
	}
	if (!has_key) {
		snprintf(err, errlen, "`graphql` item %zu: the key field '%s' "
			 "must be one of `fields`", i + 1, key);
		return PULSE_ERR_INVALID;
	}
	return PULSE_OK;
}

static int32_t fb_validate(void *state, pulse_job *job, char *err,
			   uint32_t errlen)
{
	const char *t = fb_api->config_string(job, "tenant_id");
	const char *q = fb_api->config_string(job, "graphql");
	struct json_object *a = NULL;
	int32_t rc = PULSE_OK;
	size_t i;

	(void)state;
	if (!t || !*t || strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"0123456789-.") != strlen(t)) {
		snprintf(err, errlen, "`tenant_id` must be the Directory (tenant) "
			 "ID (a GUID from Entra > Overview) or a verified domain");
		return PULSE_ERR_INVALID;
	}
	if (q && *q) {
		a = json_tokener_parse(q);
		if (!a || !json_object_is_type(a, json_type_array)) {
			snprintf(err, errlen, "`graphql` must be a list of "
				 "{endpoint, entity, fields, key, updated}");
			rc = PULSE_ERR_INVALID;
			goto out;
		}
		for (i = 0; rc == PULSE_OK && i < json_object_array_length(a); i++)
			rc = check_entity(json_object_array_get_idx(a, i), i, err, errlen);
	}
out:
	json_object_put(a);
	return rc;
}

static const pulse_source_ops ops = {
	PULSE_STRUCT_HEADER(pulse_source_ops),
	.extract = fb_extract,
	.transform = fb_transform,
	.validate = fb_validate,
};

static const pulse_plugin_info info = {
	PULSE_STRUCT_HEADER(pulse_plugin_info),
	.kind = PULSE_KIND_SOURCE,
	.name = "fabric",
	.version = FB_VERSION,
	.ops = &ops,
	.description = "Microsoft Fabric: workspaces, items, job runs, deploy "
		       "operations (DORA), Git links, API-for-GraphQL tables",
	.config_fields = fields,
	.init = fb_init,
};

PULSE_EXPORT const pulse_plugin_info *pulse_plugin_entry_v1(uint32_t host_minor)
{
	(void)host_minor;
	return &info;
}

/*
 * source-entra: Entra ID (Azure AD) users, groups and memberships over
 * Microsoft Graph delta queries (pinned name "entra"), with the host's
 * OAuth2 client-credentials service (ABI 1.3 oauth2_http), into the
 * directory tables of 090_directory.sql. See docs/directory-entra.md.
 */
#include <stdio.h>
#include <string.h>

#include "entra.h"

#ifndef EN_VERSION
#define EN_VERSION "1.0.0"
#endif

PULSE_PLUGIN_INIT(en_api, en_host);

static const pulse_config_field fields[] = {
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "tenant",
	 .type = PULSE_CFG_STRING, .required = 1,
	 .description = "the Directory (tenant) ID, or a verified domain"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "client_id",
	 .type = PULSE_CFG_STRING, .required = 1,
	 .description = "the app registration's Application (client) ID"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "client_secret",
	 .type = PULSE_CFG_SECRET, .required = 1,
	 .description = "a client secret's Value (not its Secret ID)"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "authority",
	 .type = PULSE_CFG_URL, .default_json = "\"" EN_DEFAULT_AUTHORITY "\"",
	 .description = "identity platform base URL (national clouds differ)"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "graph_url",
	 .type = PULSE_CFG_URL, .default_json = "\"" EN_DEFAULT_GRAPH "\"",
	 .description = "Microsoft Graph base URL (national clouds differ)"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "select_extra",
	 .type = PULSE_CFG_STRING_LIST,
	 .description = "more user properties to $select, kept in attributes "
	 "(e.g. officeLocation, or a directory extension "
	 "extension_<app id>_<name>)"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = NULL},
};

static int32_t en_init(const pulse_host_api *api, pulse_host *host,
		       void **state, char *err, uint32_t errlen)
{
	if (!PULSE_API_HAS(api, oauth2_http) || !PULSE_API_HAS(api, state_delete)) {
		snprintf(err, errlen, "the host's API table is too old for the "
			 "entra plugin (needs ABI 1.3, the token service; upgrade "
			 "pulse-host)");
		return PULSE_ERR;
	}
	PULSE_PLUGIN_INIT2(api, host);
	*state = NULL;
	return PULSE_OK;
}

/* A Graph property name: letters and digits, and underscores for the
 * directory extensions (extension_<app id without dashes>_<name>). */
static int prop_name(const char *s)
{
	const char *p;

	if (!s || !*s || strlen(s) > 120)
		return 0;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || (*p == '_' && p != s)))
			return 0;
	return 1;
}

static int32_t en_validate(void *state, pulse_job *job, char *err,
			   uint32_t errlen)
{
	uint32_t i, n = en_api->config_list_count(job, "select_extra");
	const char *t = en_api->config_string(job, "tenant");

	(void)state;
	if (!t || strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789-.") != strlen(t)) {
		snprintf(err, errlen, "`tenant` must be the Directory (tenant) ID "
			 "(a GUID from Entra > Overview) or a verified domain");
		return PULSE_ERR_INVALID;
	}
	for (i = 0; i < n; i++) {
		const char *p = en_api->config_list_item(job, "select_extra", i);

		if (!prop_name(p)) {
			snprintf(err, errlen, "`select_extra` item %u must be a "
				 "Graph user property name such as officeLocation "
				 "or extension_<app id>_<name>, got \"%s\"", i + 1,
				 p ? p : "");
			return PULSE_ERR_INVALID;
		}
	}
	return PULSE_OK;
}

static const pulse_source_ops ops = {
	PULSE_STRUCT_HEADER(pulse_source_ops),
	.extract = en_extract,
	.transform = en_transform,
	.validate = en_validate,
};

static const pulse_plugin_info info = {
	PULSE_STRUCT_HEADER(pulse_plugin_info),
	.kind = PULSE_KIND_SOURCE,
	.name = "entra",
	.version = EN_VERSION,
	.ops = &ops,
	.description = "Entra ID over Microsoft Graph delta queries: users, "
		       "groups, memberships, managers",
	.config_fields = fields,
	.init = en_init,
};

PULSE_EXPORT const pulse_plugin_info *pulse_plugin_entry_v1(uint32_t host_minor)
{
	(void)host_minor;
	return &info;
}

/*
 * source-ad: the Active Directory source plugin (pinned name "ad").
 *
 * Reads users, groups (complete memberships, ranged `member` retrieval)
 * and org units from a domain controller over LDAP with OpenLDAP's
 * libldap: paged searches, incrementals by uSNChanged guarded by the DC's
 * invocationID, deletions by show-deleted or a key-set reconcile; and
 * loads them into directory_users, directory_groups,
 * directory_memberships and directory_org_units. See docs/directory.md.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ad.h"

#ifndef AD_VERSION
#define AD_VERSION "1.0.0"
#endif

PULSE_PLUGIN_INIT(ad_api, ad_host);

#define STR_(x) #x
#define STR(x) STR_(x)

static const pulse_config_field fields[] = {
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "url",
	 .type = PULSE_CFG_STRING, .required = 1,
	 .description = "the domain controller: ldaps://dc1.corp.example:636, or "
	 "ldap://dc1.corp.example with `starttls` (a plain simple bind is refused)"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "starttls",
	 .type = PULSE_CFG_BOOL, .default_json = "true",
	 .description = "with ldap:// URLs: StartTLS before the bind (AD refuses "
	 "plain simple binds where signing is enforced; only turn it off for a "
	 "test directory)"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "bind_dn",
	 .type = PULSE_CFG_STRING, .required = 1,
	 .description = "DN (or user@domain) of the read-only service account"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "bind_password",
	 .type = PULSE_CFG_SECRET, .required = 1,
	 .description = "the service account's password"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "base_dn",
	 .type = PULSE_CFG_STRING,
	 .description = "where to search, e.g. DC=corp,DC=example; empty = the "
	 "DC's defaultNamingContext"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "user_filter",
	 .type = PULSE_CFG_STRING, .default_json = "\"" AD_DEFAULT_USER_FILTER "\"",
	 .description = "LDAP filter selecting the users"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "group_filter",
	 .type = PULSE_CFG_STRING, .default_json = "\"" AD_DEFAULT_GROUP_FILTER "\"",
	 .description = "LDAP filter selecting the groups"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "ou_filter",
	 .type = PULSE_CFG_STRING, .default_json = "\"" AD_DEFAULT_OU_FILTER "\"",
	 .description = "LDAP filter selecting the org units"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "page_size",
	 .type = PULSE_CFG_INT, .default_json = STR(AD_DEFAULT_PAGE_SIZE),
	 .description = "entries per LDAP page (paged results control; AD's "
	 "MaxPageSize is 1000 by default)", PULSE_RANGE(1, 20000)},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "ca_file",
	 .type = PULSE_CFG_STRING,
	 .description = "PEM file of the CA that signed the DC's certificate; "
	 "empty = the system's CAs"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "reconcile_every",
	 .type = PULSE_CFG_INT, .default_json = STR(AD_DEFAULT_RECONCILE_EVERY),
	 .description = "where the DC offers show-deleted, still compare every "
	 "objectGUID in scope (key-set reconcile) every N incrementals, for "
	 "accounts that may not read tombstones; without show-deleted every "
	 "incremental does", PULSE_RANGE(1, 100000)},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "timeout_seconds",
	 .type = PULSE_CFG_INT, .default_json = "30",
	 .description = "network and search time limit per LDAP request",
	 PULSE_RANGE(1, 3600)},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = NULL},
};

static int32_t ad_init(const pulse_host_api *api, pulse_host *host,
		       void **state, char *err, uint32_t errlen)
{
	if (!PULSE_API_HAS(api, record_delete)) {
		snprintf(err, errlen, "the host's API table is too old for the "
			 "ad plugin (needs ABI %d.0 or newer)", PULSE_ABI_MAJOR);
		return PULSE_ERR;
	}
	PULSE_PLUGIN_INIT2(api, host);
	*state = NULL;
	return PULSE_OK;
}

static int32_t ad_validate(void *state, pulse_job *job, char *err,
			   uint32_t errlen)
{
	const char *url = ad_api->config_string(job, "url");
	const char *f[3] = {ad_api->config_string(job, "user_filter"),
			    ad_api->config_string(job, "group_filter"),
			    ad_api->config_string(job, "ou_filter")};
	int i;

	(void)state;
	if (!url || (strncasecmp(url, "ldaps://", 8) != 0 &&
		     strncasecmp(url, "ldap://", 7) != 0)) {
		snprintf(err, errlen, "`url` must be ldaps://host[:port] or "
			 "ldap://host[:port] (with starttls), got \"%s\"",
			 url ? url : "");
		return PULSE_ERR_INVALID;
	}
	for (i = 0; i < 3; i++)
		if (f[i] && *f[i] && f[i][0] != '(') {
			snprintf(err, errlen, "`%s` must be an LDAP filter in "
				 "parentheses such as (objectClass=user), got \"%s\"",
				 i == 0 ? "user_filter" : i == 1 ? "group_filter" :
				 "ou_filter", f[i]);
			return PULSE_ERR_INVALID;
		}
	return PULSE_OK;
}

static const pulse_source_ops ops = {
	PULSE_STRUCT_HEADER(pulse_source_ops),
	.extract = ad_extract,
	.transform = ad_transform,
	.validate = ad_validate,
};

static const pulse_plugin_info info = {
	PULSE_STRUCT_HEADER(pulse_plugin_info),
	.kind = PULSE_KIND_SOURCE,
	.name = "ad",
	.version = AD_VERSION,
	.ops = &ops,
	.description = "Active Directory over LDAP: users, groups, memberships, "
		       "managers and org units, incrementally",
	.config_fields = fields,
	.init = ad_init,
};

PULSE_EXPORT const pulse_plugin_info *pulse_plugin_entry_v1(uint32_t host_minor)
{
	(void)host_minor;
	return &info;
}

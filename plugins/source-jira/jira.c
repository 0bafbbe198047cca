/*
 * source-jira: the Jira Cloud source plugin (pinned name "jira").
 *
 * Extracts projects, statuses, issue types, workflows, sprints and issues
 * with their complete changelogs (REST v3, Agile 1.0), issue <-> pull
 * request links (dev-status), incrementally in the API user's time zone,
 * with a periodic key-set reconciliation for deletions; and transforms them
 * into the warehouse's projects, wits, statuses, workflows, sprints,
 * work_items, changelogs and wits_prs_links. See docs/jira.md.
 */
#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "jira.h"

#ifndef JR_VERSION
#define JR_VERSION "1.0.0"
#endif

PULSE_PLUGIN_INIT(jr_api, jr_host);

#define STR_(x) #x
#define STR(x) STR_(x)

static const pulse_config_field fields[] = {
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "base_url",
	 .type = PULSE_CFG_URL, .required = 1,
	 .description = "the Jira site, e.g. https://acme.atlassian.net"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "email",
	 .type = PULSE_CFG_STRING, .required = 1,
	 .description = "e-mail of the Atlassian account the API token belongs to"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "api_token",
	 .type = PULSE_CFG_SECRET, .required = 1,
	 .description = "Atlassian API token (basic auth with `email`)"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "projects",
	 .type = PULSE_CFG_STRING_LIST,
	 .description = "project keys to sync; empty = every project the account sees"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "since",
	 .type = PULSE_CFG_DATE,
	 .description = "first sync: ignore issues not updated since this date"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "incident_types",
	 .type = PULSE_CFG_STRING_LIST, .default_json = "[\"Incident\"]",
	 .description = "issue type names that count as incidents (canonical type Incident)"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "boards",
	 .type = PULSE_CFG_STRING_LIST,
	 .description = "board ids whose sprints are synced; empty = the projects' boards"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "mappings",
	 .type = PULSE_CFG_JSON,
	 .description = "{\"types\": {\"Spike\": \"Task\"}, \"statuses\": {\"In Review\": "
	 "\"In Progress\"}}: mappings that override the defaults"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "dev_status",
	 .type = PULSE_CFG_BOOL, .default_json = "true",
	 .description = "link issues to GitHub pull requests (Jira's dev-status API)"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "reconcile_every",
	 .type = PULSE_CFG_INT,
	 .default_json = STR(JR_DEFAULT_RECONCILE_EVERY),
	 .description = "look for issues deleted in Jira every N syncs (0 = never)",
	 PULSE_RANGE(0, 10000)},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = NULL},
};

static int32_t jr_init(const pulse_host_api *api, pulse_host *host,
		       void **state, char *err, uint32_t errlen)
{
	/* Everything up to record_delete is used. */
	if (!PULSE_API_HAS(api, record_delete)) {
		snprintf(err, errlen, "the host's API table is too old for the "
			 "jira plugin (needs ABI %d.0 or newer)",
			 PULSE_ABI_MAJOR);
		return PULSE_ERR;
	}
	PULSE_PLUGIN_INIT2(api, host);
	*state = NULL;
	return PULSE_OK;
}

static int valid_key(const char *k)
{
	const char *p;

	if (!k || !isalpha((unsigned char)k[0]) || strlen(k) > 64)
		return 0;
	for (p = k; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return 0;
	return 1;
}

static int one_of(const char *v, const char *const *set)
{
	size_t i;

	for (i = 0; set[i]; i++)
		if (strcmp(v, set[i]) == 0)
			return 1;
	return 0;
}

/* The `mappings` object: {"types": {name: canonical}, "statuses": {name:
 * category}}, values from the warehouse's fixed sets. */
static int check_mappings(const char *text, char *err, uint32_t errlen)
{
	static const char *const types[] = {"Story", "Bug", "Task", "Epic",
		"Incident", "Sub-task", "Unmapped", NULL};
	static const char *const cats[] = {"To Do", "In Progress", "Done",
		"Unmapped", NULL};
	struct json_object *o = text ? json_tokener_parse(text) : NULL;
	int rc = -1;

	if (!o || !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "`mappings` must be an object such as "
			 "{\"types\": {\"Spike\": \"Task\"}, \"statuses\": "
			 "{\"In Review\": \"In Progress\"}}");
		goto out;
	}
	json_object_object_foreach(o, section, map) {
		int is_types = strcmp(section, "types") == 0;

		if (!is_types && strcmp(section, "statuses") != 0) {
			snprintf(err, errlen, "`mappings` has an unknown key \"%s\"; "
				 "only \"types\" and \"statuses\" are allowed", section);
			goto out;
		}
		if (!json_object_is_type(map, json_type_object)) {
			snprintf(err, errlen, "`mappings.%s` must be an object of "
				 "name: %s", section, is_types ? "type" : "category");
			goto out;
		}
		json_object_object_foreach(map, name, to) {
			const char *v = json_object_is_type(to, json_type_string) ?
				json_object_get_string(to) : NULL;

			if (!*name || !v || !one_of(v, is_types ? types : cats)) {
				snprintf(err, errlen, "`mappings.%s.%s` must be one of %s",
					 section, name, is_types ?
					 "Story, Bug, Task, Epic, Incident, Sub-task, Unmapped" :
					 "\"To Do\", \"In Progress\", \"Done\", Unmapped");
				goto out;
			}
		}
	}
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

/* Checks the config table cannot express. */
static int32_t jr_validate(void *state, pulse_job *job, char *err,
			   uint32_t errlen)
{
	const char *email = jr_api->config_string(job, "email");
	const char *maps = jr_api->config_string(job, "mappings");
	uint32_t i, n;

	(void)state;
	if (!email || !strchr(email, '@')) {
		snprintf(err, errlen, "`email` must be the e-mail address of the "
			 "Atlassian account that owns the API token");
		return PULSE_ERR_INVALID;
	}
	n = jr_api->config_list_count(job, "projects");
	for (i = 0; i < n; i++) {
		const char *k = jr_api->config_list_item(job, "projects", i);

		if (!valid_key(k)) {
			snprintf(err, errlen, "`projects` item %u must be a project "
				 "key such as \"PLAT\", got \"%s\"", i + 1, k ? k : "");
			return PULSE_ERR_INVALID;
		}
	}
	n = jr_api->config_list_count(job, "boards");
	for (i = 0; i < n; i++) {
		const char *b = jr_api->config_list_item(job, "boards", i);

		if (!b || !*b || strspn(b, "0123456789") != strlen(b)) {
			snprintf(err, errlen, "`boards` item %u must be a numeric board "
				 "id, got \"%s\"", i + 1, b ? b : "");
			return PULSE_ERR_INVALID;
		}
	}
	n = jr_api->config_list_count(job, "incident_types");
	for (i = 0; i < n; i++) {
		const char *t = jr_api->config_list_item(job, "incident_types", i);

		if (!t || !*t) {
			snprintf(err, errlen, "`incident_types` item %u is empty", i + 1);
			return PULSE_ERR_INVALID;
		}
	}
	if (jr_api->config_int(job, "reconcile_every", JR_DEFAULT_RECONCILE_EVERY) < 0) {
		snprintf(err, errlen, "`reconcile_every` must be 0 (never) or a "
			 "number of syncs");
		return PULSE_ERR_INVALID;
	}
	if (maps && check_mappings(maps, err, errlen) < 0)
		return PULSE_ERR_INVALID;
	return PULSE_OK;
}

static const pulse_source_ops ops = {
	PULSE_STRUCT_HEADER(pulse_source_ops),
	.extract = jr_extract,
	.transform = jr_transform,
	.validate = jr_validate,
};

static const pulse_plugin_info info = {
	PULSE_STRUCT_HEADER(pulse_plugin_info),
	.kind = PULSE_KIND_SOURCE,
	.name = "jira",
	.version = JR_VERSION,
	.ops = &ops,
	.description = "Jira Cloud: projects, issues with complete changelogs, "
		       "sprints, workflows, issue-PR links",
	.config_fields = fields,
	.init = jr_init,
};

PULSE_EXPORT const pulse_plugin_info *pulse_plugin_entry_v1(uint32_t host_minor)
{
	(void)host_minor;
	return &info;
}

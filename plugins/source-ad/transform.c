/*
 * source-ad transform: stored pages -> directory_users, directory_groups,
 * directory_memberships (one row per link, "group|member") and
 * directory_org_units; the deletions page -> record_delete.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "ad.h"

static int32_t user(pulse_job *job, struct json_object *e)
{
	struct kt_rec x;
	struct json_object *attrs = json_object_new_object();
	static const char *const keep[] = {"uac", "last_logon", "pwd_last_set",
		"account_expires", "member_of", "usn", "proxyAddresses", NULL};
	size_t i;
	int32_t rc;

	for (i = 0; keep[i]; i++) {
		struct json_object *v = pj_obj(e, keep[i]);

		if (v)
			json_object_object_add(attrs, keep[i], json_object_get(v));
	}
	kt_rec_begin(&x, ad_api, job, "directory_users");
	kt_rec_str(&x, "external_id", pj_str(e, "guid"));
	kt_rec_str(&x, "source", "ad");
	kt_rec_str(&x, "immutable_id", pj_str(e, "immutable_id"));
	kt_rec_str(&x, "account_name", pj_str(e, "sam"));
	kt_rec_str(&x, "principal_name", pj_str(e, "upn"));
	kt_rec_str(&x, "mail", pj_str(e, "mail"));
	kt_rec_str(&x, "display_name", pj_str(e, "display_name"));
	kt_rec_str(&x, "department", pj_str(e, "department"));
	kt_rec_str(&x, "title", pj_str(e, "title"));
	kt_rec_str(&x, "employee_id", pj_str(e, "employee_id"));
	if (pj_obj(e, "disabled"))
		kt_rec_bool(&x, "enabled", !pj_bool(e, "disabled", 0));
	kt_rec_str(&x, "manager_external_id", pj_str(e, "manager"));
	kt_rec_str(&x, "org_unit", pj_str(e, "org_unit"));
	kt_rec_str(&x, "dn", pj_str(e, "dn"));
	kt_rec_time(&x, "changed_at", pj_str(e, "when_changed"));
	kt_rec_json(&x, "attributes", attrs);
	rc = kt_rec_end(&x);
	json_object_put(attrs);
	return rc;
}

static int32_t membership(pulse_job *job, const char *gid, const char *mid,
		    const char *kind)
{
	struct kt_rec x;
	char id[96];

	snprintf(id, sizeof(id), "%s|%s", gid, mid);
	kt_rec_begin(&x, ad_api, job, "directory_memberships");
	kt_rec_str(&x, "external_id", id);
	kt_rec_str(&x, "group_external_id", gid);
	kt_rec_str(&x, "member_external_id", mid);
	kt_rec_str(&x, "member_kind", kind ? kind : "other");
	return kt_rec_end(&x);
}

static int32_t group(pulse_job *job, struct json_object *e)
{
	struct kt_rec x;
	const char *gid = pj_str(e, "guid");
	struct json_object *m = pj_arr(e, "members"), *rm = pj_arr(e, "removed");
	size_t i, n;
	int32_t rc;

	kt_rec_begin(&x, ad_api, job, "directory_groups");
	kt_rec_str(&x, "external_id", gid);
	kt_rec_str(&x, "source", "ad");
	kt_rec_str(&x, "name", pj_str(e, "sam") ? pj_str(e, "sam") :
		   pj_str(e, "name"));
	kt_rec_str(&x, "mail", pj_str(e, "mail"));
	kt_rec_str(&x, "description", pj_str(e, "description"));
	kt_rec_str(&x, "dn", pj_str(e, "dn"));
	kt_rec_str(&x, "org_unit", pj_str(e, "org_unit"));
	kt_rec_time(&x, "changed_at", pj_str(e, "when_changed"));
	if ((rc = kt_rec_end(&x)) != PULSE_OK)
		return rc;
	n = m ? json_object_array_length(m) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(m, i);

		if ((rc = membership(job, gid, pj_str(o, "id"), pj_str(o, "kind"))) != PULSE_OK)
			return rc;
	}
	n = rm ? json_object_array_length(rm) : 0;
	for (i = 0; i < n; i++) {
		char id[96];

		snprintf(id, sizeof(id), "%s|%s", gid, json_object_get_string(
				 json_object_array_get_idx(rm, i)));
		if ((rc = ad_api->record_delete(job, "directory_memberships", id)) !=
		    PULSE_OK)
			return rc;
	}
	return PULSE_OK;
}

static int32_t org_unit(pulse_job *job, struct json_object *e)
{
	struct kt_rec x;
	const char *dn = pj_str(e, "dn");

	kt_rec_begin(&x, ad_api, job, "directory_org_units");
	kt_rec_str(&x, "external_id", pj_str(e, "guid"));
	kt_rec_str(&x, "dn", dn);
	kt_rec_str(&x, "name", pj_str(e, "name"));
	kt_rec_str(&x, "parent_dn", dn ? ad_dn_parent(dn) : NULL);
	kt_rec_time(&x, "changed_at", pj_str(e, "when_changed"));
	return kt_rec_end(&x);
}

static int32_t deletes(pulse_job *job, struct json_object *body)
{
	static const char *const map[][2] = {{"memberships", "directory_memberships"},
		{"users", "directory_users"}, {"groups", "directory_groups"},
		{"org_units", "directory_org_units"}};
	size_t k, i, n;
	int32_t rc;

	for (k = 0; k < 4; k++) {
		struct json_object *a = pj_arr(body, map[k][0]);

		n = a ? json_object_array_length(a) : 0;
		for (i = 0; i < n; i++) {
			const char *id = json_object_get_string(
				json_object_array_get_idx(a, i));

			if (id && (rc = ad_api->record_delete(job, map[k][1], id)) !=
			    PULSE_OK)
				return rc;
		}
	}
	return PULSE_OK;
}

int32_t ad_transform(void *state, pulse_job *job, const pulse_raw_page *page)
{
	struct json_object *body = NULL, *entries;
	int32_t (*one)(pulse_job *, struct json_object *) = NULL;
	int32_t rc = PULSE_OK;
	size_t i, n;

	(void)state;
	if (!page->body || !(body = json_tokener_parse(page->body)))
		return ad_api->fail(job, PULSE_ERR_PERMANENT, "ad page of %s is not "
				    "JSON", page->entity ? page->entity : "?");
	if (!strcmp(page->entity, AD_RAW_DELETES)) {
		rc = deletes(job, body);
		goto out;
	}
	if (!strcmp(page->entity, AD_RAW_USERS))
		one = user;
	else if (!strcmp(page->entity, AD_RAW_GROUPS))
		one = group;
	else if (!strcmp(page->entity, AD_RAW_OUS))
		one = org_unit;
	if (!one) {
		rc = ad_api->fail(job, PULSE_ERR_PERMANENT, "ad: unknown page entity "
				  "\"%s\"", page->entity);
		goto out;
	}
	entries = pj_arr(body, "entries");
	n = entries ? json_object_array_length(entries) : 0;
	for (i = 0; i < n && rc == PULSE_OK; i++)
		rc = one(job, json_object_array_get_idx(entries, i));
out:
	json_object_put(body);
	return rc;
}

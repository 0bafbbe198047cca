/*
 * source-entra transform: one delta page into directory_users,
 * directory_groups and directory_memberships (090_directory.sql).
 *
 *  - an object with @removed is deleted or out of scope: record_delete;
 *  - a link with @removed (members@delta, manager@delta) means only that
 *    link is gone: the membership is record_delete'd, the manager
 *    cleared;
 *  - a large group's members come in slices on several pages; each slice
 *    is loaded as it comes (one row per link), so the slices merge.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "entra.h"

/* Fields kept in their own columns; the rest go to attributes. */
static const char *const user_cols[] = {
	"id", "displayName", "userPrincipalName", "mail", "mailNickname",
	"accountEnabled", "department", "jobTitle", "employeeId",
	"onPremisesImmutableId", "manager@delta", "@odata.type", NULL,
};

static int is_col(const char *k)
{
	size_t i;

	for (i = 0; user_cols[i]; i++)
		if (strcmp(user_cols[i], k) == 0)
			return 1;
	return 0;
}

static const char *member_kind(struct json_object *m)
{
	const char *t = pj_str(m, "@odata.type");

	if (!t || strcmp(t, "#microsoft.graph.user") == 0)
		return "user";
	if (strcmp(t, "#microsoft.graph.group") == 0)
		return "group";
	return "other";
}

static int32_t user(pulse_job *job, struct json_object *u, const char *at)
{
	struct json_object *mgr = NULL, *attrs = NULL, *v;
	const char *id = pj_str(u, "id");
	struct kt_rec x;
	int32_t rc;

	if (!id)
		return en_api->fail(job, PULSE_ERR_PERMANENT, "entra: a user "
				    "without id in a delta page");
	if (pj_obj(u, "@removed"))
		return en_api->record_delete(job, "directory_users", id);
	kt_rec_begin(&x, en_api, job, "directory_users");
	kt_rec_str(&x, "external_id", id);
	kt_rec_str(&x, "source", "entra");
	kt_rec_str(&x, "display_name", pj_str(u, "displayName"));
	kt_rec_str(&x, "principal_name", pj_str(u, "userPrincipalName"));
	kt_rec_str(&x, "mail", pj_str(u, "mail"));
	kt_rec_str(&x, "account_name", pj_str(u, "mailNickname"));
	if (json_object_object_get_ex(u, "accountEnabled", &v) &&
	    json_object_is_type(v, json_type_boolean))
		kt_rec_bool(&x, "enabled", json_object_get_boolean(v));
	kt_rec_str(&x, "department", pj_str(u, "department"));
	kt_rec_str(&x, "title", pj_str(u, "jobTitle"));
	kt_rec_str(&x, "employee_id", pj_str(u, "employeeId"));
	kt_rec_str(&x, "immutable_id", pj_str(u, "onPremisesImmutableId"));
	/* manager@delta: present when the link is known or changed; its
	 * @removed means the user has no manager any more. */
	if ((mgr = pj_arr(u, "manager@delta")) != NULL) {
		const char *m = NULL;
		size_t i;

		for (i = 0; i < json_object_array_length(mgr); i++) {
			struct json_object *e = json_object_array_get_idx(mgr, i);

			m = pj_obj(e, "@removed") ? NULL : pj_str(e, "id");
		}
		kt_rec_str(&x, "manager_external_id", m);
	}
	kt_rec_time(&x, "changed_at", at);
	attrs = json_object_new_object();
	json_object_object_foreach(u, k, val) {
		if (!attrs || is_col(k))
			continue;
		json_object_object_add(attrs, k, json_object_get(val));
	}
	kt_rec_json(&x, "attributes", attrs);
	json_object_put(attrs);
	rc = kt_rec_end(&x);
	return rc;
}

static int32_t membership(pulse_job *job, const char *gid,
			  struct json_object *m)
{
	const char *mid = pj_str(m, "id");
	char *ext;
	struct kt_rec x;
	int32_t rc;

	if (!mid)
		return PULSE_OK;
	if (!(ext = kt_asprintf("%s|%s", gid, mid)))
		return en_api->fail(job, PULSE_ERR_TRANSIENT, "entra: out of memory");
	if (pj_obj(m, "@removed")) {
		rc = en_api->record_delete(job, "directory_memberships", ext);
	} else {
		kt_rec_begin(&x, en_api, job, "directory_memberships");
		kt_rec_str(&x, "external_id", ext);
		kt_rec_str(&x, "group_external_id", gid);
		kt_rec_str(&x, "member_external_id", mid);
		kt_rec_str(&x, "member_kind", member_kind(m));
		rc = kt_rec_end(&x);
	}
	free(ext);
	return rc;
}

static int32_t group(pulse_job *job, struct json_object *g, const char *at)
{
	const char *id = pj_str(g, "id");
	struct json_object *mem;
	struct kt_rec x;
	int32_t rc = PULSE_OK;
	size_t i;

	if (!id)
		return en_api->fail(job, PULSE_ERR_PERMANENT, "entra: a group "
				    "without id in a delta page");
	if (pj_obj(g, "@removed"))
		return en_api->record_delete(job, "directory_groups", id);
	/* A continuation slice carries only id and members@delta: the
	 * group's own row comes with its properties. */
	if (json_object_object_get_ex(g, "displayName", NULL)) {
		kt_rec_begin(&x, en_api, job, "directory_groups");
		kt_rec_str(&x, "external_id", id);
		kt_rec_str(&x, "source", "entra");
		kt_rec_str(&x, "name", pj_str(g, "displayName"));
		kt_rec_str(&x, "mail", pj_str(g, "mail"));
		kt_rec_str(&x, "description", pj_str(g, "description"));
		kt_rec_time(&x, "changed_at", at);
		rc = kt_rec_end(&x);
	}
	mem = pj_arr(g, "members@delta");
	for (i = 0; rc == PULSE_OK && mem && i < json_object_array_length(mem); i++)
		rc = membership(job, id, json_object_array_get_idx(mem, i));
	return rc;
}

int32_t en_transform(void *state, pulse_job *job, const pulse_raw_page *page)
{
	struct json_object *o = NULL, *p = NULL, *vals;
	const char *at;
	int users = page->entity && strcmp(page->entity, EN_RAW_USERS) == 0;
	int32_t rc = PULSE_OK;
	size_t i;

	(void)state;
	if (!users && (!page->entity || strcmp(page->entity, EN_RAW_GROUPS) != 0))
		return PULSE_OK; /* a page kind of a later version */
	o = page->body ? json_tokener_parse(page->body) : NULL;
	p = page->request_params ? json_tokener_parse(page->request_params) : NULL;
	at = pj_str(p, "fetched_at");
	vals = pj_arr(o, "value");
	if (!vals) {
		rc = en_api->fail(job, PULSE_ERR_PERMANENT, "entra: a %s page "
				  "without a value array (%s)", page->entity,
				  page->request_url ? page->request_url : "");
		goto out;
	}
	for (i = 0; rc == PULSE_OK && i < json_object_array_length(vals); i++) {
		struct json_object *e = json_object_array_get_idx(vals, i);

		rc = users ? user(job, e, at) : group(job, e, at);
	}
out:
	json_object_put(o);
	json_object_put(p);
	return rc;
}

/*
 * source-entra links: the membership links ("group|member") the groups
 * walk has seen, for the removals a lost delta token hides. A full round
 * after a 410 or syncStateNotFound lists each group's current members and
 * says nothing of a link removed meanwhile; the known links minus those
 * the full round listed are gone, stored as one page of members@delta
 * entries with @removed (the transform deletes them like Graph's own).
 * A full round resumed after a kill saw only part of the groups, so it
 * never reconciles (it only adds to the set): no false removals.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entra.h"

/* Is the link's group (the part before '|') in groups (sorted)? The
 * filter of en_ids_reconcile: such links leave the known set. */
static int of_groups(const char *link, const void *arg)
{
	const struct en_ids *groups = arg;
	const char *bar = strchr(link, '|');
	char gid[128];

	if (!bar || (size_t)(bar - link) >= sizeof(gid))
		return 0;
	memcpy(gid, link, (size_t)(bar - link));
	gid[bar - link] = '\0';
	return en_ids_has(groups, gid);
}

/* One page {"value": [{"id": group, "members@delta": [{"id": member,
 * "@removed": {"reason": "vanished"}}]}, ...]}, one item per link. */
static int32_t store_gone(pulse_job *job, const char *url, const void *arg,
			  const struct en_ids *gone)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	pulse_raw_page page = {PULSE_STRUCT_HEADER(pulse_raw_page)};
	const char *body;
	int32_t rc;
	size_t i;

	(void)arg;
	if (!o || !arr) {
		json_object_put(o);
		json_object_put(arr);
		return en_api->fail(job, PULSE_ERR_TRANSIENT, "entra: out of memory");
	}
	for (i = 0; i < gone->n; i++) {
		const char *bar = strchr(gone->v[i], '|');
		struct json_object *g, *m, *r, *ms;

		if (!bar)
			continue;
		g = json_object_new_object();
		m = json_object_new_object();
		r = json_object_new_object();
		ms = json_object_new_array();
		json_object_object_add(r, "reason", json_object_new_string("vanished"));
		json_object_object_add(m, "id", json_object_new_string(bar + 1));
		json_object_object_add(m, "@removed", r);
		json_object_array_add(ms, m);
		json_object_object_add(g, "id", json_object_new_string_len(
			gone->v[i], (int)(bar - gone->v[i])));
		json_object_object_add(g, "members@delta", ms);
		json_object_array_add(arr, g);
	}
	json_object_object_add(o, "value", arr);
	body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	page.entity = EN_RAW_GROUPS;
	page.request_method = "RECONCILE";
	page.request_url = url;
	page.http_status = 200;
	page.body = body;
	page.body_len = strlen(body);
	rc = en_api->raw_store(job, &page);
	json_object_put(o);
	return rc;
}

int32_t en_links_finish(pulse_job *job, const char *url, int reconcile,
			struct en_ids *seen, struct en_ids *removed,
			const struct en_ids *removed_groups, uint64_t *vanished)
{
	struct en_reconcile how = {.key = EN_ST_LINKS, .url = url,
				   .reconcile = reconcile, .drop = of_groups,
				   .drop_arg = removed_groups, .store = store_gone};

	en_ids_sort(removed);
	return en_ids_reconcile(job, &how, seen, removed, vanished);
}

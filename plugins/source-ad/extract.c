/*
 * source-ad extract: one sync.
 *
 *  1. Bind, read the rootDSE (highestCommittedUSN, dsServiceName,
 *     supportedControl) and the DC's invocationId, before any search.
 *  2. Full sync when there is no watermark, or the DC or its invocationId
 *     changed (uSNChanged is per DC); else search (uSNChanged>=N+1).
 *  3. Resolve manager and member DNs to objectGUIDs (this sync's entries,
 *     the saved index, else one base lookup) and store each entry in a raw
 *     page as it arrives (emit.c); an entry naming a DN not seen yet
 *     waits, as text, for the end of its search.
 *  4. Deletions: a full sync marks what the index knew and the DC no
 *     longer has; an incremental asks for tombstones with the show-deleted
 *     control where the DC lists it (from the naming context: they leave
 *     an OU base_dn for CN=Deleted Objects), else (and every `reconcile_every`
 *     incrementals anyway, for accounts that may not read tombstones)
 *     does a key-set reconcile (objectGUIDs only, paged).
 *  5. Store the deletions page, then the index and watermark.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <json-c/json.h>
#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ad.h"

struct run {
	struct ad *g;
	struct ad_index old;     /* what the last sync saw (full sync only) */
	struct ad_index nx;      /* what this sync leaves; an incremental
				  * starts from the last one's and edits it */
	int full;
	struct ad_pager ous, users, groups;        /* pages being filled */
	struct ad_deferred later_users, later_groups;
	struct json_object *cache;                 /* DN lookups: dn -> "k:guid" */
	struct json_object *del_users, *del_groups, *del_ous, *del_links;
	struct json_object *seen;                  /* key-set scan: guid -> 1 */
	int64_t from;                              /* first USN asked for */
	int reconcile;                             /* key-set scan this time */
	int64_t since;                             /* incrementals since one */
	size_t deferred;                           /* entries set aside */
};

static int32_t collect_key(struct ad *g, struct json_object *e, void *arg)
{
	struct run *r = arg;

	(void)g;
	json_object_object_add(r->seen, pj_str(e, "guid"), json_object_new_int(1));
	json_object_put(e);
	return PULSE_OK;
}

static int32_t collect_tomb(struct ad *g, struct json_object *e, void *arg)
{
	struct run *r = arg;
	const char *guid = pj_str(e, "guid");

	(void)g;
	if (pj_obj(ad_index_section(&r->nx, "u"), guid))
		json_object_array_add(r->del_users, json_object_new_string(guid));
	else if (pj_obj(ad_index_section(&r->nx, "g"), guid))
		json_object_array_add(r->del_groups, json_object_new_string(guid));
	else if (pj_obj(ad_index_section(&r->nx, "o"), guid))
		json_object_array_add(r->del_ous, json_object_new_string(guid));
	json_object_put(e);
	return PULSE_OK;
}

/* The member lists the last sync saw: an incremental reads a group's
 * list in nx before replacing it, so one copy of the index is enough. */
static struct json_object *old_members(struct run *r, const char *gid)
{
	return ad_index_members(r->full ? &r->old : &r->nx, gid);
}

/* guid's kind in index x, or NULL if x does not know it. */
static const char *kind_in(struct ad_index *x, const char *guid)
{
	if (pj_obj(ad_index_section(x, "u"), guid))
		return "user";
	if (pj_obj(ad_index_section(x, "g"), guid))
		return "group";
	return NULL;
}

/* DN -> guid and kind; *guid NULL if the DC has no such object. */
static int32_t resolve(struct run *r, const char *dn, const char **guid,
		       const char **kind)
{
	const char *c, *k;
	char uuid[40], val[48];
	int32_t rc;

	*guid = NULL;
	if ((c = ad_index_find_dn(&r->nx, dn)) && (k = kind_in(&r->nx, c))) {
		*guid = c;
		*kind = k;
		return PULSE_OK;
	}
	if ((c = pj_str(r->cache, dn))) {
		if (!*c)
			return PULSE_OK;
		*kind = c[0] == 'u' ? "user" : c[0] == 'g' ? "group" : "other";
		*guid = c + 2;
		return PULSE_OK;
	}
	rc = ad_lookup_dn(r->g, dn, uuid, sizeof(uuid), kind);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		json_object_object_add(r->cache, dn, json_object_new_string(""));
		return PULSE_OK;
	}
	snprintf(val, sizeof(val), "%c:%s", (*kind)[0], uuid);
	json_object_object_add(r->cache, dn, json_object_new_string(val));
	*guid = pj_str(r->cache, dn) + 2;
	return PULSE_OK;
}

static void link_del(struct run *r, const char *grp, const char *mem)
{
	char id[96];

	snprintf(id, sizeof(id), "%s|%s", grp, mem);
	json_object_array_add(r->del_links, json_object_new_string(id));
}

/* A DN this sync can resolve without asking the DC. */
static int known(struct run *r, const char *dn)
{
	const char *c = ad_index_find_dn(&r->nx, dn);

	return (c && kind_in(&r->nx, c)) || pj_obj(r->cache, dn);
}

/* A user: manager DN -> manager guid, OU = parent DN; then stored.
 * Takes u. */
static int32_t finish_user(struct run *r, struct json_object *u)
{
	const char *mdn = pj_str(u, "manager_dn"), *mg = NULL, *k;
	int32_t rc;

	json_object_object_add(u, "org_unit",
		json_object_new_string(ad_dn_parent(pj_str(u, "dn"))));
	if (mdn && (rc = resolve(r, mdn, &mg, &k)) != PULSE_OK) {
		json_object_put(u);
		return rc;
	}
	if (mg)
		json_object_object_add(u, "manager", json_object_new_string(mg));
	return ad_pager_add(r->g, &r->users, u);
}

/* A group: member DNs -> [{id, kind}], removed = old members - new; then
 * stored. Takes gr. */
static int32_t finish_group(struct run *r, struct json_object *gr)
{
	size_t j;
	const char *gid = pj_str(gr, "guid");
	struct json_object *dns = pj_arr(gr, "member_dns");
	struct json_object *mem = json_object_new_array();
	struct json_object *ids = json_object_new_array();
	struct json_object *set = json_object_new_object();
	struct json_object *old = old_members(r, gid);
	struct json_object *removed = json_object_new_array();
	size_t m = dns ? json_object_array_length(dns) : 0;
	int32_t rc = PULSE_OK;

	json_object_object_add(gr, "org_unit",
		json_object_new_string(ad_dn_parent(pj_str(gr, "dn"))));
	for (j = 0; j < m; j++) {
		const char *dn = json_object_get_string(
			json_object_array_get_idx(dns, j));
		const char *mg = NULL, *k = "other";
		struct json_object *o;

		if ((rc = resolve(r, dn, &mg, &k)) != PULSE_OK)
			goto out;
		if (!mg || pj_obj(set, mg))
			continue;
		json_object_object_add(set, mg, json_object_new_int(1));
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(mg));
		json_object_object_add(o, "kind", json_object_new_string(k));
		json_object_array_add(mem, o);
		json_object_array_add(ids, json_object_new_string(mg));
	}
	m = old ? json_object_array_length(old) : 0;
	for (j = 0; j < m; j++) {
		const char *o = json_object_get_string(
			json_object_array_get_idx(old, j));

		if (o && !pj_obj(set, o))
			json_object_array_add(removed, json_object_new_string(o));
	}
	r->g->member_links += json_object_array_length(mem);
	json_object_object_del(gr, "member_dns");
	json_object_object_add(gr, "members", mem);
	json_object_object_add(gr, "removed", removed);
	ad_index_set_members(&r->nx, gid, ids);
	mem = removed = ids = NULL;
	rc = ad_pager_add(r->g, &r->groups, gr);
	gr = NULL;
out:
	json_object_put(mem);
	json_object_put(ids);
	json_object_put(removed);
	json_object_put(set);
	json_object_put(gr);
	return rc;
}

static int32_t collect_user(struct ad *g, struct json_object *e, void *arg)
{
	struct run *r = arg;
	const char *mdn = pj_str(e, "manager_dn");

	ad_index_put(&r->nx, "u", pj_str(e, "guid"), pj_str(e, "dn"));
	g->users++;
	if (mdn && !known(r, mdn))
		return ad_defer(&r->later_users, e) ? ad_oom(g) : PULSE_OK;
	return finish_user(r, e);
}

static int32_t collect_group(struct ad *g, struct json_object *e, void *arg)
{
	struct run *r = arg;
	struct json_object *dns = pj_arr(e, "member_dns");
	size_t i, n = dns ? json_object_array_length(dns) : 0;

	ad_index_put(&r->nx, "g", pj_str(e, "guid"), pj_str(e, "dn"));
	g->groups++;
	for (i = 0; i < n; i++)
		if (!known(r, json_object_get_string(
				   json_object_array_get_idx(dns, i))))
			return ad_defer(&r->later_groups, e) ? ad_oom(g) : PULSE_OK;
	return finish_group(r, e);
}

static int32_t collect_ou(struct ad *g, struct json_object *e, void *arg)
{
	struct run *r = arg;

	ad_index_put(&r->nx, "o", pj_str(e, "guid"), pj_str(e, "dn"));
	g->ous++;
	return ad_pager_add(g, &r->ous, e);
}

/* The entries set aside in d, now that their search is over; then the
 * last page of p. */
static int32_t finish_later(struct run *r, struct ad_deferred *d,
			    int32_t (*fin)(struct run *, struct json_object *),
			    struct ad_pager *p)
{
	size_t i;
	int32_t rc = PULSE_OK;

	for (i = 0; i < d->n && rc == PULSE_OK; i++) {
		struct json_object *e = ad_deferred_take(d, i);

		rc = e ? fin(r, e) : ad_oom(r->g);
	}
	r->deferred += d->n;
	ad_deferred_free(d);
	return rc == PULSE_OK ? ad_pager_flush(r->g, p) : rc;
}

/* A deleted member (user or group) leaves every group the index has it
 * in: the DC drops those links without touching the groups' uSNChanged. */
static void leave_groups(struct run *r, const char *id)
{
	struct json_object *gs = ad_index_section(&r->nx, "g");
	size_t j;

	json_object_object_foreach(gs, gid, gv) {
		struct json_object *m = pj_arr(gv, "m"), *keep;
		size_t k = m ? json_object_array_length(m) : 0, hit = 0;

		for (j = 0; j < k; j++)
			if (!strcmp(json_object_get_string(
				json_object_array_get_idx(m, j)), id))
				hit = 1;
		if (!hit)
			continue;
		keep = json_object_new_array();
		for (j = 0; j < k; j++) {
			struct json_object *v = json_object_array_get_idx(m, j);

			if (strcmp(json_object_get_string(v), id))
				json_object_array_add(keep, json_object_get(v));
		}
		json_object_object_add(gv, "m", keep);
		link_del(r, gid, id);
	}
}

/* A deleted group takes its own links along and leaves the groups it
 * was nested in; a deleted user leaves its groups. */
static void drop_deleted(struct run *r)
{
	size_t i, j, n;

	n = json_object_array_length(r->del_groups);
	for (i = 0; i < n; i++) {
		const char *gid = json_object_get_string(
			json_object_array_get_idx(r->del_groups, i));
		struct json_object *m = old_members(r, gid);
		size_t k = m ? json_object_array_length(m) : 0;

		for (j = 0; j < k; j++)
			link_del(r, gid, json_object_get_string(
					 json_object_array_get_idx(m, j)));
		leave_groups(r, gid);
	}
	n = json_object_array_length(r->del_users);
	for (i = 0; i < n; i++)
		leave_groups(r, json_object_get_string(
				     json_object_array_get_idx(r->del_users, i)));
	for (i = 0; i < json_object_array_length(r->del_users); i++)
		ad_index_remove(&r->nx, "u", json_object_get_string(
			json_object_array_get_idx(r->del_users, i)));
	for (i = 0; i < json_object_array_length(r->del_groups); i++)
		ad_index_remove(&r->nx, "g", json_object_get_string(
			json_object_array_get_idx(r->del_groups, i)));
	for (i = 0; i < json_object_array_length(r->del_ous); i++)
		ad_index_remove(&r->nx, "o", json_object_get_string(
			json_object_array_get_idx(r->del_ous, i)));
}

/* Keys of old's section sec that are not in present (object) go to out. */
static void missing(struct json_object *old_sec, struct json_object *present,
		    struct json_object *out)
{
	json_object_object_foreach(old_sec, guid, v) {
		(void)v;
		if (!pj_obj(present, guid))
			json_object_array_add(out, json_object_new_string(guid));
	}
}

static int32_t deletions(struct run *r)
{
	struct ad *g = r->g;
	static const char *const secs[] = {"u", "g", "o"};
	struct json_object *outs[3] = {r->del_users, r->del_groups, r->del_ous};
	const char *filters[3] = {g->user_filter, g->group_filter, g->ou_filter};
	char *f = NULL;
	int32_t rc = PULSE_OK;
	size_t i;

	if (r->full) {
		for (i = 0; i < 3; i++)
			missing(ad_index_section(&r->old, secs[i]),
				ad_index_section(&r->nx, secs[i]), outs[i]);
		goto out;
	}
	if (g->dsa.show_deleted && !r->reconcile) {
		/* Tombstones move to the domain's CN=Deleted Objects, outside a
		 * base_dn that names an OU: search from the naming context
		 * (collect_tomb keeps only objects the index knows). */
		const char *tb = ad_dn_within(g->base, g->dsa.naming_context) ?
			g->dsa.naming_context : g->base;

		if (asprintf(&f, "(&(isDeleted=TRUE)(uSNChanged>=%" PRId64 "))",
			     r->from) < 0)
			return ad_oom(g);
		rc = ad_search_in(g, tb, f, AD_KIND_KEY,
				  LDAP_CONTROL_X_SHOW_DELETED, collect_tomb, r);
		goto out;
	}
	/* key-set reconcile: every objectGUID in scope, paged */
	for (i = 0; i < 3; i++) {
		struct json_object *seen = json_object_new_object();

		json_object_put(r->seen);
		r->seen = seen;
		if ((rc = ad_search(g, filters[i], AD_KIND_KEY, NULL, collect_key,
				    r)) != PULSE_OK)
			goto out;
		missing(ad_index_section(&r->nx, secs[i]), r->seen, outs[i]);
	}
out:
	free(f);
	return rc;
}

static int32_t store_deletes(struct run *r, const char *params)
{
	struct json_object *body = json_object_new_object();
	pulse_raw_page p = {PULSE_STRUCT_HEADER(pulse_raw_page)};
	const char *text;
	int32_t rc;

	json_object_object_add(body, "users", json_object_get(r->del_users));
	json_object_object_add(body, "groups", json_object_get(r->del_groups));
	json_object_object_add(body, "org_units", json_object_get(r->del_ous));
	json_object_object_add(body, "memberships", json_object_get(r->del_links));
	text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	p.entity = AD_RAW_DELETES;
	p.request_method = "SEARCH";
	p.request_url = r->g->url;
	p.request_params = params;
	p.http_status = 200;
	p.body = text;
	p.body_len = strlen(text);
	rc = ad_api->raw_store(r->g->job, &p);
	json_object_put(body);
	return rc;
}

static char *state_str(pulse_job *job, const char *key)
{
	char *v = ad_api->state_get(job, key);

	if (v && !*v) {
		ad_api->free(v);
		v = NULL;
	}
	return v;
}

static int same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Decide full vs incremental and load the index; *from is the first USN
 * an incremental asks for. */
static int32_t plan(struct run *r, int64_t *from)
{
	struct ad *g = r->g;
	char *usn = state_str(g->job, AD_ST_USN);
	char *inv = state_str(g->job, AD_ST_INVOCATION);
	char *dsa = state_str(g->job, AD_ST_DSA);
	char *idx = NULL;
	const char *why = NULL;

	r->full = 1;
	if (!usn)
		why = "first sync";
	else if (g->dsa.usn < 0)
		why = "the DC has no highestCommittedUSN";
	else if (!same(dsa, g->dsa.service))
		why = "another domain controller";
	else if (!same(inv, g->dsa.invocation))
		why = "the DC's invocationID changed (restored or rebuilt)";
	idx = state_str(g->job, AD_ST_INDEX);
	if (ad_index_load(&r->old, idx) < 0 && !why)
		why = "no saved index";
	if (!why) {
		char *since = state_str(g->job, AD_ST_SINCE);

		r->since = since ? strtoll(since, NULL, 10) + 1 : 1;
		ad_api->free(since);
		r->reconcile = !g->dsa.show_deleted || r->since >=
			ad_api->config_int(g->job, "reconcile_every",
					   AD_DEFAULT_RECONCILE_EVERY);
		r->full = 0;
		*from = strtoll(usn, NULL, 10) + 1;
		/* an incremental updates the index in place */
		r->nx = r->old;
		memset(&r->old, 0, sizeof(r->old));
	} else {
		ad_index_init_empty(&r->nx);
		ad_api->job_log(g->job, PULSE_LOG_INFO, "full_sync reason=\"%s\"",
				why);
	}
	ad_api->free(usn);
	ad_api->free(inv);
	ad_api->free(dsa);
	ad_api->free(idx);
	return PULSE_OK;
}

static int32_t save_state(struct run *r)
{
	struct ad *g = r->g;
	char usn[32];
	int32_t rc;

	if ((rc = ad_api->state_set(g->job, AD_ST_INDEX,
		json_object_to_json_string_ext(r->nx.root, JSON_C_TO_STRING_PLAIN))) !=
	    PULSE_OK)
		return rc;
	if ((rc = ad_api->state_set(g->job, AD_ST_DSA,
				    g->dsa.service ? g->dsa.service : "")) != PULSE_OK)
		return rc;
	if ((rc = ad_api->state_set(g->job, AD_ST_INVOCATION,
			g->dsa.invocation ? g->dsa.invocation : "")) != PULSE_OK)
		return rc;
	snprintf(usn, sizeof(usn), "%" PRId64,
		 r->full || r->reconcile ? (int64_t)0 : r->since);
	if ((rc = ad_api->state_set(g->job, AD_ST_SINCE, usn)) != PULSE_OK)
		return rc;
	snprintf(usn, sizeof(usn), "%" PRId64, g->dsa.usn);
	return ad_api->state_set(g->job, AD_ST_USN, g->dsa.usn >= 0 ? usn : "");
}

int32_t ad_extract(void *state, pulse_job *job)
{
	struct ad g;
	struct run r;
	const char *cfg_base;
	char *fu = NULL, *fg = NULL, *fo = NULL, params[200];
	int64_t from = 0;
	int32_t rc;

	(void)state;
	memset(&g, 0, sizeof(g));
	memset(&r, 0, sizeof(r));
	g.job = job;
	g.pages.api = ad_api;
	g.pages.job = job;
	g.url = ad_api->config_string(job, "url");
	g.bind_dn = ad_api->config_string(job, "bind_dn");
	g.user_filter = ad_api->config_string(job, "user_filter");
	g.group_filter = ad_api->config_string(job, "group_filter");
	g.ou_filter = ad_api->config_string(job, "ou_filter");
	if (!g.user_filter || !*g.user_filter)
		g.user_filter = AD_DEFAULT_USER_FILTER;
	if (!g.group_filter || !*g.group_filter)
		g.group_filter = AD_DEFAULT_GROUP_FILTER;
	if (!g.ou_filter || !*g.ou_filter)
		g.ou_filter = AD_DEFAULT_OU_FILTER;
	g.page_size = (int)ad_api->config_int(job, "page_size", AD_DEFAULT_PAGE_SIZE);
	r.g = &g;
	r.cache = json_object_new_object();
	r.del_users = json_object_new_array();
	r.del_groups = json_object_new_array();
	r.del_ous = json_object_new_array();
	r.del_links = json_object_new_array();
	r.seen = json_object_new_object();

	ad_api->progress(job, "bind", 0, 0);
	if ((rc = ad_connect(&g)) != PULSE_OK)
		goto out;
	if ((rc = ad_read_dsa(&g)) != PULSE_OK)
		goto out;
	cfg_base = ad_api->config_string(job, "base_dn");
	g.base = cfg_base && *cfg_base ? cfg_base : g.dsa.naming_context;
	if (!g.base) {
		rc = ad_api->fail(job, PULSE_ERR_PERMANENT, "the DC at %s names no "
				  "defaultNamingContext; set `base_dn`", g.url);
		goto out;
	}
	if ((rc = plan(&r, &from)) != PULSE_OK)
		goto out;
	r.from = from;
	if (r.full) {
		fu = strdup(g.user_filter);
		fg = strdup(g.group_filter);
		fo = strdup(g.ou_filter);
	} else if (asprintf(&fu, "(&%s(uSNChanged>=%" PRId64 "))", g.user_filter, from) < 0 ||
		   asprintf(&fg, "(&%s(uSNChanged>=%" PRId64 "))", g.group_filter, from) < 0 ||
		   asprintf(&fo, "(&%s(uSNChanged>=%" PRId64 "))", g.ou_filter, from) < 0) {
		fu = fg = fo = NULL;
	}
	if (!fu || !fg || !fo) {
		rc = ad_oom(&g);
		goto out;
	}
	snprintf(params, sizeof(params), "{\"mode\":\"%s\",\"from_usn\":%" PRId64 "}",
		 r.full ? "full" : "incremental", from);
	ad_pager_init(&r.ous, AD_RAW_OUS, params);
	ad_pager_init(&r.users, AD_RAW_USERS, params);
	ad_pager_init(&r.groups, AD_RAW_GROUPS, params);
	ad_api->progress(job, "org units", 0, 0);
	if ((rc = ad_search(&g, fo, AD_KIND_OU, NULL, collect_ou, &r)) != PULSE_OK ||
	    (rc = ad_pager_flush(&g, &r.ous)) != PULSE_OK)
		goto out;
	ad_api->progress(job, "users", 0, 0);
	if ((rc = ad_search(&g, fu, AD_KIND_USER, NULL, collect_user, &r)) != PULSE_OK ||
	    (rc = finish_later(&r, &r.later_users, finish_user, &r.users)) != PULSE_OK)
		goto out;
	ad_api->progress(job, "groups", g.users, 0);
	if ((rc = ad_search(&g, fg, AD_KIND_GROUP, NULL, collect_group, &r)) != PULSE_OK ||
	    (rc = finish_later(&r, &r.later_groups, finish_group, &r.groups)) != PULSE_OK)
		goto out;
	ad_api->progress(job, "deletions", 0, 0);
	if ((rc = deletions(&r)) != PULSE_OK)
		goto out;
	drop_deleted(&r);
	ad_api->progress(job, "storing", 0, 0);
	if ((rc = store_deletes(&r, params)) != PULSE_OK)
		goto out;
	/* the index's text is the run's last big allocation: drop first what
	 * it is not made from (the last sync's index, the DN maps) */
	ad_index_free(&r.old);
	ad_index_drop_dns(&r.nx);
	json_object_put(r.cache);
	r.cache = NULL;
	if ((rc = save_state(&r)) != PULSE_OK)
		goto out;
	ad_api->progress(job, "done", g.users, g.users);
	ad_api->job_log(job, PULSE_LOG_INFO, "sync mode=%s from_usn=%" PRId64
		" to_usn=%" PRId64 " users=%" PRIu64 " groups=%" PRIu64
		" org_units=%" PRIu64 " member_links=%" PRIu64 " deleted_users=%zu"
		" deleted_groups=%zu removed_links=%zu deferred=%zu dn_lookups=%" PRIu64
		" round_trips=%" PRIu64 " pages_stored=%" PRIu64 " deletions_by=%s",
		r.full ? "full" : "incremental", from, g.dsa.usn, g.users, g.groups,
		g.ous, g.member_links, json_object_array_length(r.del_users),
		json_object_array_length(r.del_groups),
		json_object_array_length(r.del_links), r.deferred, g.lookups, g.round_trips,
		g.pages.stored, r.full ? "full-sync" : r.reconcile ? "key-set" :
		"show-deleted");
out:
	ad_disconnect(&g);
	ad_dsa_free(&g.dsa);
	ad_index_free(&r.old);
	ad_index_free(&r.nx);
	ad_pager_free(&r.ous);
	ad_pager_free(&r.users);
	ad_pager_free(&r.groups);
	ad_deferred_free(&r.later_users);
	ad_deferred_free(&r.later_groups);
	json_object_put(r.cache);
	json_object_put(r.del_users);
	json_object_put(r.del_groups);
	json_object_put(r.del_ous);
	json_object_put(r.del_links);
	json_object_put(r.seen);
	free(fu);
	free(fg);
	free(fo);
	return rc;
}

/*
 * source-ad index: what the last sync saw, kept in the integration's
 * state so that an incremental can resolve the DNs of unchanged members
 * and managers without asking the DC, find removed memberships, and find
 * deleted objects by key-set reconcile. See ad.h for the shape.
 */
#include <ctype.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "ad.h"

/* DNs compare case-insensitively (for the attribute types AD uses). */
static char *lower(const char *s)
{
	char *d = strdup(s), *p;

	for (p = d; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

static void by_dn_add(struct ad_index *x, const char *dn, const char *guid)
{
	char *l;

	if (!x->by_dn)
		return;
	if ((l = lower(dn)))
		json_object_object_add(x->by_dn, l, json_object_new_string(guid));
	free(l);
}

static void by_dn_sec(struct ad_index *x, const char *sec)
{
	struct json_object *s = ad_index_section(x, sec);

	json_object_object_foreach(s, guid, v) {
		const char *dn = json_object_is_type(v, json_type_object) ?
			pj_str(v, "dn") : json_object_get_string(v);

		if (dn)
			by_dn_add(x, dn, guid);
	}
}

void ad_index_init_empty(struct ad_index *x)
{
	x->root = json_object_new_object();
	json_object_object_add(x->root, "u", json_object_new_object());
	json_object_object_add(x->root, "g", json_object_new_object());
	json_object_object_add(x->root, "o", json_object_new_object());
	x->by_dn = json_object_new_object();
}

int ad_index_load(struct ad_index *x, const char *text)
{
	struct json_object *o = text ? json_tokener_parse(text) : NULL;
	static const char *const secs[] = {"u", "g", "o"};
	size_t i;

	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		ad_index_init_empty(x);
		return -1;
	}
	for (i = 0; i < 3; i++)
		if (!json_object_is_type(pj_obj(o, secs[i]), json_type_object))
			json_object_object_add(o, secs[i], json_object_new_object());
	x->root = o;
	x->by_dn = json_object_new_object();
	for (i = 0; i < 3; i++)
		by_dn_sec(x, secs[i]);
	return 0;
}

void ad_index_free(struct ad_index *x)
{
	json_object_put(x->root);
	json_object_put(x->by_dn);
	x->root = x->by_dn = NULL;
}

struct json_object *ad_index_section(struct ad_index *x, const char *sec)
{
	return pj_obj(x->root, sec);
}

void ad_index_put(struct ad_index *x, const char *sec, const char *guid,
		  const char *dn)
{
	struct json_object *s = ad_index_section(x, sec);

	if (sec[0] == 'g') {
		struct json_object *old = pj_obj(s, guid), *g;
		struct json_object *m = old ? pj_arr(old, "m") : NULL;

		g = json_object_new_object();
		json_object_object_add(g, "dn", json_object_new_string(dn));
		json_object_object_add(g, "m", m ? json_object_get(m) :
				       json_object_new_array());
		json_object_object_add(s, guid, g);
	} else {
		json_object_object_add(s, guid, json_object_new_string(dn));
	}
	by_dn_add(x, dn, guid);
}

void ad_index_remove(struct ad_index *x, const char *sec, const char *guid)
{
	json_object_object_del(ad_index_section(x, sec), guid);
}

const char *ad_index_find_dn(struct ad_index *x, const char *dn)
{
	char *l = lower(dn);
	const char *g = l ? pj_str(x->by_dn, l) : NULL;

	free(l);
	return g;
}

void ad_index_drop_dns(struct ad_index *x)
{
	json_object_put(x->by_dn);
	x->by_dn = NULL;
}

struct json_object *ad_index_members(struct ad_index *x, const char *guid)
{
	struct json_object *g = pj_obj(ad_index_section(x, "g"), guid);

	return g ? pj_arr(g, "m") : NULL;
}

void ad_index_set_members(struct ad_index *x, const char *guid,
			  struct json_object *arr)
{
	struct json_object *g = pj_obj(ad_index_section(x, "g"), guid);

	if (g)
		json_object_object_add(g, "m", arr);
	else
		json_object_put(arr);
}

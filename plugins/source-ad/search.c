/*
 * source-ad search: the rootDSE, paged subtree searches (simple paged
 * results control, 1.2.840.113556.1.4.319) and complete `member` lists by
 * ranged retrieval, with each entry converted to the JSON kept in raw
 * pages (binary values such as objectGUID never reach JSON as bytes).
 */
#include <json-c/json.h>
#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ad.h"

static char *const user_attrs[] = {"objectGUID", "sAMAccountName",
	"userPrincipalName", "mail", "displayName", "department", "title",
	"employeeID", "manager", "memberOf", "userAccountControl", "whenChanged",
	"lastLogonTimestamp", "pwdLastSet", "accountExpires", "uSNChanged",
	"proxyAddresses", NULL};
static char *const group_attrs[] = {"objectGUID", "sAMAccountName", "cn",
	"mail", "description", "whenChanged", "uSNChanged", "member", NULL};
static char *const ou_attrs[] = {"objectGUID", "ou", "name", "whenChanged",
	"uSNChanged", NULL};
static char *const key_attrs[] = {"objectGUID", NULL};

/* One string value of an attribute (NULL if absent); the caller frees
 * with ldap_value_free_len via the berval array it owns. */
static struct berval **vals(struct ad *g, LDAPMessage *e, const char *a)
{
	return ldap_get_values_len(g->ld, e, a);
}

static void put_str(struct json_object *o, const char *key,
		    struct berval **v)
{
	if (v && v[0])
		json_object_object_add(o, key,
			json_object_new_string_len(v[0]->bv_val, (int)v[0]->bv_len));
}

static void put_arr(struct json_object *o, const char *key,
		    struct berval **v)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; v && v[i]; i++)
		json_object_array_add(a, json_object_new_string_len(v[i]->bv_val,
					(int)v[i]->bv_len));
	json_object_object_add(o, key, a);
}

/* A NUL-terminated copy of the first value, into buf ("" if absent). */
static const char *first(struct berval **v, char *buf, size_t n)
{
	size_t l;

	buf[0] = '\0';
	if (!v || !v[0])
		return buf;
	l = v[0]->bv_len < n - 1 ? v[0]->bv_len : n - 1;
	memcpy(buf, v[0]->bv_val, l);
	buf[l] = '\0';
	return buf;
}

static void put_time(struct json_object *o, const char *key, int64_t t)
{
	char iso[40];

	if (t == AD_NO_TIME)
		return;
	ad_iso(t, iso, sizeof(iso));
	json_object_object_add(o, key, json_object_new_string(iso));
}

/* Append the values of every `member` description of e to arr; *next is
 * set to the next range's low bound when the DC cut the list, else -1. */
static void members_of(struct ad *g, LDAPMessage *e, struct json_object *arr,
		       long *next)
{
	BerElement *ber = NULL;
	char *a;

	*next = -1;
	for (a = ldap_first_attribute(g->ld, e, &ber); a;
	     a = ldap_next_attribute(g->ld, e, ber)) {
		long lo, hi;
		int ranged = ad_range_parse(a, &lo, &hi);

		if (ranged || strcasecmp(a, "member") == 0) {
			struct berval **v = vals(g, e, a);
			size_t i;

			for (i = 0; v && v[i]; i++)
				json_object_array_add(arr, json_object_new_string_len(
					v[i]->bv_val, (int)v[i]->bv_len));
			ldap_value_free_len(v);
			if (ranged && hi >= 0)
				*next = hi + 1;
		}
		ldap_memfree(a);
	}
	ber_free(ber, 0);
}

/* The rest of a cut `member` list: ask member;range=N-* until the DC
 * answers with the end marker `*`. Never treats a missing range as an
 * empty group: a reply without any member value fails the job. */
static int32_t ranged_members(struct ad *g, const char *dn,
			      struct json_object *arr, long next)
{
	while (next >= 0) {
		char desc[64];
		char *attrs[2] = {desc, NULL};
		LDAPMessage *res = NULL, *e;
		long got_next;
		size_t before = json_object_array_length(arr);
		int rc;

		snprintf(desc, sizeof(desc), "member;range=%ld-*", next);
		g->round_trips++;
		rc = ldap_search_ext_s(g->ld, dn, LDAP_SCOPE_BASE,
				       "(objectClass=*)", attrs, 0, NULL, NULL,
				       NULL, LDAP_NO_LIMIT, &res);
		if (rc != LDAP_SUCCESS) {
			ldap_msgfree(res);
			return ad_fail_ldap(g, rc, "ranged member retrieval");
		}
		e = ldap_first_entry(g->ld, res);
		if (e)
			members_of(g, e, arr, &got_next);
		ldap_msgfree(res);
		if (!e || json_object_array_length(arr) == before)
			return ad_api->fail(g->job, PULSE_ERR_TRANSIENT,
				"ranged member retrieval of %s stopped at value %ld "
				"without the end marker; the group is left as it was "
				"(never emptied); run the sync again", dn, next);
		next = got_next;
	}
	return PULSE_OK;
}

/* e as JSON for kind; NULL (and *skip set) for an entry without a usable
 * objectGUID. The caller owns the result. */
static struct json_object *convert(struct ad *g, LDAPMessage *e, int kind,
				   int32_t *rc)
{
	struct json_object *o = NULL;
	struct berval **v;
	char *dn = NULL, uuid[40], b64[32], buf[64];

	*rc = PULSE_OK;
	v = vals(g, e, "objectGUID");
	if (!v || !v[0] || ad_guid_uuid((unsigned char *)v[0]->bv_val,
					v[0]->bv_len, uuid, sizeof(uuid)) < 0) {
		ldap_value_free_len(v);
		dn = ldap_get_dn(g->ld, e);
		ad_api->job_log(g->job, PULSE_LOG_WARN, "entry_skipped dn=\"%s\" "
				"reason=\"no 16-byte objectGUID\"", dn ? dn : "");
		ldap_memfree(dn);
		return NULL;
	}
	ad_guid_base64((unsigned char *)v[0]->bv_val, v[0]->bv_len, b64,
		       sizeof(b64));
	ldap_value_free_len(v);
	if (!(o = json_object_new_object()) || !(dn = ldap_get_dn(g->ld, e)))
		goto oom;
	json_object_object_add(o, "guid", json_object_new_string(uuid));
	json_object_object_add(o, "dn", json_object_new_string(dn));
	if (kind == AD_KIND_KEY)
		goto out;
	json_object_object_add(o, "immutable_id", json_object_new_string(b64));
	v = vals(g, e, "uSNChanged");
	put_str(o, "usn", v);
	ldap_value_free_len(v);
	v = vals(g, e, "whenChanged");
	put_time(o, "when_changed", ad_gentime_unix(first(v, buf, sizeof(buf))));
	ldap_value_free_len(v);
	if (kind == AD_KIND_USER) {
		static const char *const map[][2] = {{"sAMAccountName", "sam"},
			{"userPrincipalName", "upn"}, {"mail", "mail"},
			{"displayName", "display_name"}, {"department", "department"},
			{"title", "title"}, {"employeeID", "employee_id"},
			{"manager", "manager_dn"}};
		size_t i;
		int dis;

		for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
			v = vals(g, e, map[i][0]);
			put_str(o, map[i][1], v);
			ldap_value_free_len(v);
		}
		v = vals(g, e, "memberOf");
		put_arr(o, "member_of", v);
		ldap_value_free_len(v);
		/* Exchange's addresses ("SMTP:" primary, "smtp:" others): the
		 * people links match commit e-mails against them. */
		v = vals(g, e, "proxyAddresses");
		if (v)
			put_arr(o, "proxyAddresses", v);
		ldap_value_free_len(v);
		v = vals(g, e, "userAccountControl");
		if ((dis = ad_uac_disabled(first(v, buf, sizeof(buf)))) >= 0) {
			json_object_object_add(o, "uac",
				json_object_new_int64(strtoll(buf, NULL, 10)));
			json_object_object_add(o, "disabled",
					       json_object_new_boolean(dis));
		}
		ldap_value_free_len(v);
		v = vals(g, e, "lastLogonTimestamp");
		put_time(o, "last_logon", ad_filetime_unix(first(v, buf, sizeof(buf))));
		ldap_value_free_len(v);
		v = vals(g, e, "pwdLastSet");
		put_time(o, "pwd_last_set", ad_filetime_unix(first(v, buf, sizeof(buf))));
		ldap_value_free_len(v);
		v = vals(g, e, "accountExpires");
		put_time(o, "account_expires",
			 ad_filetime_unix(first(v, buf, sizeof(buf))));
		ldap_value_free_len(v);
	} else if (kind == AD_KIND_GROUP) {
		struct json_object *m = json_object_new_array();
		long next;

		v = vals(g, e, "sAMAccountName");
		put_str(o, "sam", v);
		ldap_value_free_len(v);
		v = vals(g, e, "cn");
		put_str(o, "name", v);
		ldap_value_free_len(v);
		v = vals(g, e, "mail");
		put_str(o, "mail", v);
		ldap_value_free_len(v);
		v = vals(g, e, "description");
		put_str(o, "description", v);
		ldap_value_free_len(v);
		json_object_object_add(o, "member_dns", m);
		members_of(g, e, m, &next);
		if (next >= 0 && (*rc = ranged_members(g, dn, m, next)) != PULSE_OK)
			goto fail;
	} else {
		v = vals(g, e, "ou");
		if (!v || !v[0]) {
			ldap_value_free_len(v);
			v = vals(g, e, "name");
		}
		put_str(o, "name", v);
		ldap_value_free_len(v);
	}
out:
	ldap_memfree(dn);
	return o;
oom:
	*rc = ad_oom(g);
fail:
	ldap_memfree(dn);
	json_object_put(o);
	return NULL;
}

int32_t ad_search(struct ad *g, const char *filter, int kind,
		  const char *extra_ctrl, ad_entry_cb cb, void *arg)
{
	return ad_search_in(g, g->base, filter, kind, extra_ctrl, cb, arg);
}

int32_t ad_search_in(struct ad *g, const char *base, const char *filter,
		     int kind, const char *extra_ctrl, ad_entry_cb cb, void *arg)
{
	struct berval cookie = {0, NULL};
	char *const *attrs = kind == AD_KIND_USER ? user_attrs :
		kind == AD_KIND_GROUP ? group_attrs : kind == AD_KIND_OU ?
		ou_attrs : key_attrs;
	LDAPControl *extra = NULL;
	int32_t ret = PULSE_OK;
	int rc;

	if (extra_ctrl &&
	    (rc = ldap_control_create(extra_ctrl, 1, NULL, 0, &extra)) != LDAP_SUCCESS)
		return ad_fail_ldap(g, rc, "creating a control");
	do {
		LDAPControl *pc = NULL, *sc[3] = {NULL, NULL, NULL}, **rctrls = NULL;
		LDAPControl *p;
		LDAPMessage *res = NULL, *e;
		ber_int_t est;
		int err = LDAP_SUCCESS;

		rc = ldap_create_page_control(g->ld, (ber_int_t)g->page_size,
					      cookie.bv_val ? &cookie : NULL, 1, &pc);
		if (rc != LDAP_SUCCESS) {
			ret = ad_fail_ldap(g, rc, "creating the paged results control");
			goto out;
		}
		sc[0] = pc;
		sc[1] = extra;
		g->round_trips++;
		rc = ldap_search_ext_s(g->ld, base, LDAP_SCOPE_SUBTREE, filter,
				       (char **)attrs, 0, sc, NULL, NULL,
				       LDAP_NO_LIMIT, &res);
		ldap_control_free(pc);
		if (rc != LDAP_SUCCESS) {
			ldap_msgfree(res);
			ret = ad_fail_ldap(g, rc, "search");
			goto out;
		}
		for (e = ldap_first_entry(g->ld, res); e;
		     e = ldap_next_entry(g->ld, e)) {
			int32_t crc;
			struct json_object *o = convert(g, e, kind, &crc);

			if (crc != PULSE_OK) {
				ret = crc;
				ldap_msgfree(res);
				goto out;
			}
			if (o && (ret = cb(g, o, arg)) != PULSE_OK) {
				ldap_msgfree(res);
				goto out;
			}
		}
		rc = ldap_parse_result(g->ld, res, &err, NULL, NULL, NULL, &rctrls, 0);
		ldap_msgfree(res);
		if (rc == LDAP_SUCCESS && err != LDAP_SUCCESS)
			rc = err;
		if (rc != LDAP_SUCCESS) {
			ldap_controls_free(rctrls);
			ret = ad_fail_ldap(g, rc, "paged search");
			goto out;
		}
		if (cookie.bv_val) {
			ldap_memfree(cookie.bv_val);
			cookie.bv_val = NULL;
			cookie.bv_len = 0;
		}
		p = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls, NULL);
		if (p)
			ldap_parse_pageresponse_control(g->ld, p, &est, &cookie);
		ldap_controls_free(rctrls);
		if (ad_api->cancelled(g->job)) {
			ret = ad_api->fail(g->job, PULSE_ERR_CANCELLED, "stopped "
					   "during a search");
			goto out;
		}
	} while (cookie.bv_val && cookie.bv_len > 0);
out:
	if (cookie.bv_val)
		ldap_memfree(cookie.bv_val);
	if (extra)
		ldap_control_free(extra);
	return ret;
}

int32_t ad_lookup_dn(struct ad *g, const char *dn, char *uuid, size_t n,
		     const char **kind)
{
	char *attrs[] = {"objectGUID", "objectClass", NULL};
	LDAPMessage *res = NULL, *e;
	struct berval **v = NULL;
	int rc, found = 0;
	size_t i;

	*kind = "other";
	g->round_trips++;
	g->lookups++;
	rc = ldap_search_ext_s(g->ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)",
			       attrs, 0, NULL, NULL, NULL, 1, &res);
	if (rc == LDAP_NO_SUCH_OBJECT) {
		ldap_msgfree(res);
		return 0;
	}
	if (rc != LDAP_SUCCESS) {
		ldap_msgfree(res);
		return ad_fail_ldap(g, rc, "looking up a member or manager");
	}
	if ((e = ldap_first_entry(g->ld, res)) &&
	    (v = ldap_get_values_len(g->ld, e, "objectGUID")) && v[0] &&
	    ad_guid_uuid((unsigned char *)v[0]->bv_val, v[0]->bv_len, uuid, n) == 0) {
		struct berval **oc = ldap_get_values_len(g->ld, e, "objectClass");

		found = 1;
		for (i = 0; oc && oc[i]; i++) {
			if (oc[i]->bv_len == 5 && !strncasecmp(oc[i]->bv_val, "group", 5))
				*kind = "group";
			else if (oc[i]->bv_len == 4 &&
				 !strncasecmp(oc[i]->bv_val, "user", 4) &&
				 strcmp(*kind, "group") != 0)
				*kind = "user";
		}
		ldap_value_free_len(oc);
	}
	ldap_value_free_len(v);
	ldap_msgfree(res);
	return found;
}

/* One value of the rootDSE or DSA entry as a heap string (NULL if none). */
static char *dup_first(struct ad *g, LDAPMessage *e, const char *a)
{
	struct berval **v = ldap_get_values_len(g->ld, e, a);
	char *s = NULL;

	if (v && v[0])
		s = strndup(v[0]->bv_val, v[0]->bv_len);
	ldap_value_free_len(v);
	return s;
}

int32_t ad_read_dsa(struct ad *g)
{
	char *root_attrs[] = {"defaultNamingContext", "dsServiceName",
		"highestCommittedUSN", "supportedControl", NULL};
	char *dsa_attrs[] = {"invocationId", NULL};
	LDAPMessage *res = NULL, *e;
	struct berval **v;
	char *usn = NULL;
	size_t i;
	int rc;

	g->round_trips++;
	rc = ldap_search_ext_s(g->ld, "", LDAP_SCOPE_BASE, "(objectClass=*)",
			       root_attrs, 0, NULL, NULL, NULL, 1, &res);
	if (rc != LDAP_SUCCESS || !(e = ldap_first_entry(g->ld, res))) {
		ldap_msgfree(res);
		return ad_fail_ldap(g, rc ? rc : LDAP_NO_SUCH_OBJECT,
				    "reading the rootDSE");
	}
	g->dsa.naming_context = dup_first(g, e, "defaultNamingContext");
	g->dsa.service = dup_first(g, e, "dsServiceName");
	usn = dup_first(g, e, "highestCommittedUSN");
	g->dsa.usn = usn ? strtoll(usn, NULL, 10) : -1;
	free(usn);
	v = ldap_get_values_len(g->ld, e, "supportedControl");
	for (i = 0; v && v[i]; i++)
		if (v[i]->bv_len == strlen(LDAP_CONTROL_X_SHOW_DELETED) &&
		    !memcmp(v[i]->bv_val, LDAP_CONTROL_X_SHOW_DELETED, v[i]->bv_len))
			g->dsa.show_deleted = 1;
	ldap_value_free_len(v);
	ldap_msgfree(res);
	res = NULL;
	if (!g->dsa.service)
		return PULSE_OK;
	/* invocationId lives on the DC's NTDS Settings object */
	g->round_trips++;
	rc = ldap_search_ext_s(g->ld, g->dsa.service, LDAP_SCOPE_BASE,
			       "(objectClass=*)", dsa_attrs, 0, NULL, NULL, NULL,
			       1, &res);
	if (rc == LDAP_SUCCESS && (e = ldap_first_entry(g->ld, res)) &&
	    (v = ldap_get_values_len(g->ld, e, "invocationId"))) {
		char uuid[40];

		if (v[0] && ad_guid_uuid((unsigned char *)v[0]->bv_val,
					 v[0]->bv_len, uuid, sizeof(uuid)) == 0)
			g->dsa.invocation = strdup(uuid);
		else if (v[0])
			g->dsa.invocation = strndup(v[0]->bv_val, v[0]->bv_len);
		ldap_value_free_len(v);
	}
	ldap_msgfree(res);
	return PULSE_OK;
}

void ad_dsa_free(struct ad_dsa *d)
{
	free(d->naming_context);
	free(d->service);
	free(d->invocation);
	memset(d, 0, sizeof(*d));
}

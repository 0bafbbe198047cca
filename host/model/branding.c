/* branding: tenant_branding rows (see branding.h). */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "db/db.h"
#include "model/branding.h"
#include "model/tenant.h"

int branding_color_ok(const char *s, char out[8])
{
	int i;

	if (!s || s[0] != '#' || strlen(s) != 7)
		return 0;
	for (i = 1; i < 7; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	for (i = 0; i < 7; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[7] = '\0';
	return 1;
}

int branding_set(PGconn *c, int64_t tenant, const char *display_name,
		 const char *color, char *err, size_t errlen)
{
	/* $2/$3 NULL = keep, '' = clear (back to the default). */
	static const char sql[] =
		"INSERT INTO tenant_branding (tenant_id, display_name, brand_color) "
		"VALUES ($1, nullif($2, ''), nullif($3, '')) "
		"ON CONFLICT (tenant_id) DO UPDATE SET "
		" display_name = CASE WHEN $2::text IS NULL THEN tenant_branding.display_name "
		"  ELSE nullif($2, '') END,"
		" brand_color = CASE WHEN $3::text IS NULL THEN tenant_branding.brand_color "
		"  ELSE nullif($3, '') END,"
		" updated_at = now()";
	char id[24];
	const char *p[3] = {id, display_name, color};
	PGresult *r;

	snprintf(id, sizeof(id), "%" PRId64, tenant);
	r = tenant_query(c, tenant, sql, 3, p, err, errlen);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

json_object *branding_get(PGconn *c, int64_t tenant, char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT t.id, t.name, b.display_name, b.brand_color FROM tenants t "
		"LEFT JOIN tenant_branding b ON b.tenant_id = t.id WHERE t.id = $1";
	char id[24];
	const char *p[1] = {id};
	json_object *o;
	PGresult *r;

	snprintf(id, sizeof(id), "%" PRId64, tenant);
	r = tenant_query(c, tenant, sql, 1, p, err, errlen);
	if (!r)
		return NULL;
	if (PQntuples(r) != 1) {
		snprintf(err, errlen, "no tenant %" PRId64, tenant);
		PQclear(r);
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "tenant", json_object_new_int64(tenant));
	json_object_object_add(o, "name", json_object_new_string(PQgetvalue(r, 0, 1)));
	json_object_object_add(o, "display_name", PQgetisnull(r, 0, 2) ? NULL :
			       json_object_new_string(PQgetvalue(r, 0, 2)));
	json_object_object_add(o, "brand_color", PQgetisnull(r, 0, 3) ? NULL :
			       json_object_new_string(PQgetvalue(r, 0, 3)));
	PQclear(r);
	return o;
}

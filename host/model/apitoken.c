/* apitoken: recorded machine tokens (see apitoken.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "db/db.h"
#include "model/apitoken.h"
#include "server/auth.h"

void apitoken_new_jti(char *out, size_t len)
{
	unsigned char rnd[16];
	char *b;

	gcry_create_nonce(rnd, sizeof(rnd));
	b = auth_b64url_encode(rnd, sizeof(rnd));
	snprintf(out, len, "%s", b ? b : "");
	free(b);
}

int apitoken_record(PGconn *db, int64_t tenant, const char *jti,
		    const char *role, const char *sub, int64_t exp,
		    int64_t *id, char *err, size_t errlen)
{
	char t[24], e[24];
	const char *p[5] = {db_i64(t, tenant), jti, role, sub, db_i64(e, exp)};
	PGresult *r = db_query(db, err, errlen, "INSERT INTO api_tokens "
			       "(tenant_id, jti, role, sub, expires_at) VALUES "
			       "($1, $2, $3, $4, to_timestamp($5::bigint)) "
			       "RETURNING id", 5, p);

	if (!r)
		return -1;
	*id = db_int64(r, 0, 0);
	PQclear(r);
	return 0;
}

int apitoken_check(PGconn *db, const char *jti, int64_t *id, char *err,
		   size_t errlen)
{
	const char *p[1] = {jti};
	PGresult *r = db_query(db, err, errlen, "SELECT id, revoked_at IS NOT "
			       "NULL FROM api_tokens WHERE jti = $1", 1, p);
	int rc = 1;

	if (!r)
		return -1;
	if (PQntuples(r) == 0)
		snprintf(err, errlen, "token is not recorded in this tenant "
			 "(issued for another database?)");
	else if (*PQgetvalue(r, 0, 1) == 't')
		snprintf(err, errlen, "token %s was revoked (`pulse-host token "
			 "revoke`)", PQgetvalue(r, 0, 0));
	else {
		*id = db_int64(r, 0, 0);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

json_object *apitoken_list_json(PGconn *db, char *err, size_t errlen)
{
	PGresult *r = db_query(db, err, errlen, "SELECT id, role, sub, "
			       "to_char(issued_at AT TIME ZONE 'UTC', "
			       "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), to_char(expires_at "
			       "AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
			       "to_char(revoked_at AT TIME ZONE 'UTC', "
			       "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), CASE WHEN "
			       "revoked_at IS NOT NULL THEN 'revoked' WHEN "
			       "expires_at <= now() THEN 'expired' ELSE 'active' "
			       "END FROM api_tokens ORDER BY id", 0, NULL);
	json_object *arr;
	int i;

	if (!r)
		return NULL;
	arr = json_object_new_array();
	for (i = 0; i < PQntuples(r); i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_int64(db_int64(r, i, 0)));
		json_object_object_add(o, "role", json_object_new_string(PQgetvalue(r, i, 1)));
		json_object_object_add(o, "sub", json_object_new_string(PQgetvalue(r, i, 2)));
		json_object_object_add(o, "issued_at", json_object_new_string(PQgetvalue(r, i, 3)));
		json_object_object_add(o, "expires_at", json_object_new_string(PQgetvalue(r, i, 4)));
		json_object_object_add(o, "revoked_at", PQgetisnull(r, i, 5) ? NULL :
				       json_object_new_string(PQgetvalue(r, i, 5)));
		json_object_object_add(o, "state", json_object_new_string(PQgetvalue(r, i, 6)));
		json_object_array_add(arr, o);
	}
	PQclear(r);
	return arr;
}

int apitoken_revoke(PGconn *db, int64_t id, char *err, size_t errlen)
{
	char i[24];
	const char *p[1] = {db_i64(i, id)};
	PGresult *r = db_query(db, err, errlen, "UPDATE api_tokens SET "
			       "revoked_at = now() WHERE id = $1 AND revoked_at "
			       "IS NULL", 1, p);
	int n;

	if (!r)
		return -1;
	n = atoi(PQcmdTuples(r));
	PQclear(r);
	if (!n)
		snprintf(err, errlen, "no live token %s in this tenant; list them "
			 "with `pulse-host token list --tenant T`", i);
	return n ? 0 : 1;
}

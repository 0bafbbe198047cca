/* integration: integration rows, their sealed secrets, and the API's view
 * of them (see integration.h). */
#include "config.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <json-c/printbuf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crypto.h"
#include "db/db.h"
#include "jobs/jobstate.h"
#include "model/integration.h"
#include "model/tenant.h"

void integration_free(struct integration *in)
{
	if (!in)
		return;
	free(in->name);
	free(in->type);
	free(in->plugin);
	json_object_put(in->settings);
	free(in->credentials);
	memset(in, 0, sizeof(*in));
}

int integration_get(PGconn *c, int64_t id, struct integration *out,
		    char *err, size_t errlen)
{
	char ids[24];
	const char *params[1] = {db_i64(ids, id)};
	PGresult *r = NULL;
	int64_t tenant;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	r = db_query(c, err, errlen, "SELECT host_integration_tenant($1)", 1, params);
	if (!r)
		return -1;
	if (PQgetisnull(r, 0, 0)) {
		snprintf(err, errlen, "no integration %" PRId64 "; list them "
			 "with `pulse-host integration list`", id);
		PQclear(r);
		return 1;
	}
	tenant = db_int64(r, 0, 0);
	PQclear(r);
	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return -1;
	r = db_query(c, err, errlen,
		     "SELECT id, tenant_id, name, type, plugin, settings::text,"
		     " credentials, enabled FROM integrations WHERE id = $1",
		     1, params);
	if (!r)
		goto out;
	if (PQntuples(r) != 1) {
		snprintf(err, errlen, "integration %" PRId64 " vanished while "
			 "being read", id);
		goto out;
	}
	out->id = db_int64(r, 0, 0);
	out->tenant_id = db_int64(r, 0, 1);
	out->name = strdup(PQgetvalue(r, 0, 2));
	out->type = strdup(PQgetvalue(r, 0, 3));
	out->plugin = strdup(PQgetvalue(r, 0, 4));
	out->settings = json_tokener_parse(PQgetvalue(r, 0, 5));
	out->enabled = PQgetvalue(r, 0, 7)[0] == 't';
	if (!PQgetisnull(r, 0, 6)) {
		out->credentials = PQunescapeBytea(
			(const unsigned char *)PQgetvalue(r, 0, 6), &out->credlen);
		if (!out->credentials)
			goto oom;
	}
	if (!out->name || !out->type || !out->plugin || !out->settings)
		goto oom;
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory reading integration %" PRId64, id);
out:
	PQclear(r);
	if (rc == 0)
		rc = db_commit(c, err, errlen);
	else
		db_rollback(c);
	if (rc != 0)
		integration_free(out);
	return rc;
}

/* Wipe every string inside a secrets object (in place), then put it. */
void integration_secrets_free(struct json_object *secrets)
{
	if (!secrets)
		return;
	json_object_object_foreach(secrets, key, v) {
		size_t i, n;

		(void)key;
		if (json_object_is_type(v, json_type_string)) {
			crypto_wipe((char *)json_object_get_string(v),
				    (size_t)json_object_get_string_len(v));
			continue;
		}
		if (!json_object_is_type(v, json_type_array))
			continue;
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(v, i);

			if (json_object_is_type(e, json_type_string))
				crypto_wipe((char *)json_object_get_string(e),
					    (size_t)json_object_get_string_len(e));
		}
	}
	json_object_put(secrets);
}

/*
 * Parse decrypted credentials. json-c's tokener copies every string value
 * through its own buffer and frees it unwiped, so we own the tokener and
 * wipe that buffer before letting it go. Returns a new object or NULL.
 */
static struct json_object *secrets_parse(const char *plain, size_t n)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = NULL;

	if (!tok || n > (size_t)INT32_MAX)
		goto out;
	o = json_tokener_parse_ex(tok, plain, (int)n);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	if (tok->pb && tok->pb->buf)
		crypto_wipe(tok->pb->buf, (size_t)tok->pb->size);
out:
	json_tokener_free(tok);
	return o;
}

int integration_secrets(const struct integration *in,
			const struct crypto_key *key,
			struct json_object **out, char *err, size_t errlen)
{
	char *plain = NULL;
	size_t n;

	*out = NULL;
	if (!in->credentials || in->credlen == 0) {
		*out = json_object_new_object();
		return *out ? 0 : -1;
	}
	if (crypto_open(key, in->tenant_id, in->id, in->credentials, in->credlen,
			&plain, &n, err, errlen) < 0)
		return -1;
	*out = secrets_parse(plain, n);
	crypto_wipe(plain, n);
	free(plain);
	if (!*out || !json_object_is_type(*out, json_type_object)) {
		json_object_put(*out);
		*out = NULL;
		snprintf(err, errlen, "credentials of integration %" PRId64
			 " decrypted but are not a JSON object; set them again "
			 "with `pulse-host integration set-secret`", in->id);
		return -1;
	}
	return 0;
}

/* "\x<hex>" text for a bytea parameter; caller frees. */
static char *bytea_hex(const unsigned char *b, size_t n)
{
	char *s = malloc(2 * n + 3);
	size_t i;

	if (!s)
		return NULL;
	s[0] = '\\';
	s[1] = 'x';
	for (i = 0; i < n; i++)
		snprintf(s + 2 + 2 * i, 3, "%02x", b[i]);
	s[2 + 2 * n] = '\0';
	return s;
}

/* Seal secrets for (tenant, id) into a bytea parameter text; NULL when
 * there are none (*none set) or on error (err set). Caller frees. */
static char *seal_param(const struct crypto_key *key, int64_t tenant,
			int64_t id, struct json_object *secrets, int *none,
			char *err, size_t errlen)
{
	const char *plain;
	unsigned char *blob = NULL;
	size_t len;
	char *hex;

	*none = !secrets || json_object_object_length(secrets) == 0;
	if (*none)
		return NULL;
	plain = json_object_to_json_string_ext(secrets, JSON_C_TO_STRING_PLAIN);
	if (crypto_seal(key, tenant, id, plain, strlen(plain), &blob, &len,
			err, errlen) < 0)
		return NULL;
	/* json-c keeps the serialisation inside the object; wipe it */
	crypto_wipe((char *)plain, strlen(plain));
	hex = bytea_hex(blob, len);
	free(blob);
	if (!hex)
		snprintf(err, errlen, "out of memory");
	return hex;
}

int integration_add(PGconn *c, const struct crypto_key *key,
		    int64_t tenant_id, const char *name, const char *type,
		    const char *plugin, struct json_object *settings,
		    struct json_object *secrets, int64_t *id, char *err,
		    size_t errlen)
{
	char ten[24], ids[24], *cred = NULL;
	const char *params[5];
	PGresult *r = NULL;
	const char *state;
	int rc = -1, none;

	params[0] = db_i64(ten, tenant_id);
	params[1] = name;
	params[2] = type;
	params[3] = plugin;
	params[4] = json_object_to_json_string_ext(settings, JSON_C_TO_STRING_PLAIN);
	if (db_tenant_begin(c, tenant_id, err, errlen) < 0)
		return -1;
	r = PQexecParams(c, "INSERT INTO integrations (tenant_id, name, type,"
			 " plugin, settings) VALUES ($1, $2, $3, $4, $5::jsonb)"
			 " RETURNING id", 5, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		if (state && strcmp(state, "23505") == 0)
			snprintf(err, errlen, "the tenant already has an "
				 "integration named '%s'; pick another with "
				 "--name", name);
		else
			snprintf(err, errlen, "cannot add integration: %s",
				 PQresultErrorMessage(r));
		goto out;
	}
	*id = db_int64(r, 0, 0);
	PQclear(r);
	r = NULL;
	/* The id is part of the associated data, so seal after insert. */
	cred = seal_param(key, tenant_id, *id, secrets, &none, err, errlen);
	if (!cred && !none)
		goto out;
	if (cred) {
		const char *p2[2] = {db_i64(ids, *id), cred};

		if (!(r = db_query(c, err, errlen, "UPDATE integrations SET "
				   "credentials = $2::bytea WHERE id = $1", 2, p2)))
			goto out;
		PQclear(r);
		r = NULL;
	}
	if (strcmp(type, "Data") == 0) {
		if (jobstate_create(c, tenant_id, *id, NULL, err, errlen) < 0)
			goto out;
	}
	rc = db_commit(c, err, errlen);
out:
	PQclear(r);
	free(cred);
	if (rc < 0)
		db_rollback(c);
	return rc;
}

int integration_set_credentials(PGconn *c, const struct crypto_key *key,
				const struct integration *in,
				struct json_object *secrets, char *err,
				size_t errlen)
{
	char ids[24], *cred;
	const char *params[2];
	PGresult *r = NULL;
	int none, rc = -1;

	cred = seal_param(key, in->tenant_id, in->id, secrets, &none, err, errlen);
	if (!cred && !none)
		return -1;
	params[0] = db_i64(ids, in->id);
	params[1] = cred;
	if (db_tenant_begin(c, in->tenant_id, err, errlen) < 0)
		goto out;
	r = db_query(c, err, errlen, "UPDATE integrations SET credentials = "
		     "$2::bytea, updated_at = now() WHERE id = $1", 2, params);
	if (!r) {
		db_rollback(c);
		goto out;
	}
	rc = db_commit(c, err, errlen);
out:
	PQclear(r);
	free(cred);
	return rc;
}

#define INTEGRATION_COLUMNS \
	"SELECT i.id, i.name, i.type, i.plugin, i.settings, i.enabled," \
	" i.credentials IS NOT NULL AS has_credentials, i.created_at," \
	" i.updated_at, j.id AS job_id, j.state AS job_state" \
	" FROM integrations i LEFT JOIN etl_jobs j ON j.integration_id = i.id"

PGresult *integration_rows(PGconn *c, int64_t tenant, int64_t id,
			   char *err, size_t errlen)
{
	char ids[24];
	const char *p[1] = {db_i64(ids, id)};

	if (id <= 0)
		return tenant_query(c, tenant, INTEGRATION_COLUMNS
				    " ORDER BY i.id", 0, NULL, err, errlen);
	return tenant_query(c, tenant, INTEGRATION_COLUMNS " WHERE i.id = $1",
			    1, p, err, errlen);
}

/* One UPDATE integrations SET <column> = $2 of id $1. */
static int update_column(PGconn *c, const char *sql, const char *id,
			 const char *value, char *err, size_t errlen)
{
	const char *p[2] = {id, value};
	PGresult *r = db_query(c, err, errlen, sql, 2, p);

	PQclear(r);
	return r ? 0 : -1;
}

int integration_update(PGconn *c, int64_t tenant, int64_t id,
		       const char *settings_json, int enabled, const char *name,
		       char *err, size_t errlen)
{
	char ids[24];

	db_i64(ids, id);
	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return -1;
	if (settings_json &&
	    update_column(c, "UPDATE integrations SET settings = $2::jsonb,"
			  " updated_at = now() WHERE id = $1", ids,
			  settings_json, err, errlen) < 0)
		goto fail;
	if (enabled >= 0 &&
	    update_column(c, "UPDATE integrations SET enabled = $2::boolean,"
			  " updated_at = now() WHERE id = $1", ids,
			  enabled ? "true" : "false", err, errlen) < 0)
		goto fail;
	if (name &&
	    update_column(c, "UPDATE integrations SET name = $2,"
			  " updated_at = now() WHERE id = $1", ids, name, err,
			  errlen) < 0)
		goto fail;
	if (db_commit(c, err, errlen) == 0)
		return 0;
fail:
	db_rollback(c);
	return -1;
}

int integration_delete(PGconn *c, int64_t tenant, int64_t id, char *err,
		       size_t errlen)
{
	char ids[24];
	const char *p[1] = {db_i64(ids, id)};
	PGresult *r;
	int rc;

	r = tenant_query(c, tenant, "DELETE FROM integrations i WHERE id = $1"
			 " AND NOT EXISTS (SELECT 1 FROM etl_jobs j WHERE"
			 " j.integration_id = i.id AND j.state = 'RUNNING')"
			 " RETURNING id", 1, p, err, errlen);
	if (!r)
		return -1;
	rc = PQntuples(r) == 1 ? 0 : -2;
	PQclear(r);
	if (rc == 0)
		return 0;
	r = tenant_query(c, tenant, "SELECT 1 FROM integrations WHERE id = $1",
			 1, p, err, errlen);
	if (!r)
		return -1;
	rc = PQntuples(r) == 1 ? INTEGRATION_RUNNING : INTEGRATION_NOTFOUND;
	PQclear(r);
	return rc;
}

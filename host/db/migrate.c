/* migrate: apply the embedded schema migrations, once each, in order. */
#include "config.h"

#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crypto.h"
#include "db/db.h"
#include "db/migrate.h"
#include "base/strbuf.h"

/* Serialises concurrent `migrate` runs on one database. */
#define MIGRATE_LOCK "SELECT pg_advisory_lock(7245301)"
#define MIGRATE_UNLOCK "SELECT pg_advisory_unlock(7245301)"

void migrate_checksum(const char *s, char hex[65])
{
	unsigned char d[32];
	int i;

	crypto_init(NULL, 0);
	gcry_md_hash_buffer(GCRY_MD_SHA256, d, s, strlen(s));
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* "001_core.sql" -> version "001", name "core". */
static void split_file(const char *file, char *ver, size_t vlen, char *name,
		       size_t nlen)
{
	const char *us = strchr(file, '_'), *dot = strrchr(file, '.');

	if (!us || !dot || dot < us) {
		snprintf(ver, vlen, "%s", file);
		snprintf(name, nlen, "%s", file);
		return;
	}
	snprintf(ver, vlen, "%.*s", (int)(us - file), file);
	snprintf(name, nlen, "%.*s", (int)(dot - us - 1), us + 1);
}

static int ensure_table(PGconn *c, char *err, size_t errlen)
{
	return db_exec(c,
		"CREATE TABLE IF NOT EXISTS schema_migrations ("
		" version text PRIMARY KEY,"
		" name text NOT NULL,"
		" checksum text NOT NULL,"
		" applied_at timestamptz NOT NULL DEFAULT now())",
		err, errlen);
}

/* Applied rows (version, name, checksum, applied_at), or NULL. A missing
 * table reads as no rows. */
static PGresult *applied_rows(PGconn *c, char *err, size_t errlen)
{
	PGresult *r = db_query(c, err, errlen,
		"SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL);
	int exists;

	if (!r)
		return NULL;
	exists = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return db_query(c, err, errlen, exists ?
		"SELECT version, name, checksum, "
		" to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
		" FROM schema_migrations ORDER BY version" :
		"SELECT ''::text, ''::text, ''::text, ''::text WHERE false",
		0, NULL);
}

static int find_applied(PGresult *r, const char *ver)
{
	int i;

	for (i = 0; i < PQntuples(r); i++)
		if (strcmp(PQgetvalue(r, i, 0), ver) == 0)
			return i;
	return -1;
}

int migrate_apply(PGconn *c, FILE *out, int *applied, char *err,
		  size_t errlen)
{
	PGresult *done = NULL;
	const struct migration *m;
	int rc = -1, locked = 0;
	char e2[512];

	*applied = 0;
	if (db_exec(c, MIGRATE_LOCK, err, errlen) < 0)
		goto out;
	locked = 1;
	if (ensure_table(c, err, errlen) < 0)
		goto out;
	if (!(done = applied_rows(c, err, errlen)))
		goto out;
	for (m = migrate_files; m->file; m++) {
		char ver[32], name[128], sum[65];
		const char *params[3];
		PGresult *r;
		int i;

		split_file(m->file, ver, sizeof(ver), name, sizeof(name));
		migrate_checksum(m->sql, sum);
		i = find_applied(done, ver);
		if (i >= 0) {
			if (strcmp(PQgetvalue(done, i, 2), sum) != 0) {
				snprintf(err, errlen, "migration %s was applied "
					 "at %s with checksum %.12s, but the "
					 "embedded file now has %.12s; applied "
					 "migrations must never change: put the "
					 "change in a new numbered file",
					 m->file, PQgetvalue(done, i, 3),
					 PQgetvalue(done, i, 2), sum);
				goto out;
			}
			continue;
		}
		if (db_begin(c, err, errlen) < 0)
			goto out;
		if (db_exec(c, m->sql, e2, sizeof(e2)) < 0) {
			snprintf(err, errlen, "migration %s failed (rolled "
				 "back): %s", m->file, e2);
			db_rollback(c);
			goto out;
		}
		params[0] = ver;
		params[1] = name;
		params[2] = sum;
		r = db_query(c, err, errlen,
			     "INSERT INTO schema_migrations (version, name, checksum)"
			     " VALUES ($1, $2, $3)", 3, params);
		if (!r) {
			db_rollback(c);
			goto out;
		}
		PQclear(r);
		if (db_commit(c, err, errlen) < 0)
			goto out;
		(*applied)++;
		if (out)
			fprintf(out, "applied %s\n", m->file);
	}
	rc = 0;
out:
	PQclear(done);
	if (locked) {
		PGresult *r = PQexec(c, MIGRATE_UNLOCK);

		PQclear(r);
	}
	return rc;
}

int migrate_status(PGconn *c, FILE *out, char *err, size_t errlen)
{
	PGresult *done = applied_rows(c, err, errlen);
	const struct migration *m;
	int i;

	if (!done)
		return -1;
	fprintf(out, "%-8s %-24s %s\n", "VERSION", "NAME", "STATE");
	for (m = migrate_files; m->file; m++) {
		char ver[32], name[128], sum[65];

		split_file(m->file, ver, sizeof(ver), name, sizeof(name));
		migrate_checksum(m->sql, sum);
		i = find_applied(done, ver);
		if (i < 0)
			fprintf(out, "%-8s %-24s pending\n", ver, name);
		else if (strcmp(PQgetvalue(done, i, 2), sum) != 0)
			fprintf(out, "%-8s %-24s CHANGED since applied at %s\n",
				ver, name, PQgetvalue(done, i, 3));
		else
			fprintf(out, "%-8s %-24s applied %s\n", ver, name,
				PQgetvalue(done, i, 3));
	}
	/* Versions in the database this binary does not know. */
	for (i = 0; i < PQntuples(done); i++) {
		int known = 0;

		for (m = migrate_files; m->file; m++) {
			char ver[32], name[128];

			split_file(m->file, ver, sizeof(ver), name, sizeof(name));
			known |= strcmp(ver, PQgetvalue(done, i, 0)) == 0;
		}
		if (!known)
			fprintf(out, "%-8s %-24s applied %s (unknown to this "
				"binary: it is older than the database)\n",
				PQgetvalue(done, i, 0), PQgetvalue(done, i, 1),
				PQgetvalue(done, i, 3));
	}
	PQclear(done);
	return 0;
}

int migrate_summary(PGconn *c, struct migrate_summary *s, char *err,
		    size_t errlen)
{
	PGresult *done = applied_rows(c, err, errlen);
	const struct migration *m;
	int i;

	memset(s, 0, sizeof(*s));
	if (!done)
		return -1;
	for (m = migrate_files; m->file; m++) {
		char ver[32], name[128], sum[65];

		split_file(m->file, ver, sizeof(ver), name, sizeof(name));
		migrate_checksum(m->sql, sum);
		s->known++;
		i = find_applied(done, ver);
		if (i < 0)
			s->pending++;
		else if (strcmp(PQgetvalue(done, i, 2), sum) != 0)
			s->changed++;
		else
			s->applied++;
	}
	for (i = 0; i < PQntuples(done); i++) {
		int known = 0;

		for (m = migrate_files; m->file; m++) {
			char ver[32], name[128];

			split_file(m->file, ver, sizeof(ver), name, sizeof(name));
			known |= strcmp(ver, PQgetvalue(done, i, 0)) == 0;
		}
		s->unknown += !known;
		/* rows come ordered by version (zero-padded text) */
		snprintf(s->latest, sizeof(s->latest), "%s", PQgetvalue(done, i, 0));
	}
	PQclear(done);
	return 0;
}

/* Quote an identifier with the server's rules; caller PQfreemem()s. */
static char *ident(PGconn *c, const char *s, char *err, size_t errlen)
{
	char *q = PQescapeIdentifier(c, s, strlen(s));

	if (!q)
		snprintf(err, errlen, "bad role name '%s': %s", s,
			 PQerrorMessage(c));
	return q;
}

int migrate_app_role(PGconn *c, const char *role, const char *password,
		     FILE *out, char *err, size_t errlen)
{
	struct strbuf sql = STRBUF_INIT;
	char *qr = NULL, *qpw = NULL;
	PGresult *r = NULL;
	const char *params[1] = {role};
	char qs[256];
	int rc = -1, exists;

	if (!(qr = ident(c, role, err, errlen)))
		goto out;
	if (!(r = db_query(c, err, errlen,
			   "SELECT quote_ident(current_schema()), "
			   " (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = $1)",
			   1, params)))
		goto out;
	snprintf(qs, sizeof(qs), "%s", PQgetvalue(r, 0, 0));
	exists = !PQgetisnull(r, 0, 1);
	if (exists && PQgetvalue(r, 0, 1)[0] == 't') {
		snprintf(err, errlen, "role '%s' is a superuser or has BYPASSRLS, "
			 "which would defeat tenant isolation; pick another "
			 "name for the app role", role);
		goto out;
	}
	if (password) {
		qpw = PQescapeLiteral(c, password, strlen(password));
		if (!qpw) {
			snprintf(err, errlen, "cannot quote the password: %s",
				 PQerrorMessage(c));
			goto out;
		}
	}
	if (db_begin(c, err, errlen) < 0)
		goto out;
	sb_addf(&sql, "%s ROLE %s %sLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB "
		"NOCREATEROLE%s%s", exists ? "ALTER" : "CREATE", qr,
		exists ? "WITH " : "", qpw ? " PASSWORD " : "", qpw ? qpw : "");
	PQclear(r);
	r = sql.buf ? PQexec(c, sql.buf) : NULL;
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		/* never echo the statement: it holds the password */
		snprintf(err, errlen, "cannot %s role '%s': %s; migrate needs a "
			 "superuser (or CREATEROLE) admin URL",
			 exists ? "alter" : "create", role, PQerrorMessage(c));
		goto fail;
	}
	crypto_wipe(sql.buf, sql.len);
	sb_reset(&sql);
	sb_addf(&sql,
		"DO $$ BEGIN EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %%I TO %s', current_database()); END $$;"
		"GRANT USAGE ON SCHEMA %s TO %s;"
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %s TO %s;"
		"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %s TO %s;"
		"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA %s TO %s;"
		/* tenants has no RLS: the daemon may list and add tenants,
		 * never rename or drop them (that stays with the owner). */
		"REVOKE UPDATE, DELETE ON tenants FROM %s;"
		"REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM %s;"
		/* 070_ask.sql takes advisory locks from PUBLIC (the query
		 * role); housekeeping's one-run-per-database lock needs them */
		"GRANT EXECUTE ON FUNCTION pg_catalog.pg_try_advisory_lock(bigint),"
		" pg_catalog.pg_advisory_unlock(bigint) TO %s;"
		/* tables of later migrations, created by this same role */
		"ALTER DEFAULT PRIVILEGES IN SCHEMA %s GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %s;"
		"ALTER DEFAULT PRIVILEGES IN SCHEMA %s GRANT USAGE, SELECT ON SEQUENCES TO %s;"
		"ALTER DEFAULT PRIVILEGES IN SCHEMA %s GRANT EXECUTE ON FUNCTIONS TO %s;"
		/* `ask` runs generated SQL under SET LOCAL ROLE pulse_query
		 * (070_ask.sql), which needs membership */
		"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pulse_query') "
		"THEN EXECUTE 'GRANT pulse_query TO %s'; END IF; END $$",
		qr, qs, qr, qs, qr, qs, qr, qs, qr, qr, qr, qr, qs, qr, qs, qr, qs, qr, qr);
	if (!sql.buf || db_exec(c, sql.buf, err, errlen) < 0)
		goto fail;
	/* The audit log is append-only for the app role (093_audit.sql). */
	sb_reset(&sql);
	sb_addf(&sql, "DO $$ BEGIN IF to_regclass('audit_events') IS NOT NULL "
		"THEN EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON audit_events "
		"FROM %s'; END IF; END $$", qr);
	if (!sql.buf || db_exec(c, sql.buf, err, errlen) < 0)
		goto fail;
	if (db_commit(c, err, errlen) < 0)
		goto out;
	if (out)
		fprintf(out, "app role %s: %s; granted rights on tables, "
			"sequences and functions (no BYPASSRLS)\n", role,
			exists ? "updated" : "created");
	rc = 0;
	goto out;
fail:
	db_rollback(c);
out:
	PQclear(r);
	PQfreemem(qr);
	if (qpw) {
		crypto_wipe(qpw, strlen(qpw));
		PQfreemem(qpw);
	}
	if (sql.buf)
		crypto_wipe(sql.buf, sql.len);
	sb_free(&sql);
	return rc;
}

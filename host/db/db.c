/* db: libpq helpers shared by every subsystem that talks to PostgreSQL. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "base/conf.h"
#include "base/log.h"

/* Session limits for every new connection (db_set_timeouts). */
static int stmt_timeout_ms = CONF_DEFAULT_STATEMENT_TIMEOUT_MS;
static int lock_timeout_ms = CONF_DEFAULT_LOCK_TIMEOUT_MS;
/* SQLSTATE of this thread's last failed statement ("" if none). */
static __thread char last_sqlstate[6];

void db_set_timeouts(int statement_ms, int lock_ms)
{
	stmt_timeout_ms = statement_ms;
	lock_timeout_ms = lock_ms;
}

const char *db_last_sqlstate(void)
{
	return last_sqlstate;
}

int db_last_was_timeout(void)
{
	/* 57014 query_canceled (statement_timeout), 55P03 lock_not_available. */
	return strcmp(last_sqlstate, "57014") == 0 ||
	       strcmp(last_sqlstate, "55P03") == 0;
}

static void note_sqlstate(const PGresult *r)
{
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	snprintf(last_sqlstate, sizeof(last_sqlstate), "%s", st ? st : "");
}

void db_mask_url(const char *url, char *out, size_t outlen)
{
	conf_mask_url(url, out, outlen);
}

/* The server's message without the trailing newline. */
static void pq_msg(PGconn *c, const PGresult *r, const char *what, char *err,
		   size_t errlen)
{
	const char *m = r ? PQresultErrorMessage(r) : NULL;
	size_t n;

	if (!m || !*m)
		m = c ? PQerrorMessage(c) : "no connection";
	n = strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	snprintf(err, errlen, "%s: %.*s", what, (int)n, m);
}

/* Server notices (e.g. "already exists, skipping") are noise for users. */
static void notice(void *arg, const char *msg)
{
	size_t n = strlen(msg);

	(void)arg;
	while (n && msg[n - 1] == '\n')
		n--;
	log_debug("DB", "notice=\"%.*s\"", (int)n, msg);
}

PGconn *db_connect(const char *url, char *err, size_t errlen)
{
	const char *keys[] = {"dbname", "application_name", "client_encoding",
			      "options", NULL};
	char opts[128];
	const char *vals[] = {url, "pulse-host", "UTF8", opts, NULL};
	PGconn *c;
	char masked[512];

	/* Bounded waits: a locked table or a runaway query fails the call
	 * instead of holding its caller (the event loop, a job) for ever. */
	snprintf(opts, sizeof(opts), "-c TimeZone=UTC -c statement_timeout=%d "
		 "-c lock_timeout=%d", stmt_timeout_ms, lock_timeout_ms);
	/* expand_dbname: dbname may be a full URL or key=value string. */
	c = PQconnectdbParams(keys, vals, 1);
	if (c && PQstatus(c) == CONNECTION_OK) {
		PQsetNoticeProcessor(c, notice, NULL);
		return c;
	}
	db_mask_url(url, masked, sizeof(masked));
	{
		const char *m = c ? PQerrorMessage(c) : "out of memory";
		size_t n = strlen(m);

		while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
			n--;
		snprintf(err, errlen, "cannot connect to database %s: %.*s; "
			 "check database_url in the configuration (or "
			 "PULSE_HOST_DATABASE_URL) and that the server is up",
			 masked, (int)n, m);
	}
	PQfinish(c);
	return NULL;
}

int db_exec(PGconn *c, const char *sql, char *err, size_t errlen)
{
	PGresult *r;
	ExecStatusType st;
	int rc = 0;

	last_sqlstate[0] = '\0';
	r = PQexec(c, sql);
	st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		char what[96];

		note_sqlstate(r);
		snprintf(what, sizeof(what), "%.80s", sql);
		pq_msg(c, r, what, err, errlen);
		rc = -1;
	}
	PQclear(r);
	return rc;
}

PGresult *db_query(PGconn *c, char *err, size_t errlen, const char *sql,
		   int n, const char *const *params)
{
	PGresult *r;
	ExecStatusType st;

	last_sqlstate[0] = '\0';
	r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return r;
	note_sqlstate(r);
	pq_msg(c, r, "query failed", err, errlen);
	PQclear(r);
	return NULL;
}

int db_tenant_begin(PGconn *c, int64_t tenant_id, char *err, size_t errlen)
{
	char sql[96];

	if (tenant_id <= 0) {
		snprintf(err, errlen, "internal error: tenant id %" PRId64
			 " is not valid", tenant_id);
		return -1;
	}
	/* The id is an integer we format ourselves: no injection possible. */
	snprintf(sql, sizeof(sql), "BEGIN; SET LOCAL app.tenant_id = '%" PRId64 "'",
		 tenant_id);
	if (db_exec(c, sql, err, errlen) < 0) {
		db_rollback(c);
		return -1;
	}
	return 0;
}

int db_begin(PGconn *c, char *err, size_t errlen)
{
	return db_exec(c, "BEGIN", err, errlen);
}

int db_commit(PGconn *c, char *err, size_t errlen)
{
	if (db_exec(c, "COMMIT", err, errlen) < 0) {
		db_rollback(c);
		return -1;
	}
	return 0;
}

void db_rollback(PGconn *c)
{
	PGresult *r;

	if (!c || PQtransactionStatus(c) == PQTRANS_IDLE ||
	    PQtransactionStatus(c) == PQTRANS_UNKNOWN)
		return;
	r = PQexec(c, "ROLLBACK");
	PQclear(r);
}

int db_error_is_transient(const PGresult *r)
{
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	if (!st)
		return 1; /* no SQLSTATE: the connection failed */
	return strncmp(st, "08", 2) == 0 ||    /* connection exception */
	       strcmp(st, "40001") == 0 ||     /* serialization failure */
	       strcmp(st, "40P01") == 0 ||     /* deadlock */
	       strncmp(st, "53", 2) == 0 ||    /* insufficient resources */
	       strncmp(st, "57P", 3) == 0;     /* admin shutdown etc. */
}

int db_conn_lost(PGconn *c)
{
	return !c || PQstatus(c) != CONNECTION_OK;
}

int64_t db_int64(const PGresult *r, int row, int col)
{
	if (!r || row >= PQntuples(r) || col >= PQnfields(r) ||
	    PQgetisnull(r, row, col))
		return 0;
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

const char *db_i64(char *buf, int64_t v)
{
	snprintf(buf, 24, "%" PRId64, v);
	return buf;
}

static char owner_buf[300];

const char *db_owner_id(void)
{
	char host[256];

	if (!owner_buf[0] || getpid() != (pid_t)strtol(strrchr(owner_buf, ':') + 1,
						       NULL, 10)) {
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		snprintf(owner_buf, sizeof(owner_buf), "%s:%ld", host,
			 (long)getpid());
	}
	return owner_buf;
}

int db_owner_same_host(const char *owner)
{
	const char *me = db_owner_id(), *c = owner ? strrchr(owner, ':') : NULL;
	size_t n;

	if (!c)
		return 0;
	n = (size_t)(c - owner);
	return strncmp(owner, me, n) == 0 && me[n] == ':';
}

int db_owner_alive(const char *owner)
{
	const char *me = db_owner_id(), *colon;
	char *end;
	long pid;

	if (!owner || !*owner)
		return 0;
	colon = strrchr(owner, ':');
	if (!colon || strncmp(owner, me, (size_t)(colon - owner)) != 0 ||
	    me[colon - owner] != ':')
		return 0; /* another host: we cannot tell */
	pid = strtol(colon + 1, &end, 10);
	if (*end || pid <= 0)
		return 0;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

int db_check_rls_role(PGconn *c, const char *cmd, char *err, size_t errlen)
{
	/* pg_has_role(..., 'USAGE') is how PostgreSQL decides ownership for
	 * RLS: a member inheriting the owner's privileges bypasses it too. */
	static const char sql[] =
		"SELECT r.rolname, r.rolsuper, r.rolbypassrls,"
		" (SELECT string_agg(c.relname, ', ' ORDER BY c.relname)"
		"  FROM pg_class c WHERE c.relkind IN ('r', 'p')"
		"  AND c.relrowsecurity AND NOT c.relforcerowsecurity"
		"  AND pg_has_role(current_user, c.relowner, 'USAGE'))"
		" FROM pg_roles r WHERE r.rolname = current_user";
	char qerr[512];
	PGresult *r = db_query(c, qerr, sizeof(qerr), sql, 0, NULL);
	const char *role, *owned;
	const char *sep = cmd && *cmd ? ": " : "";
	int rc = -1;

	if (!cmd)
		cmd = "";
	if (!r || PQntuples(r) != 1) {
		snprintf(err, errlen, "%s%scannot check the database role: %s",
			 cmd, sep, r ? "no such role" : qerr);
		goto out;
	}
	role = PQgetvalue(r, 0, 0);
	owned = PQgetisnull(r, 0, 3) ? NULL : PQgetvalue(r, 0, 3);
	if (strcmp(PQgetvalue(r, 0, 1), "t") == 0 ||
	    strcmp(PQgetvalue(r, 0, 2), "t") == 0) {
		snprintf(err, errlen, "%s%srefusing to serve tenants as database "
			 "role '%s': it is %s, so row-level security would not "
			 "isolate tenants. Set database_url to the application "
			 "role made by `pulse-host migrate --app-role` (the admin "
			 "URL is for migrate only)", cmd, sep, role,
			 strcmp(PQgetvalue(r, 0, 1), "t") == 0 ? "a superuser" :
			 "BYPASSRLS");
		goto out;
	}
	if (owned) {
		snprintf(err, errlen, "%s%srefusing to serve tenants as database "
			 "role '%s': it owns tables whose row-level security is "
			 "not FORCEd (%.200s), so their owner sees every tenant. "
			 "Run `pulse-host migrate` again, or ALTER TABLE ... FORCE "
			 "ROW LEVEL SECURITY, or connect as a role that owns "
			 "nothing", cmd, sep, role, owned);
		goto out;
	}
	rc = 0;
out:
	PQclear(r);
	return rc;
}

int db_require_rls(const char *url, const char *cmd, char *err, size_t errlen)
{
	char e[1024];
	PGconn *c = db_connect(url, e, sizeof(e));
	int rc;

	if (!c) {
		snprintf(err, errlen, "%s: %s", cmd, e);
		return -1;
	}
	rc = db_check_rls_role(c, cmd, err, errlen);
	PQfinish(c);
	return rc;
}

PGconn *db_connect_tenant(const char *url, char *err, size_t errlen)
{
	PGconn *c = db_connect(url, err, errlen);

	if (c && db_check_rls_role(c, NULL, err, errlen) < 0) {
		PQfinish(c);
		c = NULL;
	}
	return c;
}

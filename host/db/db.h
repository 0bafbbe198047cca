/* db: libpq helpers. Business tables are only ever touched inside
 * db_tenant_begin(), which scopes the transaction to one tenant (RLS). */
#ifndef PULSE_DB_H
#define PULSE_DB_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

/*
 * Connect to url. On failure returns NULL and err says which database
 * (password masked) and what to do. The caller owns the connection
 * (PQfinish). The session gets application_name "pulse-host" and
 * client_encoding UTF8.
 */
PGconn *db_connect(const char *url, char *err, size_t errlen);

/*
 * Refuse a role under which row-level security does not isolate tenants:
 * a superuser, a BYPASSRLS role, or the owner (directly or through
 * membership) of a table with RLS enabled but not FORCEd. Returns 0, or
 * -1 with err naming the role, what is wrong and what to do. `cmd` names
 * the command for the message.
 */
int db_check_rls_role(PGconn *c, const char *cmd, char *err, size_t errlen);
/* Connect to url, db_check_rls_role, disconnect. 0 or -1 (err). */
/* (A NULL or empty cmd leaves the "cmd: " prefix out of err.) */
int db_require_rls(const char *url, const char *cmd, char *err, size_t errlen);
/*
 * db_connect for a command that serves tenants: the connection only if
 * db_check_rls_role accepts its role; else NULL with err (no prefix).
 * The caller owns the connection (PQfinish).
 */
PGconn *db_connect_tenant(const char *url, char *err, size_t errlen);

/* statement_timeout and lock_timeout (ms, 0 = none) of the connections
 * db_connect makes from now on (the configuration's database group). */
void db_set_timeouts(int statement_ms, int lock_ms);
/* SQLSTATE of the calling thread's last failed db_exec/db_query ("" when
 * there was none or the connection failed). */
const char *db_last_sqlstate(void);
/* True if that failure was statement_timeout or lock_timeout. */
int db_last_was_timeout(void);

/* url with any password replaced by "***", into out. */
void db_mask_url(const char *url, char *out, size_t outlen);

/* Run one parameterless statement (or several separated by ';').
 * Returns 0, or -1 with "what failed: server message" in err. */
int db_exec(PGconn *c, const char *sql, char *err, size_t errlen);

/*
 * Run sql with n text parameters (NULL entries are SQL NULL). Returns the
 * result (caller PQclear()s it) when it is COMMAND_OK or TUPLES_OK, else
 * NULL with the server's message in err.
 */
PGresult *db_query(PGconn *c, char *err, size_t errlen, const char *sql,
		   int n, const char *const *params);

/* "BEGIN; SET LOCAL app.tenant_id = '<id>'". Returns 0 or -1 (err). */
int db_tenant_begin(PGconn *c, int64_t tenant_id, char *err, size_t errlen);
/* Plain BEGIN, for the few cross-tenant calls (SECURITY DEFINER functions). */
int db_begin(PGconn *c, char *err, size_t errlen);
int db_commit(PGconn *c, char *err, size_t errlen);
/* Roll back if a transaction is open; never fails loudly. */
void db_rollback(PGconn *c);

/* SQLSTATE classes worth a retry (connection lost, serialization,
 * deadlock, too many connections). */
int db_error_is_transient(const PGresult *r);
/* True if the connection is gone (so the caller reconnects). */
int db_conn_lost(PGconn *c);

/* Parse a decimal int64 (a result cell); 0 on NULL or garbage. */
int64_t db_int64(const PGresult *r, int row, int col);
/* Format an int64 into buf (>= 24 bytes); returns buf. */
const char *db_i64(char *buf, int64_t v);

/* "host:pid" of this process, used as the owner of claimed rows. */
const char *db_owner_id(void);
/* True only if owner ("host:pid") is a live process on this host. An
 * owner on another host is "not known alive": callers judge it by age. */
int db_owner_alive(const char *owner);
/* True if owner ("host:pid") names this host. */
int db_owner_same_host(const char *owner);

#endif

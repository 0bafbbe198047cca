/*
 * cli_audit: who runs a command, and the audit log record of a change made
 * from the command line (audit_events, 093_audit.sql; docs/auth.md). The
 * API audits its own changes (host/server/api.c); these are the CLI's.
 */
#ifndef PULSE_CLI_AUDIT_H
#define PULSE_CLI_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <libpq-fe.h>

/* "cli:LOGIN" of whoever runs the command (the effective user), into buf;
 * returns buf. */
const char *cli_actor(char *buf, size_t len);

/* Record action on the target KIND:ID (e.g. "integration.update" on
 * "integration", 7) in tenant's audit log, in a transaction of its own,
 * after the change has committed. detail is borrowed and may be NULL; it
 * must hold no secret. On failure, says on stderr, after "CMD: ", that the
 * change was made but not recorded, and returns -1 (the command then
 * fails). */
int cli_audit(PGconn *db, int64_t tenant, const char *cmd, const char *action,
	      const char *kind, int64_t id, json_object *detail);

#endif

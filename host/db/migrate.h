/*
 * migrate: apply host/db/migrations/NNN_*.sql (embedded in the binary at
 * build time) in order, each in its own transaction, recorded in
 * schema_migrations(version, name, checksum, applied_at).
 */
#ifndef PULSE_MIGRATE_H
#define PULSE_MIGRATE_H

#include <stddef.h>
#include <stdio.h>

#include <libpq-fe.h>

struct migration {
	const char *file; /* "001_core.sql" */
	const char *sql;
};
/* Generated from the SQL files in host/migrations; ends with a NULL file. */
extern const struct migration migrate_files[];

/* Apply what is missing, printing one line per migration to out.
 * An applied migration whose checksum changed is an error. *applied gets
 * the number applied now. 0 or -1 (err). */
int migrate_apply(PGconn *admin, FILE *out, int *applied, char *err,
		  size_t errlen);
/* Print version, name, state (applied at / pending / CHANGED). 0 or -1. */
int migrate_status(PGconn *c, FILE *out, char *err, size_t errlen);
/* How the database's schema compares with this binary's migrations. */
struct migrate_summary {
	int known;    /* migrations this binary carries */
	int applied;  /* of those, applied with the same checksum */
	int pending;  /* not applied yet */
	int changed;  /* applied, but the file changed since */
	int unknown;  /* applied versions this binary does not carry */
	char latest[32]; /* highest applied version, "" if none */
};
/* Fill *s (read-only: no lock, no table created). 0 or -1. */
int migrate_summary(PGconn *c, struct migrate_summary *s, char *err,
		    size_t errlen);
/* Create (if missing) LOGIN role NOSUPERUSER NOBYPASSRLS, set its
 * password when given, grant it what the daemon needs. 0 or -1. */
int migrate_app_role(PGconn *admin, const char *role, const char *password,
		     FILE *out, char *err, size_t errlen);

/* sha256 hex of s into hex (65 bytes). */
void migrate_checksum(const char *s, char hex[65]);

#endif

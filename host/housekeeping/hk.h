/*
 * housekeeping: keeps the database from growing forever (docs/operations.md,
 * "Partitions and retention").
 *
 *   - raw ledger partitions: the current month and hk_months_ahead more
 *     exist before a row needs them (raw_partition_create, 080);
 *   - retention of the raw ledger: a month whose rows are all past their
 *     window is dropped as a partition (hk_raw_drop, 081); rows of a
 *     tenant past its window in a month that must stay are deleted in
 *     batches of hk_batch_rows, one transaction each;
 *   - retention of run history: job_runs (the last run of each
 *     integration is kept) and job_transitions (through jobstate.c).
 *
 * Windows: pulse-host.conf's housekeeping group, overridden per tenant by
 * tenant_retention. Pending and processing rows are never removed.
 *
 * One run at a time per database (an advisory lock); a second one reports
 * `skipped`. Run by `pulse-host housekeeping run` and by the daemon every
 * housekeeping.interval_seconds. Idempotent: a run cut short (kill -9) has
 * committed whole batches and whole drops only; the next run goes on.
 */
#ifndef PULSE_HK_H
#define PULSE_HK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sys/types.h>

#include <libpq-fe.h>

struct conf;

/* One thing done (or, in a dry run, that would be done). */
struct hk_item {
	char what[24];      /* partition_created | partition_dropped | deleted */
	char table[40];     /* raw_extraction_data, job_runs, job_transitions */
	int64_t tenant_id;  /* 0 = all tenants (a partition) */
	char name[64];      /* partition name, or the class of rows deleted */
	int64_t rows;
	int64_t bytes;      /* freed on disk (partitions; 0 for deleted rows) */
};

/* A step that removes nothing: ANALYZE, a consistency check, a no-op
 * (hk_steps.c). Reported apart from the removals ("checks"). */
struct hk_check {
	char step[24];      /* analyze | vector_drift | vector_check | sessions */
	int64_t tenant_id;  /* 0 = not of a tenant */
	char name[64];      /* table or collection */
	int64_t a, b;       /* analyze: rows changed; drift: references, points */
	char note[200];     /* what it means, for people */
};

struct hk_report {
	int dry_run;
	int skipped;        /* another run held the lock: nothing done */
	struct hk_item *items;
	size_t n, cap;
	struct hk_check *checks;
	size_t nc, capc;
};

struct hk_opts {
	int dry_run;
	FILE *progress;     /* a line per step, or NULL */
};

/*
 * One housekeeping run on c (the app role's connection: row-level
 * security applies; cross-tenant steps go through the 080/081 functions).
 * rep is filled (free with hk_report_free, also after an error: it holds
 * what was done before). 0, or -1 with err.
 */
int hk_run(PGconn *c, const struct conf *conf, const struct hk_opts *o,
	   struct hk_report *rep, char *err, size_t errlen);

/* ---- hk_proc.c -------------------------------------------------------- */

/* Fork a process that runs hk_run (no dry run) on a connection of its own,
 * records its end on the system job "housekeeping" held by owner (NULL:
 * none) and exits; the caller reaps it. Its pid, or -1 with err. */
pid_t hk_spawn(const struct conf *conf, const char *owner, char *err,
	       size_t errlen);

/* ---- hk_raw.c --------------------------------------------------------- */

/* Create the partitions of this month and the next `ahead` ones. */
int hk_raw_ahead(PGconn *c, int ahead, const struct hk_opts *o,
		 struct hk_report *rep, char *err, size_t errlen);
/* Drop every month partition hk_raw_blocker() lets go. */
int hk_raw_drop_months(PGconn *c, const struct conf *conf,
		       const struct hk_opts *o, struct hk_report *rep,
		       char *err, size_t errlen);

/* ---- hk_steps.c ------------------------------------------------------ */

/* The steps after retention: ANALYZE of the tables a large load changed
 * (n_mod_since_analyze >= housekeeping.analyze_min_rows and >= 10 % of
 * the live rows), the vector store check per tenant, and expired
 * sessions (none yet: a no-op that says so). 0, or -1 with err. */
int hk_steps(PGconn *c, const struct conf *conf, const struct hk_opts *o,
	     struct hk_report *rep, char *err, size_t errlen);

/* ---- hk_auth.c --------------------------------------------------------- */
/* Tenant's audit events past housekeeping.audit_days, and its sessions
 * ended over a day ago (counted only in a dry run). */
int hk_auth(PGconn *c, const struct conf *conf, const struct hk_opts *o,
	    int64_t tenant, struct hk_report *rep, char *err, size_t errlen);

/* ---- hk_vectors.c ------------------------------------------------------ */
/* Tenant's vector-store tombstones older than a day; each collection's
 * tombstone horizon moves past the newest of them. */
int hk_vectors(PGconn *c, const struct hk_opts *o, int64_t tenant,
	       struct hk_report *rep, char *err, size_t errlen);

/* ---- hk_report.c ------------------------------------------------------ */

/* Append an item; -1 with err when out of memory. */
int hk_report_add(struct hk_report *rep, const char *what,
		  const char *table, int64_t tenant_id, const char *name,
		  int64_t rows, int64_t bytes, char *err, size_t errlen);
/* Append a check; -1 with err when out of memory. */
int hk_report_check(struct hk_report *rep, const char *step,
		    int64_t tenant_id, const char *name, int64_t a, int64_t b,
		    const char *note, char *err, size_t errlen);
/* Human lines, or one JSON object (json != 0), to f. */
void hk_report_print(const struct hk_report *rep, FILE *f, int json);
/* A log line per item (the daemon's runs). */
void hk_report_log(const struct hk_report *rep);
void hk_report_free(struct hk_report *rep);

#endif

/*
 * mapping: how an integration's work item types and statuses map onto the
 * canonical ones (types Story, Bug, Task, Epic, Incident, Sub-task;
 * categories To Do, In Progress, Done; 'Unmapped' for anything else), and
 * the metrics derived from them: work_started_at, work_done_at,
 * cycle_time_seconds and lead_time_seconds of work_items.
 *
 * The rules live in SQL (host/db/migrations/030_jira.sql) so the end of every
 * job run applies them by itself (a trigger on job_runs); this module is
 * what the CLI (`pulse-host mapping`, host/cli/cmd_mapping.c) and tests call.
 * Every function takes the caller's connection (the app role) and runs in
 * one tenant transaction of its own, committed before it returns.
 */
#ifndef PULSE_MAPPING_H
#define PULSE_MAPPING_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#define MAPPING_TYPE 1
#define MAPPING_STATUS 2

/* One row of wits_mappings or status_mappings, with context. */
struct mapping_row {
	int kind;               /* MAPPING_TYPE | MAPPING_STATUS */
	char *source_name;      /* as the source names it */
	char *to;               /* canonical type or category */
	char *origin;           /* default | config | cli */
	char *source_category;  /* statuses: the source's category, or NULL */
	int64_t items;          /* live work items of this type / status */
};

struct mapping_list {
	struct mapping_row *v;  /* types first, then statuses, by name */
	size_t n;
	char *hierarchy;        /* "Epic (1) > Story, ... (2) > Sub-task (3)" */
};

/*
 * The canonical spelling of value `to` for kind (case-insensitive match:
 * "in progress" -> "In Progress"), or NULL if it is not one of them.
 * Borrowed static string.
 */
const char *mapping_canonical(int kind, const char *to);
/* "Story, Bug, ..." or "To Do, ...": the values of kind, for messages. */
const char *mapping_values(int kind);

/*
 * Seed the mappings (defaults, the integration's `mappings` setting) and
 * recompute the metrics of every work item (full) or of those loaded
 * since the last recompute (!full). Counts may be NULL. 0, or -1 with err.
 */
int mapping_refresh(PGconn *c, int64_t tenant, int64_t integration, int full,
		    int *mappings_changed, int *items_updated, char *err,
		    size_t errlen);

/*
 * Map source name `name` (a type or a status) to `to` with origin 'cli',
 * which neither the defaults nor the integration's configuration
 * override, and recompute the metrics. A name that differs from a known
 * one only in case takes the known spelling, copied to spelled (spelled_len
 * bytes). *known (may be NULL) says whether the source has used the name
 * yet. 0, or -1 with err.
 */
int mapping_set(PGconn *c, int64_t tenant, int64_t integration, int kind,
		const char *name, const char *to, char *spelled,
		size_t spelled_len, int *known, int *items_updated, char *err,
		size_t errlen);

/*
 * Drop `mapping set` overrides: of one name (kind + name), of one kind
 * (name NULL), or all (kind 0); the configuration and defaults apply
 * again and the metrics are recomputed. *removed gets the number of
 * overrides dropped. 0, or -1 with err.
 */
int mapping_reset(PGconn *c, int64_t tenant, int64_t integration, int kind,
		  const char *name, int *removed, int *items_updated,
		  char *err, size_t errlen);

/* The mappings of an integration (only 'Unmapped' ones if unmapped_only).
 * Free with mapping_list_free. 0, or -1 with err. */
int mapping_list(PGconn *c, int64_t tenant, int64_t integration,
		 int unmapped_only, struct mapping_list *out, char *err,
		 size_t errlen);
void mapping_list_free(struct mapping_list *l);

#endif

/*
 * askexec: run one guarded query for a tenant, read-only, as the query
 * role, within time, cost, row and byte limits, and always roll back.
 */
#ifndef PULSE_AI_ASKEXEC_H
#define PULSE_AI_ASKEXEC_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "ai/sqlguard.h"

struct askexec_limits {
	int timeout_ms;       /* statement_timeout */
	unsigned max_rows;    /* the LIMIT wrapped around the query */
	size_t max_bytes;     /* of the rows' JSON */
	double max_cost;      /* EXPLAIN total cost refused above */
};

struct askexec_result {
	char *rows_json;      /* owned: [{"col": value, ...}, ...] */
	char *columns_json;   /* owned: ["col", ...] */
	unsigned n_rows;
	int row_cap_hit;      /* n_rows == max_rows: there may be more */
	char *sql_run;        /* owned: the wrapped text that ran */
	double cost;          /* EXPLAIN's estimate */
	/* On failure: "guard", "cost", "timeout", "bytes", "database",
	 * "connection" (static). */
	const char *failure;
	struct sqlguard_verdict verdict;
	double ms_guard, ms_explain, ms_run;
};

/*
 * Guard sql, then in one transaction: BEGIN READ ONLY, SET LOCAL
 * statement_timeout, SET LOCAL ROLE pulse_query, SET LOCAL app.tenant_id,
 * search_path ask; EXPLAIN (refused above max_cost); the query; ROLLBACK.
 * Fills *res (free with askexec_result_free). 0, or -1 with res->failure
 * and err (the guard's or the server's message, for a repair round).
 */
int askexec_run(PGconn *c, int64_t tenant, const char *sql,
		const struct askexec_limits *lim, struct askexec_result *res,
		char *err, size_t errlen);
void askexec_result_free(struct askexec_result *res);

#endif

/*
 * metrics: GET /metrics, the Prometheus text exposition of the daemon
 * (docs/operations.md, "Metrics"): database figures from host_metrics()
 * (096_metrics.sql: aggregates over all tenants, no tenant labels) and
 * the shared in-process counters (metrics_shm.h).
 *
 * Access (config `metrics.token_file`): unset, only loopback peers are
 * answered (403 otherwise); set, every scrape must send
 * "Authorization: Bearer <the file's first line>" (401 otherwise), from
 * any address.
 */
#ifndef PULSE_METRICS_H
#define PULSE_METRICS_H

#include <libpq-fe.h>

#include "base/strbuf.h"

struct conf;

/* What a scrape brings, and what it gets: the router (api.c) copies them
 * from and to its request, so this module does not depend on it. */
struct metrics_req {
	const char *method;
	const char *authorization;  /* the header, or NULL */
	int peer_loopback;
};
struct metrics_reply {
	int status;
	const char *content_type;   /* static */
	struct strbuf *body;        /* appended to */
};

/* Answer a GET /metrics into rs; db is the API thread's connection (NULL,
 * with dberr saying why, when the database is down). */
void metrics_handle(const struct conf *conf, const struct metrics_req *rq,
		    struct metrics_reply *rs, PGconn *db, const char *dberr);

/* ---- the text format (metrics_text.c) -------------------------------- */

/* "# HELP name help\n# TYPE name type\n". */
void metrics_family(struct strbuf *b, const char *name, const char *type,
		    const char *help);
/* name{k="v",...} value: labels are NULL-terminated key/value pairs
 * (NULL or empty keys skipped); values are escaped as the format wants. */
void metrics_sample(struct strbuf *b, const char *name,
		    const char *const *labels, double value);

#endif

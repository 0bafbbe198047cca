/*
 * route_report: what an admin or user reads about a tenant's AI providers,
 * shared by `pulse-host ai health` and GET /api/v1/ai/{health,capabilities,
 * usage}: anomaly detection (a provider whose error rate or p95 latency
 * jumps gets an ai_anomalies row and a WARN), provider health and what
 * serves each context. Every function is scoped to one tenant (RLS).
 */
#ifndef PULSE_AI_ROUTE_REPORT_H
#define PULSE_AI_ROUTE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct json_object;
struct loader;

/* The tenant's open anomalies (last AI_ANOM_OPEN_MIN minutes), newest
 * first, as a JSON array (caller puts). NULL with err. */
struct json_object *ai_anomalies_json(PGconn *db, int64_t tenant, char *err,
				      size_t errlen);

/*
 * Health per AI/Embedding integration of tenant (caller puts): cooldown
 * (of this process), calls, errors, error rate and p95 of the recent
 * window, open anomalies. Runs the anomaly check first.
 */
struct json_object *ai_health_json(PGconn *db, int64_t tenant, char *err,
				   size_t errlen);

/*
 * Per context (etl, search, query): the providers in order (id, name,
 * plugin, local/external), the kind, the model and dimension (the pin of
 * an embedding context, else the first provider's configured model), and
 * whether search and ask are available (caller puts). NULL with err.
 */
struct json_object *ai_capabilities_json(PGconn *db, struct loader *ld,
					 int64_t tenant, char *err,
					 size_t errlen);

#endif

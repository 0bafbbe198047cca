/* mapping: type and status mappings of an integration (see mapping.h). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/db.h"
#include "model/mapping.h"

static const char *const types[] = {"Story", "Bug", "Task", "Epic",
	"Incident", "Sub-task", "Unmapped", NULL};
static const char *const categories[] = {"To Do", "In Progress", "Done",
	"Unmapped", NULL};

const char *mapping_canonical(int kind, const char *to)
{
	const char *const *set = kind == MAPPING_TYPE ? types : categories;
	size_t i;

	for (i = 0; to && set[i]; i++)
		if (strcasecmp(set[i], to) == 0)
			return set[i];
	/* "subtask" and "sub task" for Sub-task, "todo" for To Do */
	if (to && kind == MAPPING_TYPE &&
	    (strcasecmp(to, "subtask") == 0 || strcasecmp(to, "sub task") == 0))
		return "Sub-task";
	if (to && kind == MAPPING_STATUS && strcasecmp(to, "todo") == 0)
		return "To Do";
	return NULL;
}

const char *mapping_values(int kind)
{
	return kind == MAPPING_TYPE ?
		"Story, Bug, Task, Epic, Incident, Sub-task, Unmapped" :
		"\"To Do\", \"In Progress\", Done, Unmapped";
}

static const char *table(int kind)
{
	return kind == MAPPING_TYPE ? "wits_mappings" : "status_mappings";
}

/* Seed + recompute inside the caller's open tenant transaction. */
static int refresh_in_tx(PGconn *c, const char *ten, const char *integ,
			 int full, int *changed, int *updated, char *err,
			 size_t errlen)
{
	const char *p[2] = {ten, integ};
	PGresult *r;
	int m;

	r = db_query(c, err, errlen, "SELECT mapping_seed($1, $2)", 2, p);
	if (!r)
		return -1;
	m = (int)db_int64(r, 0, 0);
	PQclear(r);
	if (changed)
		*changed = m;
	/* Incremental: what was loaded since the last recompute (as the
	 * end-of-run trigger does); a changed mapping touches everything. */
	r = db_query(c, err, errlen,
		     full || m > 0 ?
		     "SELECT mapping_recompute($1, $2, NULL)" :
		     "SELECT mapping_recompute($1, $2, (SELECT value::timestamptz"
		     " - interval '10 minutes' FROM integration_state"
		     " WHERE tenant_id = $1 AND integration_id = $2"
		     " AND key = 'host:metrics_at'))", 2, p);
	if (!r)
		return -1;
	if (updated)
		*updated = (int)db_int64(r, 0, 0);
	PQclear(r);
	r = db_query(c, err, errlen,
		     "INSERT INTO integration_state (tenant_id, integration_id, key, value)"
		     " VALUES ($1, $2, 'host:metrics_at', now()::text)"
		     " ON CONFLICT (tenant_id, integration_id, key)"
		     " DO UPDATE SET value = EXCLUDED.value, updated_at = now()", 2, p);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

int mapping_refresh(PGconn *c, int64_t tenant, int64_t integration, int full,
		    int *mappings_changed, int *items_updated, char *err,
		    size_t errlen)
{
	char ten[24], integ[24];

	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return -1;
	if (refresh_in_tx(c, db_i64(ten, tenant), db_i64(integ, integration), full,
			  mappings_changed, items_updated, err, errlen) < 0 ||
	    db_commit(c, err, errlen) < 0) {
		db_rollback(c);
		return -1;
	}
	return 0;
}

int mapping_set(PGconn *c, int64_t tenant, int64_t integration, int kind,
		const char *name, const char *to, char *spelled_out,
		size_t spelled_len, int *known, int *items_updated, char *err,
		size_t errlen)
{
	const char *canon = mapping_canonical(kind, to), *spelled = name;
	char ten[24], integ[24], sql[640];
	const char *p[4];
	PGresult *r = NULL;
	int rc = -1;

	if (!canon) {
		snprintf(err, errlen, "'%s' is not a %s; use one of %s", to ? to : "",
			 kind == MAPPING_TYPE ? "canonical type" : "status category",
			 mapping_values(kind));
		return -1;
	}
	if (!name || !*name) {
		snprintf(err, errlen, "the %s name is empty",
			 kind == MAPPING_TYPE ? "type" : "status");
		return -1;
	}
	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return -1;
	p[0] = db_i64(ten, tenant);
	p[1] = db_i64(integ, integration);
	p[2] = name;
	/* The name as the source spells it: a mapping row, the catalogue,
	 * or the work items. */
	snprintf(sql, sizeof(sql),
		 "SELECT n FROM ("
		 " SELECT source_name AS n, 1 AS o FROM %s"
		 "  WHERE tenant_id = $1 AND integration_id = $2 AND lower(source_name) = lower($3)"
		 " UNION ALL SELECT name, 2 FROM %s"
		 "  WHERE tenant_id = $1 AND integration_id = $2 AND lower(name) = lower($3)"
		 " UNION ALL SELECT %s, 3 FROM work_items"
		 "  WHERE tenant_id = $1 AND integration_id = $2 AND lower(%s) = lower($3)"
		 ") x ORDER BY (n = $3) DESC, o LIMIT 1",
		 table(kind), kind == MAPPING_TYPE ? "wits" : "statuses",
		 kind == MAPPING_TYPE ? "wit_name" : "status_name",
		 kind == MAPPING_TYPE ? "wit_name" : "status_name");
	if (!(r = db_query(c, err, errlen, sql, 3, p)))
		goto out;
	if (known)
		*known = PQntuples(r) > 0;
	if (PQntuples(r) > 0)
		spelled = PQgetvalue(r, 0, 0);
	p[2] = spelled;
	p[3] = canon;
	if (spelled_out && spelled_len)
		snprintf(spelled_out, spelled_len, "%s", spelled);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO %s AS m (tenant_id, integration_id, source_name, %s, origin)"
		 " VALUES ($1, $2, $3, $4, 'cli')"
		 " ON CONFLICT (tenant_id, integration_id, source_name)"
		 " DO UPDATE SET %s = EXCLUDED.%s, origin = 'cli'",
		 table(kind), kind == MAPPING_TYPE ? "canonical_type" : "category",
		 kind == MAPPING_TYPE ? "canonical_type" : "category",
		 kind == MAPPING_TYPE ? "canonical_type" : "category");
	{
		PGresult *x = db_query(c, err, errlen, sql, 4, p);

		if (!x)
			goto out;
		PQclear(x);
	}
	if (refresh_in_tx(c, p[0], p[1], 1, NULL, items_updated, err, errlen) < 0 ||
	    db_commit(c, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	PQclear(r);
	if (rc < 0)
		db_rollback(c);
	return rc;
}

int mapping_reset(PGconn *c, int64_t tenant, int64_t integration, int kind,
		  const char *name, int *removed, int *items_updated,
		  char *err, size_t errlen)
{
	char ten[24], integ[24], sql[512];
	const char *p[3];
	int k, n = 0, rc = -1;

	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return -1;
	p[0] = db_i64(ten, tenant);
	p[1] = db_i64(integ, integration);
	p[2] = name;
	for (k = MAPPING_TYPE; k <= MAPPING_STATUS; k++) {
		PGresult *r;

		if (kind && kind != k)
			continue;
		snprintf(sql, sizeof(sql),
			 "DELETE FROM %s WHERE tenant_id = $1 AND integration_id = $2"
			 " AND origin = 'cli'%s", table(k),
			 name ? " AND lower(source_name) = lower($3)" : "");
		if (!(r = db_query(c, err, errlen, sql, name ? 3 : 2, p)))
			goto out;
		n += atoi(PQcmdTuples(r));
		PQclear(r);
	}
	if (refresh_in_tx(c, p[0], p[1], 1, NULL, items_updated, err, errlen) < 0 ||
	    db_commit(c, err, errlen) < 0)
		goto out;
	if (removed)
		*removed = n;
	rc = 0;
out:
	if (rc < 0)
		db_rollback(c);
	return rc;
}

static char *dup_cell(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

int mapping_list(PGconn *c, int64_t tenant, int64_t integration,
		 int unmapped_only, struct mapping_list *out, char *err,
		 size_t errlen)
{
	char ten[24], integ[24];
	const char *p[3];
	PGresult *r = NULL;
	int i, n, rc = -1;

	memset(out, 0, sizeof(*out));
	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return -1;
	p[0] = db_i64(ten, tenant);
	p[1] = db_i64(integ, integration);
	p[2] = unmapped_only ? "1" : "0";
	r = db_query(c, err, errlen,
		"SELECT 1, m.source_name, m.canonical_type, m.origin, NULL,"
		"       (SELECT count(*) FROM work_items w WHERE w.tenant_id = $1"
		"          AND w.integration_id = $2 AND w.wit_name = m.source_name"
		"          AND w.deleted_at IS NULL)"
		"  FROM wits_mappings m WHERE m.tenant_id = $1 AND m.integration_id = $2"
		"   AND ($3 = '0' OR m.canonical_type = 'Unmapped')"
		" UNION ALL "
		"SELECT 2, m.source_name, m.category, m.origin,"
		"       (SELECT mode() WITHIN GROUP (ORDER BY s.source_category)"
		"          FROM statuses s WHERE s.tenant_id = $1 AND s.integration_id = $2"
		"           AND s.name = m.source_name),"
		"       (SELECT count(*) FROM work_items w WHERE w.tenant_id = $1"
		"          AND w.integration_id = $2 AND w.status_name = m.source_name"
		"          AND w.deleted_at IS NULL)"
		"  FROM status_mappings m WHERE m.tenant_id = $1 AND m.integration_id = $2"
		"   AND ($3 = '0' OR m.category = 'Unmapped')"
		" ORDER BY 1, 2", 3, p);
	if (!r)
		goto out;
	n = PQntuples(r);
	out->v = calloc(n ? (size_t)n : 1, sizeof(*out->v));
	if (!out->v) {
		snprintf(err, errlen, "out of memory listing mappings");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct mapping_row *m = &out->v[i];

		m->kind = atoi(PQgetvalue(r, i, 0));
		m->source_name = dup_cell(r, i, 1);
		m->to = dup_cell(r, i, 2);
		m->origin = dup_cell(r, i, 3);
		m->source_category = dup_cell(r, i, 4);
		m->items = db_int64(r, i, 5);
		out->n++;
		if (!m->source_name || !m->to || !m->origin) {
			snprintf(err, errlen, "out of memory listing mappings");
			goto out;
		}
	}
	PQclear(r);
	r = db_query(c, err, errlen,
		"SELECT string_agg(t, ' > ' ORDER BY level) FROM ("
		" SELECT level, string_agg(canonical_type, ', ' ORDER BY"
		"   array_position(ARRAY['Epic','Story','Task','Bug','Incident','Sub-task'],"
		"                  canonical_type)) || ' (' || level || ')' AS t"
		"  FROM wits_hierarchies WHERE tenant_id = $1 AND integration_id = $2"
		"  GROUP BY level) x", 2, p);
	if (!r)
		goto out;
	out->hierarchy = dup_cell(r, 0, 0);
	if (db_commit(c, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	PQclear(r);
	if (rc < 0) {
		db_rollback(c);
		mapping_list_free(out);
	}
	return rc;
}

void mapping_list_free(struct mapping_list *l)
{
	size_t i;

	for (i = 0; l->v && i < l->n; i++) {
		free(l->v[i].source_name);
		free(l->v[i].to);
		free(l->v[i].origin);
		free(l->v[i].source_category);
	}
	free(l->v);
	free(l->hierarchy);
	memset(l, 0, sizeof(*l));
}

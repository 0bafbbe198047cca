/* entity: canonical entities and their typed fields, read from the catalog. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "pipeline/entity.h"

const char *const entity_tables[] = {
	"projects", "wits", "statuses", "workflows", "sprints", "work_items",
	"changelogs", "repositories", "prs", "prs_commits", "prs_reviews",
	"prs_comments", "wits_prs_links", "deployments", "deployment_commits",
	"directory_users", "directory_groups", "directory_memberships",
	"directory_org_units", "fabric_workspaces", "fabric_items",
	"fabric_job_runs", "fabric_records", NULL,
};

/* Columns the host fills itself; a plugin never sets them. */
static const char *const system_columns[] = {
	"id", "tenant_id", "integration_id", "loaded_at", "deleted_at", NULL,
};

static int is_system(const char *col)
{
	size_t i;

	for (i = 0; system_columns[i]; i++)
		if (strcmp(system_columns[i], col) == 0)
			return 1;
	return 0;
}

/* information_schema data_type -> ENT_*; 0 for types we cannot carry. */
static int map_type(const char *t)
{
	if (!strcmp(t, "text") || !strcmp(t, "character varying") ||
	    !strcmp(t, "character") || !strcmp(t, "uuid"))
		return ENT_STR;
	if (!strcmp(t, "integer") || !strcmp(t, "bigint") ||
	    !strcmp(t, "smallint"))
		return ENT_INT;
	if (!strcmp(t, "double precision") || !strcmp(t, "real") ||
	    !strcmp(t, "numeric"))
		return ENT_FLOAT;
	if (!strcmp(t, "boolean"))
		return ENT_BOOL;
	if (!strncmp(t, "timestamp", 9) || !strcmp(t, "date"))
		return ENT_TIME;
	if (!strcmp(t, "jsonb") || !strcmp(t, "json"))
		return ENT_JSON;
	return 0;
}

const char *entity_type_name(int type)
{
	switch (type) {
	case ENT_STR: return "text";
	case ENT_INT: return "integer";
	case ENT_FLOAT: return "float";
	case ENT_BOOL: return "boolean";
	case ENT_TIME: return "timestamp (ISO-8601)";
	case ENT_JSON: return "JSON";
	}
	return "unknown";
}

void entity_registry_free(struct entity_registry *reg)
{
	size_t i, j;

	if (!reg)
		return;
	for (i = 0; i < reg->n; i++) {
		for (j = 0; j < reg->v[i].nfields; j++) {
			free(reg->v[i].fields[j].name);
			free(reg->v[i].fields[j].sqltype);
		}
		free(reg->v[i].fields);
		free(reg->v[i].name);
	}
	free(reg->v);
	reg->v = NULL;
	reg->n = 0;
}

int entity_registry_load(PGconn *c, struct entity_registry *reg, char *err,
			 size_t errlen)
{
	PGresult *r = NULL;
	size_t ntab, i;
	int row, rc = -1;

	memset(reg, 0, sizeof(*reg));
	for (ntab = 0; entity_tables[ntab]; ntab++)
		;
	reg->v = calloc(ntab, sizeof(*reg->v));
	if (!reg->v) {
		snprintf(err, errlen, "out of memory building the entity registry");
		return -1;
	}
	/* format_type gives the exact type for staging tables; data_type
	 * the family we map. Only this schema's tables count. */
	r = db_query(c, err, errlen,
		"SELECT c.table_name, c.column_name, c.data_type,"
		"       format_type(a.atttypid, a.atttypmod),"
		"       c.is_nullable = 'NO' AND c.column_default IS NULL"
		"  FROM information_schema.columns c"
		"  JOIN pg_attribute a ON a.attrelid = to_regclass(quote_ident(c.table_name))"
		"                     AND a.attname = c.column_name"
		" WHERE c.table_schema = current_schema()"
		" ORDER BY c.table_name, c.ordinal_position", 0, NULL);
	if (!r)
		goto out;
	for (i = 0; i < ntab; i++) {
		struct entity *e = &reg->v[i];

		e->name = strdup(entity_tables[i]);
		e->index = i;
		if (!e->name)
			goto oom;
		reg->n++;
		for (row = 0; row < PQntuples(r); row++) {
			struct entity_field *f, *nv;
			const char *col = PQgetvalue(r, row, 1);

			if (strcmp(PQgetvalue(r, row, 0), e->name) != 0 ||
			    is_system(col))
				continue;
			nv = realloc(e->fields, (e->nfields + 1) * sizeof(*nv));
			if (!nv)
				goto oom;
			e->fields = nv;
			f = &e->fields[e->nfields];
			memset(f, 0, sizeof(*f));
			f->type = map_type(PQgetvalue(r, row, 2));
			if (!f->type) {
				snprintf(err, errlen, "column %s.%s has type %s, "
					 "which records cannot carry; change the "
					 "migration to text, integer, bigint, "
					 "double precision, boolean, timestamptz "
					 "or jsonb", e->name, col,
					 PQgetvalue(r, row, 2));
				goto out;
			}
			f->name = strdup(col);
			f->sqltype = strdup(PQgetvalue(r, row, 3));
			f->required = PQgetvalue(r, row, 4)[0] == 't';
			e->nfields++;
			if (!f->name || !f->sqltype)
				goto oom;
		}
		if (entity_field_index(e, "external_id") < 0) {
			snprintf(err, errlen, "canonical table '%s' is missing "
				 "(or has no external_id column, or this role "
				 "cannot see it); run `pulse-host migrate`",
				 e->name);
			goto out;
		}
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory building the entity registry");
out:
	PQclear(r);
	if (rc < 0)
		entity_registry_free(reg);
	return rc;
}

const struct entity *entity_find(const struct entity_registry *reg,
				 const char *name)
{
	size_t i;

	for (i = 0; reg && name && i < reg->n; i++)
		if (strcmp(reg->v[i].name, name) == 0)
			return &reg->v[i];
	return NULL;
}

int entity_field_index(const struct entity *e, const char *name)
{
	size_t i;

	for (i = 0; e && i < e->nfields; i++)
		if (strcmp(e->fields[i].name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * entity: the registry of canonical entities a plugin may emit, built from
 * the database catalog (information_schema.columns) at startup so it can
 * never drift from the schema. System columns (id, tenant_id,
 * integration_id, loaded_at, deleted_at) are not fields.
 */
#ifndef PULSE_ENTITY_H
#define PULSE_ENTITY_H

#include <stddef.h>

#include <libpq-fe.h>

/* Field value types (what a record may set). */
#define ENT_STR 1    /* text */
#define ENT_INT 2    /* integer, bigint */
#define ENT_FLOAT 3  /* double precision, numeric, real: float or int */
#define ENT_BOOL 4   /* boolean */
#define ENT_TIME 5   /* timestamptz, date: ISO-8601 text */
#define ENT_JSON 6   /* jsonb, json: JSON text */

struct entity_field {
	char *name;
	char *sqltype;   /* format_type() of the column, for staging tables */
	int type;        /* ENT_* */
	int required;    /* NOT NULL without a default */
};

struct entity {
	char *name;               /* the table name */
	struct entity_field *fields;
	size_t nfields;
	size_t index;             /* position in the registry */
};

struct entity_registry {
	struct entity *v;
	size_t n;
};

/* The canonical tables, NULL-terminated (the list lives in code). */
extern const char *const entity_tables[];

/* Build reg from the catalog of c's database. Returns 0, or -1 with err
 * (e.g. a table missing: "run `pulse-host migrate`"). Free with
 * entity_registry_free. */
int entity_registry_load(PGconn *c, struct entity_registry *reg, char *err,
			 size_t errlen);
void entity_registry_free(struct entity_registry *reg);

const struct entity *entity_find(const struct entity_registry *reg,
				 const char *name);
/* Index of field name in e->fields, or -1. */
int entity_field_index(const struct entity *e, const char *name);
const char *entity_type_name(int type);

#endif

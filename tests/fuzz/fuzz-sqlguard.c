/* Fuzz target: the SQL guard of `ask` (host/ai/sqlguard.c). The oracle:
 * the text is refused, or it parses (libpg_query, independently of the
 * guard's own walk) to exactly one SELECT whose every relation is an
 * allowed view or a CTE of the query itself; and its wrapped form is
 * allowed too. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <pg_query.h>

#include "ai/sqlguard.h"
#include "fuzz.h"

/* Deeper than the guard's own JSON reader (3 x its MAX_DEPTH, 1,800
 * levels), so the oracle never refuses a tree the guard could read. */
#define ORACLE_DEPTH 4096

static int allowed_view(const char *n)
{
	size_t i;

	for (i = 0; sqlguard_views[i]; i++)
		if (strcmp(sqlguard_views[i], n) == 0)
			return 1;
	return 0;
}

/* Collect CTE names (ctes) and check relnames against views + ctes.
 * Two passes keep it simple: names first, then relations. */
static void walk(json_object *o, json_object *ctes, int check, int *bad)
{
	if (json_object_is_type(o, json_type_array)) {
		size_t i;

		for (i = 0; i < json_object_array_length(o); i++)
			walk(json_object_array_get_idx(o, i), ctes, check, bad);
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, k, v) {
		if (!check && strcmp(k, "ctename") == 0 &&
		    json_object_is_type(v, json_type_string))
			json_object_object_add(ctes, json_object_get_string(v),
					       json_object_new_boolean(1));
		if (check && strcmp(k, "RangeVar") == 0) {
			json_object *rel, *schema;
			const char *n;

			if (!json_object_object_get_ex(v, "relname", &rel)) {
				*bad = 1;
				continue;
			}
			n = json_object_get_string(rel);
			if (json_object_object_get_ex(v, "schemaname", &schema)) {
				if (strcmp(json_object_get_string(schema), "ask") != 0 ||
				    !allowed_view(n))
					*bad = 1;
			} else if (!allowed_view(n) &&
				   !json_object_object_get_ex(ctes, n, NULL)) {
				*bad = 1;
			}
		}
		walk(v, ctes, check, bad);
	}
}

static void oracle(const char *sql)
{
	PgQueryParseResult r = pg_query_parse(sql);
	json_object *tree = NULL, *stmts, *s0, *stmt, *ctes = json_object_new_object();
	struct json_tokener *tok;
	int bad = 0;

	if (r.error)
		abort(); /* allowed but PostgreSQL's grammar refuses it */
	/* json_tokener_parse stops at 32 levels; a wrapped query's tree is
	 * deeper than that long before the guard's own limit. */
	tok = json_tokener_new_ex(ORACLE_DEPTH);
	tree = tok ? json_tokener_parse_ex(tok, r.parse_tree,
					   (int)strlen(r.parse_tree)) : NULL;
	if (tok)
		json_tokener_free(tok);
	if (!tree || !json_object_object_get_ex(tree, "stmts", &stmts) ||
	    json_object_array_length(stmts) != 1)
		abort();
	s0 = json_object_array_get_idx(stmts, 0);
	if (!json_object_object_get_ex(s0, "stmt", &stmt) ||
	    !json_object_object_get_ex(stmt, "SelectStmt", NULL))
		abort();
	walk(stmt, ctes, 0, &bad);
	walk(stmt, ctes, 1, &bad);
	if (bad)
		abort();
	json_object_put(tree);
	json_object_put(ctes);
	pg_query_free_parse_result(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sqlguard_verdict v;
	char *sql = malloc(size + 1), *w;

	if (!sql)
		return 0;
	memcpy(sql, data, size);
	sql[size] = '\0';
	if (sqlguard_check(sql, &v) == 0) {
		if (!v.ok)
			abort();
		oracle(sql);
		w = sqlguard_wrap(sql, 100, &v);
		if (w) {
			oracle(w);
			free(w);
		}
	} else if (v.ok || !v.rule) {
		abort();
	}
	free(sql);
	return 0;
}

/* sqlguard: parse with libpg_query, walk the whole tree, allow or refuse. */
#include "config.h"

#include <json-c/json.h>
#include <pg_query.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/sqlguard.h"
#include "base/strbuf.h"

/* The schema of the views (070_ask.sql); the only one a query may name. */
#define VIEW_SCHEMA "ask"
/* Nesting of the JSON tree we accept; PostgreSQL's own stack limit is
 * far beyond what a question needs. */
#define MAX_DEPTH 600

const char *const sqlguard_views[] = {
	"q_pull_requests", "q_reviews", "q_comments", "q_commits",
	"q_deployments", "q_work_items", "q_status_changes", "q_sprints",
	"q_repositories", "q_projects", "q_people", NULL,
};

/* Functions a question may use: pure computations on values. Anything
 * not here is refused; a new need is a reviewed addition (docs/ask.md). */
static const char *const allowed_funcs[] = {
	/* aggregates */
	"count", "sum", "avg", "min", "max", "array_agg", "string_agg",
	"bool_and", "bool_or", "every", "percentile_cont", "percentile_disc",
	"mode", "stddev", "stddev_pop", "stddev_samp", "variance", "var_pop",
	"var_samp", "corr", "json_agg", "jsonb_agg", "json_object_agg",
	"jsonb_object_agg",
	/* window */
	"row_number", "rank", "dense_rank", "percent_rank", "cume_dist",
	"ntile", "lag", "lead", "first_value", "last_value", "nth_value",
	/* date and time */
	"now", "date_trunc", "date_part", "extract", "age", "make_interval",
	"make_date", "make_time", "make_timestamp", "make_timestamptz",
	"to_char", "to_date", "to_timestamp", "justify_days",
	"justify_hours", "justify_interval", "date_bin", "timezone",
	"isfinite", "overlaps",
	/* strings */
	"lower", "upper", "length", "char_length", "character_length",
	"octet_length", "substring", "substr", "btrim", "ltrim", "rtrim",
	"trim", "position", "strpos", "split_part", "concat", "concat_ws",
	"replace", "left", "right", "initcap", "starts_with", "lpad", "rpad",
	"overlay", "reverse", "repeat", "regexp_replace", "regexp_match",
	"regexp_matches", "regexp_like", "format", "md5", "translate",
	"normalize", "like_escape",
	/* math */
	"abs", "round", "ceil", "ceiling", "floor", "trunc", "power", "pow",
	"sqrt", "cbrt", "ln", "log", "log10", "exp", "mod", "sign", "div",
	"width_bucket", "greatest", "least", "scale",
	/* json and arrays of the row values */
	"jsonb_build_object", "json_build_object", "jsonb_build_array",
	"json_build_array", "to_json", "to_jsonb", "array_length",
	"cardinality", "unnest", "array_to_string", "array_position",
	"coalesce", "nullif",
	NULL,
};

/* DORA, in schema ask (SECURITY DEFINER wrappers run under RLS). */
static const char *const dora_funcs[] = {
	"q_dora_deployment_frequency", "q_dora_lead_time",
	"q_dora_change_failure_rate", "q_dora_recovery_time", NULL,
};

/* Refused with a reason of their own (they are refused anyway, as they
 * are not allowed: this only names why). Prefixes end in '*'. */
static const struct {
	const char *name, *why;
} denied_funcs[] = {
	{"set_config", "could rewrite app.tenant_id, the row-level security key"},
	{"current_setting", "reads server settings"},
	{"pg_sleep*", "holds a connection (denial of service)"},
	{"dblink*", "runs SQL elsewhere"},
	{"query_to_xml*", "runs SQL text"},
	{"cursor_to_xml*", "reads a cursor by name"},
	{"table_to_xml*", "reads a table by name"},
	{"database_to_xml*", "reads the database"},
	{"schema_to_xml*", "reads a schema"},
	{"lo_*", "large objects: server files and storage"},
	{"pg_read_*", "reads server files"},
	{"pg_ls_*", "lists server files"},
	{"pg_stat_file", "reads server files"},
	{"pg_file_*", "writes server files"},
	{"txid_*", "transaction ids"},
	{"pg_current_xact_id*", "transaction ids"},
	{"pg_advisory*", "advisory locks outlive the transaction"},
	{"pg_try_advisory*", "advisory locks outlive the transaction"},
	{"nextval", "changes a sequence"},
	{"setval", "changes a sequence"},
	{"currval", "reads a sequence"},
	{"pg_terminate_backend", "ends sessions"},
	{"pg_cancel_backend", "cancels queries"},
	{"generate_series", "makes rows out of nothing (unbounded work)"},
	{"pg_*", "system function"},
	{NULL, NULL},
};

/* Casts and typed literals: plain value types only. A cast to regclass,
 * regproc, xml, ... looks things up or parses documents. */
static const char *const allowed_types[] = {
	"bool", "boolean", "int2", "int4", "int8", "smallint", "integer",
	"int", "bigint", "numeric", "decimal", "float4", "float8", "real",
	"text", "varchar", "bpchar", "char", "date", "time", "timetz",
	"timestamp", "timestamptz", "interval", "json", "jsonb", "uuid",
	NULL,
};

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

static int refuse(struct sqlguard_verdict *v, const char *rule,
		  const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct sqlguard_verdict *v, const char *rule,
		  const char *fmt, ...)
{
	va_list ap;

	if (v->rule)
		return -1; /* the first broken rule is the one reported */
	v->ok = 0;
	v->rule = rule;
	va_start(ap, fmt);
	vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
	va_end(ap);
	return -1;
}

struct walk {
	struct sqlguard_verdict *v;
	const char *scope[256]; /* CTE names visible here (borrowed) */
	int nscope;
};

static const char *sval(struct json_object *o)
{
	struct json_object *s, *x;

	if (json_object_object_get_ex(o, "String", &s) &&
	    json_object_object_get_ex(s, "sval", &x))
		return json_object_get_string(x);
	return NULL;
}

static const char *str_field(struct json_object *o, const char *k)
{
	struct json_object *x;

	return json_object_object_get_ex(o, k, &x) ?
		json_object_get_string(x) : NULL;
}

static int loc(struct json_object *o)
{
	struct json_object *x;

	return json_object_object_get_ex(o, "location", &x) ?
		json_object_get_int(x) + 1 : 0;
}

static int in_scope(const struct walk *w, const char *name)
{
	int i;

	for (i = 0; i < w->nscope; i++)
		if (strcmp(w->scope[i], name) == 0)
			return 1;
	return 0;
}

static int check_rangevar(struct walk *w, struct json_object *rv)
{
	const char *rel = str_field(rv, "relname");
	const char *sch = str_field(rv, "schemaname");
	const char *cat = str_field(rv, "catalogname");

	if (!rel)
		return refuse(w->v, "relation", "a table reference without a "
			      "name at position %d", loc(rv));
	if (cat)
		return refuse(w->v, "relation-qualified", "\"%s.%s.%s\" at "
			      "position %d: database-qualified names are "
			      "refused; use the q_* views", cat,
			      sch ? sch : "", rel, loc(rv));
	if (sch && (strcmp(sch, "pg_catalog") == 0 ||
		    strcmp(sch, "information_schema") == 0 ||
		    strncmp(sch, "pg_", 3) == 0))
		return refuse(w->v, "system-catalog", "\"%s.%s\" at position "
			      "%d: system catalogs are refused; only the q_* "
			      "views may be read", sch, rel, loc(rv));
	if (sch && strcmp(sch, VIEW_SCHEMA) != 0)
		return refuse(w->v, "schema", "\"%s.%s\" at position %d: only "
			      "the q_* views of schema " VIEW_SCHEMA " may be "
			      "read", sch, rel, loc(rv));
	if (!sch && in_scope(w, rel))
		return 0;
	if (in_list(sqlguard_views, rel))
		return 0;
	if (strncmp(rel, "pg_", 3) == 0 || strcmp(rel, "information_schema") == 0)
		return refuse(w->v, "system-catalog", "\"%s\" at position %d: "
			      "system catalogs are refused; only the q_* views "
			      "may be read", rel, loc(rv));
	return refuse(w->v, "relation", "\"%s\" at position %d is not one "
		      "of the q_* views (base tables and other relations are "
		      "refused); use one of the views of the schema card", rel,
		      loc(rv));
}

static const char *denied_reason(const char *name)
{
	int i;

	for (i = 0; denied_funcs[i].name; i++) {
		const char *d = denied_funcs[i].name;
		size_t n = strlen(d);

		if (d[n - 1] == '*' ? strncmp(name, d, n - 1) == 0 :
		    strcmp(name, d) == 0)
			return denied_funcs[i].why;
	}
	return NULL;
}

static int check_funccall(struct walk *w, struct json_object *fc)
{
	struct json_object *names;
	const char *parts[3] = {NULL, NULL, NULL}, *name, *sch, *why;
	size_t i, n;

	if (!json_object_object_get_ex(fc, "funcname", &names) ||
	    !json_object_is_type(names, json_type_array))
		return refuse(w->v, "function", "a function call without a "
			      "name at position %d", loc(fc));
	n = json_object_array_length(names);
	if (n < 1 || n > 2)
		return refuse(w->v, "function", "a function name of %zu parts "
			      "at position %d", n, loc(fc));
	for (i = 0; i < n; i++)
		if (!(parts[i] = sval(json_object_array_get_idx(names, i))))
			return refuse(w->v, "function", "an unreadable "
				      "function name at position %d", loc(fc));
	name = parts[n - 1];
	sch = n == 2 ? parts[0] : NULL;
	if ((why = denied_reason(name)))
		return refuse(w->v, "function-denied", "%s%s%s() at position "
			      "%d is refused: %s", sch ? sch : "", sch ? "." : "",
			      name, loc(fc), why);
	if (in_list(dora_funcs, name) && (!sch || strcmp(sch, VIEW_SCHEMA) == 0))
		return 0;
	if (in_list(allowed_funcs, name) &&
	    (!sch || strcmp(sch, "pg_catalog") == 0))
		return 0;
	return refuse(w->v, "function-not-allowed", "%s%s%s() at position %d "
		      "is not on the allow-list of functions (aggregates, "
		      "date/time, string, math, the q_dora_* functions)",
		      sch ? sch : "", sch ? "." : "", name, loc(fc));
}

static int check_typename(struct walk *w, struct json_object *tn)
{
	struct json_object *names;
	const char *t = NULL;
	size_t n;

	if (!json_object_object_get_ex(tn, "names", &names) ||
	    !json_object_is_type(names, json_type_array) ||
	    !(n = json_object_array_length(names)) ||
	    !(t = sval(json_object_array_get_idx(names, n - 1))))
		return refuse(w->v, "cast", "an unreadable type name at "
			      "position %d", loc(tn));
	if (n > 2 || (n == 2 && strcmp(sval(json_object_array_get_idx(names, 0)) ?
					 sval(json_object_array_get_idx(names, 0)) : "",
					 "pg_catalog") != 0))
		return refuse(w->v, "cast", "type %s at position %d: only "
			      "built-in value types are allowed", t, loc(tn));
	if (!in_list(allowed_types, t))
		return refuse(w->v, "cast", "a cast to %s at position %d is "
			      "refused: only plain value types (numbers, text, "
			      "dates, times, intervals, json, uuid)", t, loc(tn));
	return 0;
}

static int walk_node(struct walk *w, struct json_object *o, int depth);

/* Push the CTE names of a WITH on this object, for its subtree. */
static int push_ctes(struct walk *w, struct json_object *o)
{
	struct json_object *with, *ctes;
	size_t i, n;
	int pushed = 0;

	if (!json_object_object_get_ex(o, "withClause", &with) ||
	    !json_object_object_get_ex(with, "ctes", &ctes) ||
	    !json_object_is_type(ctes, json_type_array))
		return 0;
	n = json_object_array_length(ctes);
	for (i = 0; i < n; i++) {
		struct json_object *cte;
		const char *name;

		if (!json_object_object_get_ex(json_object_array_get_idx(ctes, i),
					       "CommonTableExpr", &cte) ||
		    !(name = str_field(cte, "ctename")))
			continue;
		if (w->nscope >= (int)(sizeof(w->scope) / sizeof(w->scope[0]))) {
			refuse(w->v, "too-complex", "more than %zu named "
			       "subqueries", sizeof(w->scope) / sizeof(w->scope[0]));
			return -1;
		}
		w->scope[w->nscope++] = name;
		pushed++;
	}
	return pushed;
}

static int walk_key(struct walk *w, const char *k, struct json_object *val,
		    int depth)
{
	size_t kl = strlen(k);

	if (kl > 4 && strcmp(k + kl - 4, "Stmt") == 0 &&
	    strcmp(k, "SelectStmt") != 0)
		return refuse(w->v, "statement", "a %s inside the query: only "
			      "SELECT may run (data-modifying WITH, utility "
			      "statements and the like are refused)", k);
	if (strcmp(k, "intoClause") == 0)
		return refuse(w->v, "select-into", "SELECT INTO creates a "
			      "table; only reading is allowed");
	if (strcmp(k, "lockingClause") == 0)
		return refuse(w->v, "locking", "FOR UPDATE/SHARE takes row "
			      "locks; only plain reading is allowed");
	if (strcmp(k, "ParamRef") == 0)
		return refuse(w->v, "parameter", "a $n parameter at position "
			      "%d: the query must be complete as written",
			      loc(val));
	if (strcmp(k, "RangeVar") == 0 && check_rangevar(w, val) < 0)
		return -1;
	if (strcmp(k, "FuncCall") == 0 && check_funccall(w, val) < 0)
		return -1;
	if (strcmp(k, "typeName") == 0 && check_typename(w, val) < 0)
		return -1;
	return walk_node(w, val, depth + 1);
}

static int walk_node(struct walk *w, struct json_object *o, int depth)
{
	int pushed, rc = 0;

	if (depth > MAX_DEPTH)
		return refuse(w->v, "too-complex", "the query nests deeper "
			      "than %d levels", MAX_DEPTH);
	if (json_object_is_type(o, json_type_array)) {
		size_t i, n = json_object_array_length(o);

		for (i = 0; i < n && rc == 0; i++)
			rc = walk_node(w, json_object_array_get_idx(o, i), depth + 1);
		return rc;
	}
	if (!json_object_is_type(o, json_type_object))
		return 0;
	if ((pushed = push_ctes(w, o)) < 0)
		return -1;
	json_object_object_foreach(o, k, val) {
		if ((rc = walk_key(w, k, val, depth)) < 0)
			break;
	}
	w->nscope -= pushed;
	return rc;
}

static void fingerprint(const char *sql, struct sqlguard_verdict *v)
{
	PgQueryFingerprintResult f = pg_query_fingerprint(sql);

	if (!f.error && f.fingerprint_str)
		snprintf(v->fingerprint, sizeof(v->fingerprint), "%s",
			 f.fingerprint_str);
	pg_query_free_fingerprint_result(f);
}

/* Parse sql into its JSON tree (*tree owned by the caller, json_object_put)
 * and check the statement count and kind. 0 or -1 (v says why). */
static int parse_one(const char *sql, struct json_object **tree,
		     struct json_object **stmt_entry, struct sqlguard_verdict *v)
{
	PgQueryParseResult pr = pg_query_parse(sql);
	struct json_tokener *tok = NULL;
	struct json_object *stmts, *st, *sel;
	int rc = -1;

	*tree = NULL;
	if (pr.error) {
		v->cursorpos = pr.error->cursorpos;
		refuse(v, "parse", "syntax error at position %d: %s",
		       pr.error->cursorpos, pr.error->message);
		goto out;
	}
	if (!(tok = json_tokener_new_ex(MAX_DEPTH * 3))) {
		refuse(v, "internal", "out of memory");
		goto out;
	}
	*tree = json_tokener_parse_ex(tok, pr.parse_tree, (int)strlen(pr.parse_tree));
	if (!*tree || json_tokener_get_error(tok) != json_tokener_success) {
		refuse(v, "too-complex", "the parse tree could not be read "
		       "(%s); simplify the query",
		       json_tokener_error_desc(json_tokener_get_error(tok)));
		goto out;
	}
	if (!json_object_object_get_ex(*tree, "stmts", &stmts) ||
	    json_object_array_length(stmts) == 0) {
		refuse(v, "empty", "no statement (only white space or "
		       "comments); write one SELECT");
		goto out;
	}
	if (json_object_array_length(stmts) != 1) {
		refuse(v, "multiple-statements", "%zu statements: exactly one "
		       "SELECT is allowed (nothing after a ';')",
		       json_object_array_length(stmts));
		goto out;
	}
	*stmt_entry = json_object_array_get_idx(stmts, 0);
	if (!json_object_object_get_ex(*stmt_entry, "stmt", &st) ||
	    !json_object_object_get_ex(st, "SelectStmt", &sel)) {
		const char *kind = "nothing";

		if (st) {
			json_object_object_foreach(st, k, val) {
				(void)val;
				kind = k;
				break;
			}
		}
		refuse(v, "not-select", "the statement is a %s: only a SELECT "
		       "is allowed", kind);
		goto out;
	}
	rc = 0;
out:
	if (tok)
		json_tokener_free(tok);
	pg_query_free_parse_result(pr);
	return rc;
}

int sqlguard_check(const char *sql, struct sqlguard_verdict *v)
{
	struct json_object *tree = NULL, *entry = NULL;
	struct walk w;
	int rc = -1;

	memset(v, 0, sizeof(*v));
	memset(&w, 0, sizeof(w));
	w.v = v;
	if (!sql) {
		refuse(v, "empty", "no SQL");
		goto out;
	}
	if (parse_one(sql, &tree, &entry, v) < 0)
		goto out;
	fingerprint(sql, v);
	if (walk_node(&w, entry, 0) < 0)
		goto out;
	v->ok = 1;
	rc = 0;
out:
	if (tree)
		json_object_put(tree);
	return rc;
}

char *sqlguard_wrap(const char *sql, unsigned max_rows,
		    struct sqlguard_verdict *v)
{
	struct json_object *tree = NULL, *entry = NULL, *x;
	struct strbuf sb = STRBUF_INIT;
	struct sqlguard_verdict v2;
	size_t start = 0, len, total;
	char *out = NULL;

	if (sqlguard_check(sql, v) < 0)
		goto out;
	if (parse_one(sql, &tree, &entry, v) < 0)
		goto out;
	total = strlen(sql);
	if (json_object_object_get_ex(entry, "stmt_location", &x))
		start = (size_t)json_object_get_int(x);
	len = json_object_object_get_ex(entry, "stmt_len", &x) ?
		(size_t)json_object_get_int(x) : 0;
	if (start > total)
		start = total;
	if (len == 0 || start + len > total)
		len = total - start;
	/* newlines so a trailing -- comment cannot swallow the wrapper */
	sb_addf(&sb, "SELECT * FROM (\n%.*s\n) q LIMIT %u", (int)len,
		sql + start, max_rows);
	if (!sb.buf) {
		refuse(v, "internal", "out of memory");
		goto out;
	}
	if (sqlguard_check(sb.buf, &v2) < 0) {
		v->ok = 0;
		v->rule = "wrap";
		snprintf(v->detail, sizeof(v->detail), "the query does not "
			 "stand as a subquery (%s: %.400s)", v2.rule, v2.detail);
		goto out;
	}
	out = sb.buf;
	sb.buf = NULL;
out:
	if (tree)
		json_object_put(tree);
	sb_free(&sb);
	return out;
}

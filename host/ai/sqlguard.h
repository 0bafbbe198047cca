/*
 * sqlguard: proves a generated SQL text reads only the ask.q_* views, or
 * refuses it naming the rule it broke (docs/ask.md lists every rule and
 * why). It parses with libpg_query (PostgreSQL 15's own grammar) and walks
 * the whole JSON parse tree generically, so no node type can hide a
 * statement, a table or a function from it.
 */
#ifndef PULSE_AI_SQLGUARD_H
#define PULSE_AI_SQLGUARD_H

#include <stddef.h>

struct sqlguard_verdict {
	int ok;                /* 1: allowed */
	const char *rule;      /* static; the rule broken, NULL when ok */
	char detail[512];      /* what, where, what to do */
	int cursorpos;         /* 1-based position of a parse error, else 0 */
	char fingerprint[32];  /* pg_query_fingerprint hex, "" if unparsable */
};

/* The view names the guard allows, NULL-terminated (for the schema card). */
extern const char *const sqlguard_views[];

/* Check sql. Always fills *v. 0 when allowed, -1 when refused. */
int sqlguard_check(const char *sql, struct sqlguard_verdict *v);

/*
 * The text to run: sql's one statement (without a trailing ';'), wrapped
 * as SELECT * FROM (...) q LIMIT max_rows, and checked again as a whole.
 * Returns a malloc'd string owned by the caller, or NULL with *v saying
 * why (v->rule "wrap" when the wrapped text is not itself allowed).
 */
char *sqlguard_wrap(const char *sql, unsigned max_rows,
		    struct sqlguard_verdict *v);

#endif

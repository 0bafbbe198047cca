/* askfeedback: people's verdicts on ask's answers (issue 19): the
 * ask_feedback rows (migration 106), and the rating of the answer's
 * learning memory row they imply (docs/ask.md). */
#ifndef PULSE_ASKFEEDBACK_H
#define PULSE_ASKFEEDBACK_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#define ASKFB_MAX_QUESTION 2000
#define ASKFB_MAX_SQL 20000
#define ASKFB_MAX_COMMENT 2000

struct askfb_entry {
	const char *question;  /* 1..ASKFB_MAX_QUESTION bytes */
	int64_t memory_id;     /* the answer's memory_id, 0 = none */
	const char *sql;       /* the SQL that ran, NULL = none */
	const char *verdict;   /* "helpful" | "not_helpful" */
	const char *comment;   /* NULL = none */
	const char *actor;     /* "user:EMAIL", "token:ID" */
};

/* Record e for tenant in one transaction: the ask_feedback row, and
 * when e->memory_id is set, ai_learning_memory.feedback = good|bad (the
 * last verdict wins). Returns the new id; 0 when memory_id is not an
 * answer of this tenant (err says so); -1 on a database error (err). */
int64_t askfb_record(PGconn *c, int64_t tenant, const struct askfb_entry *e,
		     char *err, size_t errlen);

/* The newest limit rows of tenant, newest first, as a JSON array (new
 * reference), or NULL with err set. */
json_object *askfb_list_json(PGconn *c, int64_t tenant, int limit, char *err,
			     size_t errlen);

#endif

/*
 * schemacard: the description of what a question may read, given to the
 * LLM. Generated from the catalog as the query role sees it: the ask.q_*
 * views and q_dora_* functions, their columns, types and comments, the
 * relations the comments declare ("joins q_x.col"), and a few distinct
 * values of the columns whose comment ends in "[sampled]" (short codes
 * only: free text from rows never reaches a prompt).
 */
#ifndef PULSE_AI_SCHEMACARD_H
#define PULSE_AI_SCHEMACARD_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

/* Build the card of tenant into *out (malloc'd, owned by the caller).
 * 0, or -1 with err. */
int schemacard_build(PGconn *c, int64_t tenant, char **out, char *err,
		     size_t errlen);

#endif

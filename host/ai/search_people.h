/* search_people: the --team / --org-unit cut of semantic search
 * (docs/people.md): hits are kept when their author belongs to the
 * people of a directory group or org unit. */
#ifndef PULSE_AI_SEARCH_PEOPLE_H
#define PULSE_AI_SEARCH_PEOPLE_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "ai/search.h"

/* How many hits to ask the store for when limit are wanted after the cut
 * (the cut drops some: ask for more, within the store's maximum). */
uint32_t ai_search_people_fetch(uint32_t limit);

/*
 * Keep, in order, the hits of tenant whose author is one of the people of
 * team and/or ou, at most limit; the others are freed and *n shrinks.
 * The author of prs, prs_reviews, prs_comments and prs_commits hits is
 * the PR's (GitHub login); of work_items and changelogs hits, the item's
 * assignee or reporter (Jira account). Other tables have none and are
 * dropped. Runs its own read-only tenant transaction on db (idle).
 * 0; -1 with err (*usage set when the group or OU is unknown).
 */
int ai_search_people_filter(PGconn *db, int64_t tenant, const char *team,
			    const char *ou, uint32_t limit, struct ai_hit *hits,
			    size_t *n, int *usage, char *err, size_t errlen);

#endif

/* kit_paging: the state of each paging style the bundled connectors
 * meet, kept apart from the HTTP so that the transitions are plain,
 * testable functions. A loop reads: while (!it.done) { request with it's
 * position; step it with what the answer said }.
 *
 *   kt_links   REST Link headers (GitHub): the next URL, rel="next"
 *   kt_cursor  GraphQL connections (GitHub): endCursor + hasNextPage
 *   kt_offset  startAt/maxResults listings (Jira): values + isLast
 *   kt_token   nextPageToken searches (Jira): token + isLast
 */
#ifndef PULSE_PLUGINS_KIT_PAGING_H
#define PULSE_PLUGINS_KIT_PAGING_H

#include <stddef.h>
#include <stdint.h>

/* The rel="next" URL of a Link header value (NULL = none); malloc'ed,
 * the caller frees. NULL when there is none or out of memory. */
char *kt_link_next(const char *link);

struct kt_links {
	char *url;      /* the page to fetch; NULL: done. Owned. */
	int page;       /* pages stepped over so far (0 on the first) */
};
/* Start at url (taken over; NULL means nothing to fetch). */
void kt_links_start(struct kt_links *it, char *url);
/* Move to next (taken over; NULL ends the walk). */
void kt_links_step(struct kt_links *it, char *next);
void kt_links_free(struct kt_links *it);

struct kt_cursor {
	char *after;    /* the cursor to send; NULL before the first page */
	int done;
};
/* After a page: its pageInfo says has_next and end (may be NULL). The
 * cursor keeps end even on the last page (a checkpoint resumes there).
 * -1 when out of memory (then done is set). */
int kt_cursor_step(struct kt_cursor *c, int has_next, const char *end);
void kt_cursor_free(struct kt_cursor *c);

struct kt_offset {
	int64_t start;  /* startAt of the next request */
	int done;
};
/* After a page of n values; is_last as the answer said (callers pass
 * their default when it is absent). An empty page also ends it. */
void kt_offset_step(struct kt_offset *o, size_t n, int is_last);

struct kt_token {
	char *token;    /* nextPageToken to send; NULL on the first page */
	int done;
};
/* After a page: is_last and the nextPageToken it carried (NULL or "" =
 * none). -1 when out of memory (then done is set). */
int kt_token_step(struct kt_token *t, int is_last, const char *next);
void kt_token_free(struct kt_token *t);

#endif

/* kit_paging: paging state per style (see kit_paging.h). */
#define _GNU_SOURCE 1 /* memmem */

#include <stdlib.h>
#include <string.h>

#include "kit_paging.h"

/* Link: <https://h/x?page=2>; rel="next", <https://h/x?page=9>; rel="last" */
char *kt_link_next(const char *h)
{
	const char *p, *lt, *gt;

	for (p = h; p && (lt = strchr(p, '<')) != NULL; p = gt + 1) {
		const char *end;

		gt = strchr(lt, '>');
		if (!gt)
			break;
		end = strchr(gt, ',');
		if (!end)
			end = gt + strlen(gt);
		if (memmem(gt, (size_t)(end - gt), "rel=\"next\"", 10))
			return strndup(lt + 1, (size_t)(gt - lt - 1));
	}
	return NULL;
}

void kt_links_start(struct kt_links *it, char *url)
{
	it->url = url;
	it->page = 0;
}

void kt_links_step(struct kt_links *it, char *next)
{
	free(it->url);
	it->url = next;
	it->page++;
}

void kt_links_free(struct kt_links *it)
{
	free(it->url);
	it->url = NULL;
}

int kt_cursor_step(struct kt_cursor *c, int has_next, const char *end)
{
	free(c->after);
	c->after = end ? strdup(end) : NULL;
	c->done = !has_next || !c->after;
	if (end && !c->after) {
		c->done = 1;
		return -1;
	}
	return 0;
}

void kt_cursor_free(struct kt_cursor *c)
{
	free(c->after);
	c->after = NULL;
}

void kt_offset_step(struct kt_offset *o, size_t n, int is_last)
{
	o->start += (int64_t)n;
	o->done = is_last || n == 0;
}

int kt_token_step(struct kt_token *t, int is_last, const char *next)
{
	free(t->token);
	t->token = NULL;
	if (is_last || !next || !*next) {
		t->done = 1;
		return 0;
	}
	t->token = strdup(next);
	t->done = t->token == NULL;
	return t->token ? 0 : -1;
}

void kt_token_free(struct kt_token *t)
{
	free(t->token);
	t->token = NULL;
}

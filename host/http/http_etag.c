/*
 * http_etag: conditional requests (PULSE_HTTP_CONDITIONAL). The ETag of
 * a URL is sent as If-None-Match; a run's new ETags stay in memory and
 * are saved with the job's state_set only by http_client_commit, once
 * the extract succeeded, so an ETag never stands for a page whose
 * processing did not finish.
 */
#include "config.h"

#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"
#include "plugin/job.h"

void http_etag_key(const char *url, char *out, size_t n)
{
	unsigned char d[32];
	size_t i, o;

	gcry_md_hash_buffer(GCRY_MD_SHA256, d, url, strlen(url));
	o = (size_t)snprintf(out, n, "etag:");
	for (i = 0; i < 16 && o + 2 < n; i++, o += 2)
		snprintf(out + o, n - o, "%02x", d[i]);
}

static struct etag_entry *etag_find(struct http_client *hc, const char *key)
{
	size_t i;

	for (i = 0; i < hc->netags; i++)
		if (strcmp(hc->etags[i].key, key) == 0)
			return &hc->etags[i];
	return NULL;
}

void http_etag_remember(struct http_client *hc, const char *key,
			  const char *etag)
{
	struct etag_entry *e = etag_find(hc, key), *ne;
	char *v = strdup(etag);

	if (!v)
		return; /* only costs a full fetch next time */
	if (e) {
		free(e->etag);
		e->etag = v;
		return;
	}
	ne = realloc(hc->etags, (hc->netags + 1) * sizeof(*ne));
	if (!ne) {
		free(v);
		return;
	}
	hc->etags = ne;
	ne[hc->netags].key = strdup(key);
	ne[hc->netags].etag = v;
	if (!ne[hc->netags].key) {
		free(v);
		return;
	}
	hc->netags++;
}

/* Persist the ETags remembered so far (state_set) and forget them. */
static void flush_etags(struct http_client *hc)
{
	const struct job_backend *be = hc->job->be;
	size_t i;

	for (i = 0; i < hc->netags; i++) {
		if (be && be->state_set &&
		    be->state_set(hc->job, hc->etags[i].key, hc->etags[i].etag) != PULSE_OK)
			hc->etag_errors++;
		free(hc->etags[i].key);
		free(hc->etags[i].etag);
	}
	hc->netags = 0;
}

int http_client_commit(struct http_client *hc)
{
	if (!hc)
		return 0;
	flush_etags(hc);
	return hc->etag_errors ? -1 : 0;
}

const char *http_etag_lookup(struct http_client *hc, const char *key,
			     char **saved)
{
	struct etag_entry *e = etag_find(hc, key);
	const struct job_backend *be = hc->job->be;

	*saved = NULL;
	if (e)
		return e->etag;
	if (be && be->state_get)
		*saved = be->state_get(hc->job, key);
	return *saved;
}

void http_etags_free(struct http_client *hc)
{
	size_t i;

	for (i = 0; i < hc->netags; i++) {
		free(hc->etags[i].key);
		free(hc->etags[i].etag);
	}
	free(hc->etags);
	hc->etags = NULL;
	hc->netags = 0;
}

/* metrics_shm: counters shared by the daemon and its job processes (see
 * metrics_shm.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

#include <curl/curl.h>

#include "server/metrics_shm.h"

/* A slot is claimed by CAS on state (0 free, 1 being written, 2 ready);
 * readers skip slots that are not ready. Slot METRICS_HTTP_SLOTS is the
 * overflow ("other"). */
struct http_slot {
	int state;
	int status;
	char host[METRICS_HOST_LEN];
	uint64_t count;
};

struct shm {
	uint64_t retries, waits, wait_ms;
	int64_t viewers;
	struct http_slot http[METRICS_HTTP_SLOTS + 1];
};

static struct shm *g;

int metrics_shm_init(void)
{
	void *p;

	if (g)
		return 0;
	p = mmap(NULL, sizeof(*g), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	g = p;
	snprintf(g->http[METRICS_HTTP_SLOTS].host, METRICS_HOST_LEN, "other");
	__atomic_store_n(&g->http[METRICS_HTTP_SLOTS].state, 2, __ATOMIC_RELEASE);
	return 0;
}

/* The host of url, lower-case, into out; "unknown" when it has none. */
static void url_host(const char *url, char *out, size_t len)
{
	CURLU *u = curl_url();
	char *h = NULL;
	size_t i;

	snprintf(out, len, "unknown");
	if (u && url && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && h && *h)
		snprintf(out, len, "%s", h);
	for (i = 0; out[i]; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	curl_free(h);
	curl_url_cleanup(u);
}

void metrics_http_count(const char *url, long status)
{
	char host[METRICS_HOST_LEN];
	struct http_slot *s;
	int i, zero, spin;

	if (!g)
		return;
	url_host(url, host, sizeof(host));
	if (status < 0 || status > 999)
		status = 0;
	for (i = 0; i < METRICS_HTTP_SLOTS; i++) {
		s = &g->http[i];
		zero = 0;
		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == 0 &&
		    __atomic_compare_exchange_n(&s->state, &zero, 1, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			snprintf(s->host, sizeof(s->host), "%s", host);
			s->status = (int)status;
			__atomic_store_n(&s->state, 2, __ATOMIC_RELEASE);
		}
		/* Another process may be writing this slot: wait for it,
		 * a bounded while (it may have been killed meanwhile). */
		for (spin = 0; spin < 100000 &&
		     __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == 1; spin++)
			;
		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == 2 &&
		    s->status == (int)status && strcmp(s->host, host) == 0) {
			__atomic_add_fetch(&s->count, 1, __ATOMIC_RELAXED);
			return;
		}
	}
	__atomic_add_fetch(&g->http[METRICS_HTTP_SLOTS].count, 1, __ATOMIC_RELAXED);
}

void metrics_retry(void)
{
	if (g)
		__atomic_add_fetch(&g->retries, 1, __ATOMIC_RELAXED);
}

void metrics_wait_ms(uint64_t ms)
{
	if (!g)
		return;
	__atomic_add_fetch(&g->waits, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&g->wait_ms, ms, __ATOMIC_RELAXED);
}

void metrics_viewers_add(int delta)
{
	if (g)
		__atomic_add_fetch(&g->viewers, delta, __ATOMIC_RELAXED);
}

void metrics_shm_read(struct metrics_shm_view *v)
{
	int i;

	memset(v, 0, sizeof(*v));
	if (!g)
		return;
	v->on = 1;
	v->retries = __atomic_load_n(&g->retries, __ATOMIC_RELAXED);
	v->waits = __atomic_load_n(&g->waits, __ATOMIC_RELAXED);
	v->wait_ms = __atomic_load_n(&g->wait_ms, __ATOMIC_RELAXED);
	v->viewers = __atomic_load_n(&g->viewers, __ATOMIC_RELAXED);
	for (i = 0; i <= METRICS_HTTP_SLOTS; i++) {
		struct http_slot *s = &g->http[i];
		uint64_t n;

		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != 2)
			continue;
		n = __atomic_load_n(&s->count, __ATOMIC_RELAXED);
		if (i == METRICS_HTTP_SLOTS && !n)
			continue;
		memcpy(v->http[v->nhttp].host, s->host, METRICS_HOST_LEN);
		v->http[v->nhttp].status = s->status;
		v->http[v->nhttp].count = n;
		v->nhttp++;
	}
}

/* ratelimit: server clock, token budgets, backoff, per-integration limits. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "http/ratelimit.h"

#define HOUR_MS (3600 * 1000LL)
#define BUSY_POLL_MS 50

int64_t rl_local_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void rl_clock_observe(struct rl_clock *c, int64_t date_s, int64_t local_ms)
{
	/* Date is truncated to the second: the server's true time lies in
	 * [date, date + 1s), so take the middle. */
	c->offset_ms = date_s * 1000 + 500 - local_ms;
	c->known = 1;
}

int64_t rl_server_now_ms(const struct rl_clock *c)
{
	return rl_local_ms() + (c && c->known ? c->offset_ms : 0);
}

int64_t rl_ms_until(const struct rl_clock *c, int64_t at_s)
{
	int64_t d = at_s * 1000 + 1000 - rl_server_now_ms(c);

	return d > 0 ? d : 0;
}

struct rl_bucket *rl_bucket_get(struct rl_token *t, const char *resource,
				int create)
{
	int i;
	struct rl_bucket *b;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->b[i].resource, resource) == 0)
			return &t->b[i];
	if (!create)
		return NULL;
	if (t->n < RL_MAX_RESOURCES) {
		b = &t->b[t->n++];
	} else {
		/* Full: resources are few in practice; recycle the first. */
		memmove(&t->b[0], &t->b[1], (RL_MAX_RESOURCES - 1) * sizeof(t->b[0]));
		b = &t->b[RL_MAX_RESOURCES - 1];
	}
	memset(b, 0, sizeof(*b));
	snprintf(b->resource, sizeof(b->resource), "%s", resource);
	b->cost = 1;
	return b;
}

void rl_bucket_update(struct rl_bucket *b, int64_t limit, int64_t remaining,
		      int64_t reset_s)
{
	if (b->known && b->reset_s == reset_s && remaining < b->remaining &&
	    b->remaining - remaining <= (limit > 0 ? limit : b->remaining))
		b->cost = b->remaining - remaining;
	if (b->cost < 1)
		b->cost = 1;
	if (limit > 0)
		b->limit = limit;
	b->remaining = remaining < 0 ? 0 : remaining;
	b->reset_s = reset_s;
	b->known = 1;
}

int rl_bucket_usable(const struct rl_bucket *b, int64_t now_s)
{
	if (!b || !b->known)
		return 1;
	if (b->reset_s > 0 && now_s >= b->reset_s)
		return 1;
	return b->remaining >= b->cost;
}

int64_t rl_pace_ms(const struct rl_bucket *b, int64_t now_ms)
{
	int64_t left, fits;

	if (!b || !b->known || b->limit <= 0 || b->reset_s <= 0)
		return 0;
	if (b->remaining * 10 > b->limit)
		return 0;
	left = b->reset_s * 1000 - now_ms;
	if (left <= 0)
		return 0;
	fits = b->remaining / (b->cost > 0 ? b->cost : 1);
	if (fits <= 0)
		return left; /* nothing fits: wait for the reset */
	return left / (fits + 1);
}

static uint64_t rng_next(void)
{
	static __thread uint64_t s;

	if (!s)
		s = (uint64_t)rl_local_ms() * 0x9E3779B97F4A7C15ULL ^
		    (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)&s;
	/* xorshift64*: jitter needs spread, not cryptographic quality. */
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	return s * 0x2545F4914F6CDD1DULL;
}

int64_t rl_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms)
{
	int64_t d = base_ms;
	int i;

	for (i = 0; i < attempt && d < cap_ms; i++)
		d *= 2;
	if (d > cap_ms)
		d = cap_ms;
	if (d < 2)
		return d;
	return d / 2 + (int64_t)(rng_next() % (uint64_t)(d / 2 + 1));
}

struct rl_limiter {
	struct rl_limiter *next;
	int64_t integration_id;
	int refs;
	int max_concurrent;
	int per_hour;
	int in_flight;
	int64_t window_start_ms;
	int64_t window_count;
};

static pthread_mutex_t lim_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rl_limiter *limiters;

struct rl_limiter *rl_limiter_get(int64_t integration_id, int max_concurrent,
				  int per_hour)
{
	struct rl_limiter *l;

	pthread_mutex_lock(&lim_lock);
	for (l = limiters; l; l = l->next)
		if (l->integration_id == integration_id)
			break;
	if (!l) {
		l = calloc(1, sizeof(*l));
		if (!l)
			goto out;
		l->integration_id = integration_id;
		l->max_concurrent = 4;
		l->next = limiters;
		limiters = l;
	}
	l->refs++;
	if (max_concurrent > 0)
		l->max_concurrent = max_concurrent;
	if (per_hour > 0)
		l->per_hour = per_hour;
out:
	pthread_mutex_unlock(&lim_lock);
	return l;
}

void rl_limiter_put(struct rl_limiter *l)
{
	struct rl_limiter **pp;

	if (!l)
		return;
	pthread_mutex_lock(&lim_lock);
	if (--l->refs == 0) {
		for (pp = &limiters; *pp; pp = &(*pp)->next)
			if (*pp == l) {
				*pp = l->next;
				break;
			}
		free(l);
	}
	pthread_mutex_unlock(&lim_lock);
}

int64_t rl_limiter_try(struct rl_limiter *l, int64_t now_ms)
{
	int64_t wait = 0;

	pthread_mutex_lock(&lim_lock);
	if (l->per_hour > 0) {
		if (!l->window_start_ms || now_ms - l->window_start_ms >= HOUR_MS) {
			l->window_start_ms = now_ms;
			l->window_count = 0;
		}
		if (l->window_count >= l->per_hour) {
			wait = l->window_start_ms + HOUR_MS - now_ms;
			goto out;
		}
	}
	if (l->in_flight >= l->max_concurrent) {
		wait = BUSY_POLL_MS;
		goto out;
	}
	l->in_flight++;
	l->window_count++;
out:
	pthread_mutex_unlock(&lim_lock);
	return wait > 0 ? wait : 0;
}

void rl_limiter_done(struct rl_limiter *l)
{
	pthread_mutex_lock(&lim_lock);
	if (l->in_flight > 0)
		l->in_flight--;
	pthread_mutex_unlock(&lim_lock);
}

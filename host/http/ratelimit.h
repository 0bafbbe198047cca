/*
 * ratelimit: the bookkeeping behind the HTTP service's waits — the server's
 * clock, per-token budgets read from rate-limit headers or reported by
 * plugins, backoff, and the per-integration concurrency and hourly limits.
 * Pure logic plus one mutex; no I/O, so it is unit-tested directly.
 */
#ifndef PULSE_RATELIMIT_H
#define PULSE_RATELIMIT_H

#include <stdint.h>

/* Wall-clock milliseconds since the epoch (the local clock). */
int64_t rl_local_ms(void);

/*
 * The server's clock as seen through its Date headers. Waits for a reset
 * time the server announced are computed against the server's "now", so a
 * skewed local clock (or a sandbox running on a test clock) waits exactly
 * as long as the server means.
 */
struct rl_clock {
	int64_t offset_ms; /* server time - local time */
	int known;
};
/* Record a Date header (epoch seconds) received at local time local_ms. */
void rl_clock_observe(struct rl_clock *c, int64_t date_s, int64_t local_ms);
int64_t rl_server_now_ms(const struct rl_clock *c);
/* Milliseconds from the server's now until server epoch second `at`,
 * plus one second of margin (a Date header is truncated to the second);
 * 0 if already past. */
int64_t rl_ms_until(const struct rl_clock *c, int64_t at_s);

/* One budget of one token, e.g. GitHub's "core" or "graphql" resource. */
struct rl_bucket {
	char resource[32];
	int64_t limit;     /* 0 = unknown */
	int64_t remaining;
	int64_t reset_s;   /* server epoch seconds */
	int64_t cost;      /* last observed cost of one request, >= 1 */
	int known;
};

#define RL_MAX_RESOURCES 8
struct rl_token {
	struct rl_bucket b[RL_MAX_RESOURCES];
	int n;
};

/* The bucket for resource (created when missing and create != 0; the
 * oldest is recycled when the table is full). NULL only if !create. */
struct rl_bucket *rl_bucket_get(struct rl_token *t, const char *resource,
				int create);
/* New numbers for a bucket: the cost estimate is the drop in `remaining`
 * since the last update within the same window. */
void rl_bucket_update(struct rl_bucket *b, int64_t limit, int64_t remaining,
		      int64_t reset_s);
/* True if one more request fits, or the window has reset by now_s. */
int rl_bucket_usable(const struct rl_bucket *b, int64_t now_s);
/* Pacing delay before the next request so the remaining budget lasts
 * until reset: 0 while more than a tenth of the limit is left, else the
 * time to reset shared evenly among the requests that still fit. */
int64_t rl_pace_ms(const struct rl_bucket *b, int64_t now_ms);

/* Exponential backoff with jitter: a random delay in [d/2, d] with
 * d = min(cap, base * 2^attempt); attempt counts from 0. */
int64_t rl_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms);

/*
 * Per-integration limits, shared by every client of one integration in
 * this process: at most max_concurrent requests in flight and at most
 * per_hour requests in any fixed one-hour window (0 = no host budget).
 */
struct rl_limiter;
/* A reference to the integration's limiter (created on first use; later
 * calls update the limits when they are non-zero). Release with
 * rl_limiter_put. NULL when out of memory. */
struct rl_limiter *rl_limiter_get(int64_t integration_id, int max_concurrent,
				  int per_hour);
void rl_limiter_put(struct rl_limiter *l);
/*
 * Take a slot for one request. Returns 0 when taken; otherwise the number
 * of milliseconds to wait before asking again (> 0): the hourly budget is
 * spent, or every concurrency slot is busy (then a short poll interval).
 */
int64_t rl_limiter_try(struct rl_limiter *l, int64_t now_ms);
/* Give a slot back after the request finished. */
void rl_limiter_done(struct rl_limiter *l);

#endif

/*
 * route_cooldown: providers that keep failing are skipped for a while.
 * Process-wide, by integration id, guarded by a mutex (routers of several
 * threads share it). Also the router's clock, real or a test's.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ai/route_int.h"

#define COOL_SLOTS 64

struct cool {
	int64_t id;        /* 0: free slot */
	uint64_t until_ms;
	char why[256];
};

static struct cool cools[COOL_SLOTS];
static pthread_mutex_t cool_mu = PTHREAD_MUTEX_INITIALIZER;

static struct cool *slot(int64_t id, int make)
{
	struct cool *free_slot = NULL, *oldest = &cools[0];

	for (size_t i = 0; i < COOL_SLOTS; i++) {
		if (cools[i].id == id)
			return &cools[i];
		if (!cools[i].id && !free_slot)
			free_slot = &cools[i];
		if (cools[i].until_ms < oldest->until_ms)
			oldest = &cools[i];
	}
	if (!make)
		return NULL;
	/* Full: the cooldown ending first is the least useful to keep. */
	return free_slot ? free_slot : oldest;
}

uint64_t ai_cooldown_left(int64_t id, uint64_t now_ms, char *why,
			  size_t whylen)
{
	struct cool *c;
	uint64_t left = 0;

	pthread_mutex_lock(&cool_mu);
	c = slot(id, 0);
	if (c && c->until_ms > now_ms) {
		left = c->until_ms - now_ms;
		if (why)
			snprintf(why, whylen, "%s", c->why);
	}
	pthread_mutex_unlock(&cool_mu);
	return left;
}

void ai_cooldown_start(int64_t id, uint64_t until_ms, const char *why)
{
	struct cool *c;

	pthread_mutex_lock(&cool_mu);
	c = slot(id, 1);
	if (c->id != id || c->until_ms < until_ms) {
		c->id = id;
		c->until_ms = until_ms;
		snprintf(c->why, sizeof(c->why), "%s", why ? why : "");
	}
	pthread_mutex_unlock(&cool_mu);
}

void ai_cooldown_clear(int64_t id)
{
	struct cool *c;

	pthread_mutex_lock(&cool_mu);
	if ((c = slot(id, 0)))
		memset(c, 0, sizeof(*c));
	pthread_mutex_unlock(&cool_mu);
}

void ai_cooldown_reset(void)
{
	pthread_mutex_lock(&cool_mu);
	memset(cools, 0, sizeof(cools));
	pthread_mutex_unlock(&cool_mu);
}

uint64_t ai_now_ms(const struct ai_ctx *ctx)
{
	struct timespec ts;

	if (ctx && ctx->now_ms)
		return ctx->now_ms(ctx->clock_arg);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void ai_sleep_ms(const struct ai_ctx *ctx, uint64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};

	if (ctx && ctx->sleep_ms) {
		ctx->sleep_ms(ctx->clock_arg, ms);
		return;
	}
	while (nanosleep(&ts, &ts) != 0)
		; /* interrupted: sleep the rest */
}

/* auth_limit: failed sign-ins per key (see auth_limit.h). */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/auth_limit.h"

#define SLOTS 4096

struct slot {
	char key[192];
	int fails;
	int64_t first;   /* first failure of the window */
	int64_t until;   /* locked until */
	int64_t touched;
};

struct authlimit {
	pthread_mutex_t lock;
	struct slot s[SLOTS];
};

struct authlimit *authlimit_new(void)
{
	struct authlimit *l = calloc(1, sizeof(*l));

	if (l)
		pthread_mutex_init(&l->lock, NULL);
	return l;
}

void authlimit_free(struct authlimit *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l);
}

static struct slot *find(struct authlimit *l, const char *key, int create,
			 int64_t now)
{
	struct slot *victim = NULL;
	size_t i;

	for (i = 0; i < SLOTS; i++) {
		struct slot *s = &l->s[i];

		if (s->key[0] && strcmp(s->key, key) == 0)
			return s;
		if (!create)
			continue;
		/* prefer a free slot, then the oldest one not locked */
		if (!s->key[0]) {
			if (!victim || victim->key[0])
				victim = s;
		} else if (s->until <= now && (!victim || (victim->key[0] &&
			   s->touched < victim->touched))) {
			victim = s;
		}
	}
	if (!victim)
		return NULL; /* every slot locked: the key goes uncounted */
	memset(victim, 0, sizeof(*victim));
	snprintf(victim->key, sizeof(victim->key), "%s", key);
	return victim;
}

int64_t authlimit_locked(struct authlimit *l, const char *key, int64_t now)
{
	struct slot *s;
	int64_t left = 0;

	pthread_mutex_lock(&l->lock);
	s = find(l, key, 0, now);
	if (s && s->until > now)
		left = s->until - now;
	pthread_mutex_unlock(&l->lock);
	return left;
}

int64_t authlimit_fail(struct authlimit *l, const char *key, int attempts,
		       int window_s, int lock_s, int64_t now)
{
	struct slot *s;
	int64_t locked = 0;

	pthread_mutex_lock(&l->lock);
	s = find(l, key, 1, now);
	if (!s)
		goto out;
	if (s->fails == 0 || s->first + window_s <= now) {
		s->fails = 0;
		s->first = now;
	}
	s->touched = now;
	if (++s->fails >= attempts) {
		s->until = now + lock_s;
		s->fails = 0;
		locked = lock_s;
	}
out:
	pthread_mutex_unlock(&l->lock);
	return locked;
}

void authlimit_ok(struct authlimit *l, const char *key)
{
	struct slot *s;

	pthread_mutex_lock(&l->lock);
	s = find(l, key, 0, 0);
	if (s)
		memset(s, 0, sizeof(*s));
	pthread_mutex_unlock(&l->lock);
}

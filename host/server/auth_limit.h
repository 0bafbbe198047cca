/*
 * auth_limit: sign-in rate limiting (issue 18): failed attempts counted
 * per key ("account:EMAIL", "addr:IP"); after `attempts` failures
 * within `window_s` the key is locked for `lock_s` seconds. In memory,
 * per daemon (docs/auth.md says what that means with several daemons).
 * Thread-safe; a fixed table (the oldest unlocked entry is reused).
 */
#ifndef PULSE_AUTH_LIMIT_H
#define PULSE_AUTH_LIMIT_H

#include <stdint.h>

struct authlimit;

struct authlimit *authlimit_new(void);
void authlimit_free(struct authlimit *l);

/* Seconds key stays locked at now (0: not locked). */
int64_t authlimit_locked(struct authlimit *l, const char *key, int64_t now);
/* Count a failure (failures older than window_s are forgotten); after
 * attempts of them the key is locked for lock_s: the lock-out in
 * seconds when it starts now, else 0. */
int64_t authlimit_fail(struct authlimit *l, const char *key, int attempts,
		       int window_s, int lock_s, int64_t now);
/* A success: forget the key's failures. */
void authlimit_ok(struct authlimit *l, const char *key);

#endif

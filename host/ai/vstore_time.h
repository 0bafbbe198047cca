/* vstore_time: the times a vector store filters on, as epoch seconds. */
#ifndef PULSE_AI_VSTORE_TIME_H
#define PULSE_AI_VSTORE_TIME_H

#include <stdint.h>

/*
 * Seconds since 1970 of "YYYY-MM-DD", or of an ISO-8601 / PostgreSQL
 * time "YYYY-MM-DD[T ]HH:MM[:SS[.frac]][Z|±HH[:MM]]" (no zone: UTC).
 * 0, or -1 when s is neither.
 */
int vstore_epoch(const char *s, int64_t *epoch);

#endif

/* kit_time: ISO-8601 date-times for the bundled source plugins.
 * One parser and one formatter, so every plugin accepts the same inputs.
 * Pure functions of their arguments: no TZ, no locale, thread-safe.
 * Compiled into each plugin module; not part of the SDK. */
#ifndef PULSE_PLUGINS_KIT_TIME_H
#define PULSE_PLUGINS_KIT_TIME_H

#include <stddef.h>
#include <stdint.h>

/* "No time": what the parser returns for text that is not a date-time. */
#define KT_NO_TIME INT64_MIN

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (m 1..12). */
int64_t kt_days_from_civil(int64_t y, unsigned m, unsigned d);
/* Epoch seconds of a civil UTC date-time (no range checks). */
int64_t kt_civil_to_epoch(int64_t y, int mon, int d, int h, int mi, int s);
/* The civil UTC date-time of epoch seconds t; any pointer may be NULL. */
void kt_epoch_to_civil(int64_t t, int64_t *y, int *mon, int *d, int *h,
		       int *mi, int *s);
/* Days in month mon (1..12) of year y; 0 for a month out of range. */
int kt_days_in_month(int64_t y, int mon);

/*
 * "YYYY-MM-DD" (midnight UTC), or that followed by 'T' or ' ' and
 * "HH:MM[:SS[.f...]]" and an optional zone: "Z", "+hh:mm", "-hhmm" or
 * "+hh" (none = UTC). Any number of fraction digits (below milliseconds
 * they are dropped, rounding toward the past). Dates that do not exist
 * (Feb 30), hours above 23, minutes above 59 and seconds above 60 (a leap
 * second counts as the next second, as timegm does) are refused.
 * Returns epoch milliseconds, or KT_NO_TIME; s may be NULL.
 */
int64_t kt_time_parse_ms(const char *s);
/* The same in whole epoch seconds (fraction dropped toward the past),
 * for callers that use -1 as "none": -1 when it does not parse or lies
 * before 1970. */
int64_t kt_time_parse_s(const char *s);

/* Epoch milliseconds as canonical UTC: "YYYY-MM-DDTHH:MM:SSZ" with
 * frac 0, "YYYY-MM-DDTHH:MM:SS.mmmZ" with frac 3 (other values act as
 * 3). out should have >= 25 bytes; it is always terminated when n > 0. */
void kt_time_format_ms(int64_t ms, int frac, char *out, size_t n);

#endif

/*
 * metrics_shm: the in-process counters of GET /metrics (HTTP calls by
 * host and status, retries, rate-limit waits, WebSocket viewers).
 *
 * Outgoing HTTP runs in job processes forked by the daemon, so the
 * counters live in one anonymous shared mapping made by the daemon
 * before it forks (metrics_shm_init): every child adds to the same
 * table with atomic operations, the daemon's API thread reads it. In a
 * process without the mapping (the CLI, `job run`) every call is a
 * no-op. Hosts are bounded by the allow-list in practice; past
 * METRICS_HTTP_SLOTS distinct (host, status) pairs the rest is counted
 * under host "other".
 */
#ifndef PULSE_METRICS_SHM_H
#define PULSE_METRICS_SHM_H

#include <stdint.h>

#define METRICS_HTTP_SLOTS 256
#define METRICS_HOST_LEN 64

/* Map the shared table (once; later calls do nothing). 0, or -1 (no
 * memory): the counters are then off, nothing else changes. */
int metrics_shm_init(void);

/* One HTTP attempt that got an answer (status 0: none, a transport
 * error) to url's host. */
void metrics_http_count(const char *url, long status);
void metrics_retry(void);
/* A rate-limit or budget wait that lasted ms milliseconds. */
void metrics_wait_ms(uint64_t ms);
void metrics_viewers_add(int delta);

/* A consistent-enough snapshot for rendering (counters only grow). */
struct metrics_http_row {
	char host[METRICS_HOST_LEN];
	int status;
	uint64_t count;
};
struct metrics_shm_view {
	int on;             /* 0: no shared table in this process */
	uint64_t retries, waits, wait_ms;
	int64_t viewers;
	int nhttp;
	struct metrics_http_row http[METRICS_HTTP_SLOTS + 1];
};
/* Fill *v (which the caller owns). */
void metrics_shm_read(struct metrics_shm_view *v);

#endif

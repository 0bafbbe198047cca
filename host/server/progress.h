/*
 * progress: the event bus between job processes and WebSocket viewers.
 *
 * The orchestrator publishes job events (started, progress, completed,
 * error, state); the server subscribes one struct progress_sub per
 * viewer. Channels: "job:<id>" per job and "vectorization" per tenant; a
 * subscriber only ever receives events of its own tenant.
 *
 * A slow viewer never slows a job: publish only queues. Each subscriber's
 * queue coalesces progress per channel (a newer job_progress replaces an
 * unsent older one of the same channel if nothing else of that channel
 * follows it), while started/completed/error/state events are never
 * dropped, so a viewer always sees started < progress... < final.
 *
 * Single-threaded: call everything from the server's event loop.
 */
#ifndef PULSE_PROGRESS_H
#define PULSE_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#define PROG_STARTED 1
#define PROG_PROGRESS 2
#define PROG_COMPLETED 3
#define PROG_ERROR 4
#define PROG_STATE 5          /* any other state change (paused, ...) */
#define PROG_VECTORIZATION 6  /* vectorization queue counts */

struct progress_event {
	int kind;                 /* PROG_* */
	int64_t tenant_id;
	int64_t job_id;           /* 0 for PROG_VECTORIZATION */
	int64_t integration_id;
	int64_t run_id;
	const char *state;        /* job state after the event, or NULL */
	const char *step;         /* PROGRESS */
	uint64_t done, total;     /* PROGRESS; total 0 = unknown */
	int64_t run_started_us;   /* for the ETA; 0 = unknown */
	int64_t ts_us;            /* when the job process emitted it */
	const char *message;      /* ERROR: what went wrong; STATE: reason */
	const char *extra_json;   /* VECTORIZATION: an object to embed */
};

struct progress_bus;
struct progress_sub;

/* A bus whose messages keep `headroom` writable bytes before their data
 * (lws_write needs LWS_PRE). Free with progress_bus_free. */
struct progress_bus *progress_bus_new(size_t headroom);
void progress_bus_free(struct progress_bus *b);

/*
 * A subscriber of tenant's events; wake(ctx) is called whenever it has
 * something new to send. All channels until progress_sub_only() narrows
 * them. New subscribers first get the last event of every job of their
 * tenant that is still running (so a viewer joining mid-run has a bar).
 * Release with progress_unsubscribe.
 */
struct progress_sub *progress_subscribe(struct progress_bus *b,
					int64_t tenant_id,
					void (*wake)(void *ctx), void *ctx);
void progress_unsubscribe(struct progress_sub *s);
/* Receive only these channels from now on ("job:7", "vectorization";
 * "*" = all). Returns 0, or -1 for a malformed or NULL channel name
 * (see wsmsg_channel_valid). */
int progress_sub_only(struct progress_sub *s, const char *const *channels,
		      size_t n);

/* Publish to every subscriber of ev->tenant_id. */
void progress_publish(struct progress_bus *b, const struct progress_event *ev);

/*
 * The next message for s: *data points at the JSON text (with the bus's
 * headroom writable before it), *len its length. Borrowed until
 * progress_sub_pop(). Returns 0 when the queue is empty.
 */
int progress_sub_peek(struct progress_sub *s, unsigned char **data,
		      size_t *len);
void progress_sub_pop(struct progress_sub *s);
/* Messages waiting for s (for tests and the bench). */
size_t progress_sub_pending(const struct progress_sub *s);

/* The JSON text of an event (malloc'd; caller frees), as sent. */
char *progress_event_json(const struct progress_event *ev, int64_t now_us);

/* Microseconds of CLOCK_REALTIME (comparable across processes). */
int64_t progress_now_us(void);

#endif

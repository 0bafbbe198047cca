/*
 * pubq: progress events from a thread other than the event loop's, in
 * order, to the progress bus (which is single-threaded: see progress.h).
 * A thread posts (a deep copy is queued) and the loop, woken through an
 * eventfd it watches, publishes them in the order they were posted.
 * pubq_wake() also runs the owner's wake(ctx) on the loop, for requests
 * that are not events (the orchestrator's fork requests).
 */
#ifndef PULSE_PUBQ_H
#define PULSE_PUBQ_H

#include "server/progress.h"

struct pubq;
struct server;

/* srv and bus are borrowed; wake (may be NULL) runs on the loop after the
 * queued events were published. Free with pubq_free after server_free
 * (the server's watch holds q). NULL when out of memory or descriptors. */
struct pubq *pubq_new(struct server *srv, struct progress_bus *bus,
		      void (*wake)(void *ctx), void *ctx);
void pubq_free(struct pubq *q);

/* Any thread: queue a copy of ev (its strings copied) and wake the loop.
 * Dropped (logged) when out of memory. */
void pubq_post(struct pubq *q, const struct progress_event *ev);

/* Any thread: run wake(ctx) on the loop soon. Only a write(2): safe while
 * holding locks. */
void pubq_wake(struct pubq *q);

/* On the loop: publish what is queued now. */
void pubq_drain(struct pubq *q);

#endif

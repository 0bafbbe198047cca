/*
 * vzprogress: the daemon's "vectorization" WebSocket channel while rows
 * are being vectorized, by whoever does it (a worker, the daemon's own
 * role, `vectorize run` on another machine): every 2 s it reads which
 * tenants have vectorization work (host_vectorize_tenants) and publishes
 * each such tenant's queue summary (the JSON of GET
 * /api/v1/vectorization/queue/summary) when it changed. A tenant stays
 * followed for 30 s after its work is done, so that the end of a burst
 * queued and finished between two reads is reported too.
 *
 * Its reads run off the event loop: vzprogress_tick runs on the
 * orchestrator's thread (orch_also) and publishes through a queue
 * (server/pubq.h), so a slow database never stalls the loop.
 */
#ifndef PULSE_VZPROGRESS_H
#define PULSE_VZPROGRESS_H

struct conf;
struct progress_bus;
struct server;
struct vzprogress;

/* Period of vzprogress_tick (ms). */
#define VZPROGRESS_MS 2000

/* srv, conf and bus are borrowed (all outlive it). Nothing runs until
 * vzprogress_tick is called, every VZPROGRESS_MS, on one thread other
 * than the loop's. NULL when out of memory or descriptors. */
struct vzprogress *vzprogress_new(const struct conf *conf,
				  struct progress_bus *bus, struct server *srv);

/* One read and publish round (ctx is the vzprogress); never on the loop. */
void vzprogress_tick(void *ctx);

/* Call after the server is freed and the thread calling vzprogress_tick
 * is joined. NULL ok. */
void vzprogress_free(struct vzprogress *p);

#endif

/*
 * vzprogress: the daemon's "vectorization" WebSocket channel while rows
 * are being vectorized, by whoever does it (a worker, the daemon's own
 * role, `vectorize run` on another machine): every 2 s it reads which
 * tenants have vectorization work (host_vectorize_tenants) and publishes
 * each such tenant's queue summary (the JSON of GET
 * /api/v1/vectorization/queue/summary) when it changed. A tenant stays
 * followed for 30 s after its work is done, so that the end of a burst
 * queued and finished between two reads is reported too.
 */
#ifndef PULSE_VZPROGRESS_H
#define PULSE_VZPROGRESS_H

struct conf;
struct progress_bus;
struct server;
struct vzprogress;

/* Start the timer on srv (borrowed, like conf and bus; all outlive it).
 * NULL when out of memory or the timer cannot be set. */
struct vzprogress *vzprogress_new(const struct conf *conf,
				  struct progress_bus *bus, struct server *srv);
/* Call after the server is freed (its timer is gone). NULL ok. */
void vzprogress_free(struct vzprogress *p);

#endif

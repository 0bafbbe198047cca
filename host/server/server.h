/*
 * server: the daemon's event loop (libwebsockets): HTTP (REST API, health,
 * viewer page) and the WebSocket progress stream on one listen address,
 * plus any file descriptor the daemon wants watched (job pipes, a
 * signalfd) and timers. Single-threaded: every callback runs on the
 * thread that calls server_run().
 *
 * WebSocket: ws://HOST:PORT/ws/progress?token=JWT. The token is checked
 * in the handshake (a bad one never gets a connection); the viewer then
 * receives every event of the token's tenant, or only the channels it
 * names in a message {"subscribe": ["job:7", "vectorization"]}.
 */
#ifndef PULSE_SERVER_H
#define PULSE_SERVER_H

#include <stddef.h>
#include <stdint.h>

struct api;
struct progress_bus;
struct server;

/*
 * Listen on `listen` ("HOST:PORT"). api and bus are borrowed. Returns NULL
 * with err set (e.g. the port is taken) on failure; free with server_free.
 */
struct server *server_new(const char *listen, struct api *api,
			  struct progress_bus *bus, char *err, size_t errlen);
void server_free(struct server *s);

/* The bytes the bus must reserve before each message (LWS_PRE). */
size_t server_headroom(void);

/*
 * Watch fd for reading: on_read(ctx, fd) runs when it is readable and
 * returns 0 to keep watching or -1 to stop (EOF); on_close(ctx) runs once
 * when watching stops, after which the server closes fd. Returns 0 or -1
 * (then fd is closed already).
 */
int server_watch_fd(struct server *s, int fd, int (*on_read)(void *ctx, int fd),
		    void (*on_close)(void *ctx), void *ctx);

/* Call fn(ctx) every `ms` milliseconds (first call after ms). */
int server_every(struct server *s, int ms, void (*fn)(void *ctx), void *ctx);

/* Call the timers' functions soon (from any callback). */
void server_kick(struct server *s);

/* Serve until server_stop(); returns 0. */
int server_run(struct server *s);
void server_stop(struct server *s);

/* Open WebSocket viewers right now. */
int server_viewers(const struct server *s);

/* Check every viewer's token again (after the API key was reloaded):
 * sessions whose token is no longer accepted are closed with the reason
 * "token no longer valid" (close code 1008). Sessions are also closed,
 * with "token expired", when their token's exp passes. */
void server_recheck_tokens(struct server *s);

#endif

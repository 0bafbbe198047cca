/* server_int: what the event loop's files share (server.c: HTTP, the
 * API thread, timers and watched fds; server_ws.c: the progress viewers).
 * Not for other subsystems: they use server.h. */
#ifndef PULSE_SERVER_INT_H
#define PULSE_SERVER_INT_H

#include <pthread.h>

#include <libwebsockets.h>

#include "base/strbuf.h"
#include "server/api.h"
#include "server/auth.h"
#include "server/server.h"

#define MAX_TIMERS 8

struct timer {
	lws_sorted_usec_list_t sul; /* first: the sul callback gets its address */
	struct server *s;
	int ms;
	void (*fn)(void *ctx);
	void *ctx;
};

/* What an HTTP request brought: read on the loop into the connection's
 * pss, and moved whole into an api_job when the API thread answers it. */
struct http_req {
	char method[8];
	char *path, *query, *auth;
	char *cookie, *csrf;  /* issue 18: session cookie, X-CSRF-Token */
	char peer[64];
	int tls;
	int peer_loopback;
	struct strbuf body;
	char *if_none_match;  /* issue 19: revalidating an embedded file */
};

/*
 * A request for the API thread. The loop hands it over whole (strings
 * and body moved in); the thread fills rs and puts it on the done list;
 * the loop sends rs when the connection is still there (pss->job), or
 * frees it (job->gone: the client left meanwhile). A WebSocket job
 * (ws) is the tenant look-up of a viewer's token (req.auth holds the token;
 * the answer is ws_rc, ws_who and ws_err): the handshake itself checks
 * only signature and claims, so no viewer's query runs on the loop.
 */
struct api_job {
	struct api_job *next;
	struct lws *wsi;
	struct pss *p;
	int gone;
	int ws;
	int ws_rc;
	struct auth_claims ws_who;
	char ws_err[256];
	struct http_req req;  /* moved in from the connection's */
	struct api_request rq;
	struct api_response rs;
};

struct server {
	struct lws_context *ctx;
	struct lws_vhost *vh;
	struct api *api;
	struct progress_bus *bus;
	struct timer timers[MAX_TIMERS];
	int ntimers;
	int stop;
	int viewers;
	/* The API thread: requests that read the database wait in todo, so
	 * a slow or locked database never stalls the loop (/healthz, the
	 * viewers, the orchestrator's timers). */
	pthread_t thread;
	int have_thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct api_job *todo, *todo_tail, *done;
	int quit;
};

/* Per connection: an HTTP transaction, or a WebSocket viewer. */
struct pss {
	/* HTTP */
	struct http_req req;
	int too_big;
	int close_after; /* a framing error: close once answered */
	int responding;
	int answered;   /* this transaction has its response (never twice) */
	struct api_response rs;
	struct api_job *job;  /* on the API thread: no reply yet */
	int ready;            /* rs came back from the API thread */
	size_t sent;
	/* WebSocket */
	struct progress_sub *sub;
	struct lws *wsi;
	struct strbuf rx;     /* a client message arriving in fragments */
	int rx_over;          /* it grew past WSMSG_MAX_LEN: refuse it */
	unsigned char *reply; /* LWS_PRE + an error reply to send (owned) */
	size_t reply_len;
	char *token;          /* the session's token, re-checked on reload */
	char *rx_pending;     /* a subscribe sent before the tenant check */
	const char *close_why; /* set: close with this reason when writable */
};

/* ---- server.c ----------------------------------------------------------- */

/* Copy a header into a new string (caller frees), NULL if absent. */
char *server_hdr_dup(struct lws *wsi, enum lws_token_indexes t);

/* Put j (owned by the queue from here) on the API thread's list. */
void server_job_enqueue(struct server *s, struct api_job *j);

/* ---- server_ws.c: the /ws/progress viewers, on the loop ---------------- */

/* LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: 0 to accept the handshake. */
int server_ws_filter(struct server *s, struct lws *wsi);

/* LWS_CALLBACK_ESTABLISHED: p is the viewer's (zeroed here); 0, or -1 to
 * drop it. Subscribed once the API thread has found the tenant. */
int server_ws_established(struct server *s, struct lws *wsi, struct pss *p);

/* A fragment of a client message. */
void server_ws_receive(struct lws *wsi, struct pss *p, const char *in,
		       size_t len);

/* The token's timer, or a key reload: check it again. */
void server_ws_recheck(struct server *s, struct lws *wsi, struct pss *p);

/* The API thread's answer about a viewer's token (j not gone). */
void server_ws_checked(struct server *s, struct api_job *j);

/* LWS_CALLBACK_SERVER_WRITEABLE: 0, or -1 to close. */
int server_ws_write(struct lws *wsi, struct pss *p);

/* LWS_CALLBACK_CLOSED: unsubscribe and free what p holds. */
void server_ws_closed(struct server *s, struct pss *p);

#endif

/* server_int: what the event loop's files share (server.c: the loop,
 * the API thread, timers and watched fds; server_http_read.c and
 * server_http_write.c: HTTP requests and responses; server_ws.c: the
 * progress viewers). Not for other subsystems: they use server.h. */
#ifndef PULSE_SERVER_INT_H
#define PULSE_SERVER_INT_H

#include <pthread.h>

#include <libwebsockets.h>

#include "base/strbuf.h"
#include "server/api.h"
#include "server/auth.h"
#include "server/server.h"

#define MAX_TIMERS 8

#define MAX_BODY (1024 * 1024)
/* Request limits, answered 414/431. lws itself closes silently when a
 * request overflows its header buffer (LWS_HDR_SPACE), so each header
 * is also cut by lws one byte past our limit (token_limits: a cut one
 * still reads as over the limit here, and takes no more room): one
 * oversize header or URL, however long, gets its status. Only requests
 * with several headers near the limit can still overflow the buffer. */
#define MAX_URL 8192
#define MAX_HEADERS_LEN 16384
#define MAX_HEADERS 64
#define LWS_HDR_SPACE 65536

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

/* Put j (owned by the queue from here) on the API thread's list. */
void server_job_enqueue(struct server *s, struct api_job *j);

/* Move p->req into a new job for the API thread (p->job points at it
 * until the reply is back). Non-zero: drop the connection. */
int server_job_submit(struct server *s, struct lws *wsi, struct pss *p);

/* ---- server_http_read.c: a request's head and body, on the loop -------- */

/* Copy a header into a new string (caller frees), NULL if absent. */
char *server_hdr_dup(struct lws *wsi, enum lws_token_indexes t);

/* Free what q holds (q itself is not freed) and clear it. */
void server_req_free(struct http_req *q);

/* The API's view of q (pointers into q, which must outlive rq). */
void server_req_to_api(const struct http_req *q, struct api_request *rq);

/* LWS_CALLBACK_HTTP: fill p->req (owned by p) from the head of the
 * request for uri `in` and check its framing and size. 0, or the HTTP
 * status to refuse it with (the reason in why; p->close_after set for
 * a framing error). *body_follows: answer at the body's end. */
int server_http_read(struct lws *wsi, struct pss *p, const char *in,
		     int *body_follows, char *why, size_t whylen);

/* LWS_CALLBACK_HTTP_BODY: add a piece of the body (too_big past
 * MAX_BODY). 0, or -1 to drop the connection. */
int server_http_body(struct pss *p, const void *in, size_t len);

/* The per-header limits for lws's context (static storage). */
const struct lws_token_limits *server_http_token_limits(void);

/* ---- server_http_write.c: the response, on the loop -------------------- */

/* Free p's request and response and forget its job (the API thread's
 * job is marked gone; the loop frees it). */
void server_http_reset(struct pss *p);

/* Answer a request refused before the API sees it. Non-zero: drop
 * the connection. */
int server_http_reject(struct lws *wsi, struct pss *p, int status,
		       const char *why);

/* Answer p->req: 413 for an oversize body, else on the API thread
 * when its path may wait on the database, else here. Non-zero: drop
 * the connection. */
int server_http_respond(struct server *s, struct lws *wsi, struct pss *p);

/* LWS_CALLBACK_HTTP_WRITEABLE: the headers once the API thread has
 * answered, then the body in chunks. 0, or -1 to close. */
int server_http_write(struct lws *wsi, struct pss *p);

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

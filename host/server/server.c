/* server: libwebsockets event loop, HTTP + WebSocket + watched fds. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <json-c/json.h>
#include <libwebsockets.h>

#include "server/api.h"
#include "base/conf.h"
#include "server/auth.h"
#include "base/log.h"
#include "server/metrics_shm.h"
#include "server/progress.h"
#include "server/server.h"
#include "server/server_int.h"
#include "server/wsmsg.h"
#include "base/strbuf.h"

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
#define CHUNK 16384

/* A watched descriptor (opaque user data of its raw wsi). */
struct watch {
	int (*on_read)(void *ctx, int fd);
	void (*on_close)(void *ctx);
	void *ctx;
	int fd;
};

/* Did this connection come from a loopback address (127/8, ::1, or
 * an IPv4-mapped 127/8)? /metrics answers only those by default. */
static int peer_is_loopback(struct lws *wsi)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = (int)lws_get_socket_fd(wsi);

	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
		const uint8_t *a = in6->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && a[12] == 127;
	}
	return ss.ss_family == AF_UNIX;
}

size_t server_headroom(void)
{
	return LWS_PRE;
}

static void lws_log_emit(int level, const char *line)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	log_msg(level == LLL_ERR ? LOG_ERROR : LOG_WARN, "WS", "lws=\"%.*s\"",
		(int)n, line);
}

/* Free what q holds (q itself is not freed) and clear it. */
static void req_free(struct http_req *q)
{
	free(q->path);
	free(q->query);
	free(q->auth);
	free(q->cookie);
	free(q->csrf);
	free(q->if_none_match);
	sb_free(&q->body);
	memset(q, 0, sizeof(*q));
}

/* The API's view of q (pointers into q, which must outlive rq). */
static void req_to_api(const struct http_req *q, struct api_request *rq)
{
	memset(rq, 0, sizeof(*rq));
	rq->method = q->method;
	rq->path = q->path ? q->path : "/";
	rq->query = q->query;
	rq->authorization = q->auth;
	rq->cookie = q->cookie;
	rq->csrf = q->csrf;
	rq->peer = q->peer[0] ? q->peer : NULL;
	rq->tls = q->tls;
	rq->body = q->body.buf;
	rq->body_len = q->body.len;
	rq->peer_loopback = q->peer_loopback;
	rq->if_none_match = q->if_none_match;
}

static void job_free(struct api_job *j)
{
	req_free(&j->req);
	api_response_free(&j->rs);
	free(j);
}

static void http_reset(struct pss *p)
{
	if (p->job) {
		/* The thread may be on it: the loop frees it when it is done. */
		p->job->gone = 1;
		p->job = NULL;
	}
	p->ready = 0;
	req_free(&p->req);
	api_response_free(&p->rs);
	memset(&p->rs, 0, sizeof(p->rs));
	p->too_big = p->responding = p->close_after = 0;
	p->sent = 0;
}

/* Copy a header into a new string (NULL if absent). */
char *server_hdr_dup(struct lws *wsi, enum lws_token_indexes t)
{
	int n = lws_hdr_total_length(wsi, t);
	char *s;

	if (n <= 0)
		return NULL;
	s = malloc((size_t)n + 1);
	if (s && lws_hdr_copy(wsi, s, n + 1, t) < 0) {
		free(s);
		s = NULL;
	}
	return s;
}

/* The X-CSRF-Token header (a custom header), or NULL. */
static char *csrf_dup(struct lws *wsi)
{
	char buf[128];
	int n = lws_hdr_custom_copy(wsi, buf, sizeof(buf), "x-csrf-token:", 13);

	return n > 0 ? strdup(buf) : NULL;
}

/* The query string, fragments joined with '&'. */
static char *query_dup(struct lws *wsi)
{
	struct strbuf sb = STRBUF_INIT;
	char frag[1024];
	int i;

	for (i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof(frag),
					  WSI_TOKEN_HTTP_URI_ARGS, i) >= 0; i++)
		sb_addf(&sb, "%s%s", i ? "&" : "", frag);
	return sb.len ? sb_detach(&sb) : (sb_free(&sb), NULL);
}

static const char *method_of(struct lws *wsi)
{
	static const struct {
		enum lws_token_indexes t;
		const char *m;
	} m[] = {
		{WSI_TOKEN_GET_URI, "GET"}, {WSI_TOKEN_POST_URI, "POST"},
		{WSI_TOKEN_PUT_URI, "PUT"}, {WSI_TOKEN_PATCH_URI, "PATCH"},
		{WSI_TOKEN_DELETE_URI, "DELETE"}, {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
		{WSI_TOKEN_HEAD_URI, "HEAD"},
	};
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (lws_hdr_total_length(wsi, m[i].t))
			return m[i].m;
	return "GET";
}

/* The fragments of header t (a header sent twice has two). */
static int hdr_count(struct lws *wsi, enum lws_token_indexes t)
{
	int n = 0;

	while (n < 64 && lws_hdr_fragment_length(wsi, t, n) > 0)
		n++;
	return n;
}

/*
 * Framing and size checks before a request is served. 0, or an HTTP
 * status with the reason in why. A framing error (Content-Length
 * twice or with Transfer-Encoding, or not a number) is the opening of
 * request smuggling behind a proxy: the caller answers and closes.
 */
static int http_check(struct lws *wsi, const char *uri, int *close_after,
		      char *why, size_t whylen)
{
	char cl[32];
	int t, total = 0, count = 0, ncl, i;

	*close_after = 0;
	if (strlen(uri) + (size_t)lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS) >
	    MAX_URL) {
		snprintf(why, whylen, "the URL is over %d bytes", MAX_URL);
		return 414;
	}
	for (t = 0; t < WSI_TOKEN_COUNT; t++) {
		int n = lws_hdr_total_length(wsi, (enum lws_token_indexes)t);

		if (n > 0) {
			total += n;
			count += hdr_count(wsi, (enum lws_token_indexes)t);
		}
	}
	if (total > MAX_HEADERS_LEN || count > MAX_HEADERS) {
		snprintf(why, whylen, "the request headers are too large (%d bytes "
			 "in %d headers; at most %d bytes and %d headers)", total,
			 count, MAX_HEADERS_LEN, MAX_HEADERS);
		*close_after = 1;
		return 431;
	}
	ncl = hdr_count(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
	*close_after = 1;
	if (ncl > 1) {
		snprintf(why, whylen, "Content-Length is given %d times", ncl);
		return 400;
	}
	if (ncl && lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
		snprintf(why, whylen, "Content-Length and Transfer-Encoding "
			 "together");
		return 400;
	}
	if (ncl) {
		int len = lws_hdr_copy(wsi, cl, sizeof(cl),
				       WSI_TOKEN_HTTP_CONTENT_LENGTH);

		for (i = 0; len > 0 && i < len; i++)
			if (cl[i] < '0' || cl[i] > '9')
				break;
		if (len <= 0 || i < len || len > 18) {
			snprintf(why, whylen, "Content-Length is not a number of "
				 "bytes (digits only, at most 18)");
			return 400;
		}
		if (strtoll(cl, NULL, 10) > MAX_BODY) {
			snprintf(why, whylen, "request body over 1 MiB");
			return 413;
		}
	}
	*close_after = 0;
	return 0;
}

/* Run the API and send the response headers; the body follows in
 * LWS_CALLBACK_HTTP_WRITEABLE. Returns non-zero to drop the connection. */
static int http_send_headers(struct lws *wsi, struct pss *p);

/* Answer a request refused before the API sees it (http_check). */
static int http_reject(struct lws *wsi, struct pss *p, int status,
		       const char *why)
{
	p->answered = 1;
	log_info("HTTP", "result=refused status=%d reason=\"%s\"%s", status,
		 why, p->close_after ? " close=1" : "");
	p->rs.status = status;
	p->rs.content_type = "application/json";
	sb_addf(&p->rs.body, "{\"error\":{\"code\":\"%s\",\"message\":\"",
		status == 414 ? "uri_too_long" : status == 431 ?
		"headers_too_large" : status == 413 ? "too_large" : "bad_request");
	sb_add_json_str(&p->rs.body, why);
	sb_adds(&p->rs.body, "\"}}\n");
	return http_send_headers(wsi, p);
}

/* Put j (owned by the queue from here) on the API thread's list. */
void server_job_enqueue(struct server *s, struct api_job *j)
{
	pthread_mutex_lock(&s->lock);
	if (s->todo_tail)
		s->todo_tail->next = j;
	else
		s->todo = j;
	s->todo_tail = j;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

/* Hand the request to the API thread; the reply is sent when it is
 * done (jobs_collect). Non-zero: drop the connection. */
static int job_submit(struct server *s, struct lws *wsi, struct pss *p)
{
	struct api_job *j = calloc(1, sizeof(*j));

	if (!j)
		return -1;
	j->wsi = wsi;
	j->p = p;
	/* the strings and the body move; the connection keeps none */
	j->req = p->req;
	memset(&p->req, 0, sizeof(p->req));
	req_to_api(&j->req, &j->rq);
	api_prepare(s->api, &j->rq);
	p->job = j;
	server_job_enqueue(s, j);
	return 0;
}

/* The API thread: one request at a time, in arrival order. */
static void *api_thread(void *arg)
{
	struct server *s = arg;
	struct api_job *j;

	pthread_mutex_lock(&s->lock);
	while (!s->quit) {
		if (!s->todo) {
			pthread_cond_wait(&s->wake, &s->lock);
			continue;
		}
		j = s->todo;
		s->todo = j->next;
		if (!s->todo)
			s->todo_tail = NULL;
		pthread_mutex_unlock(&s->lock);
		if (j->ws)
			j->ws_rc = api_check_token(s->api, j->req.auth, &j->ws_who,
						   j->ws_err, sizeof(j->ws_err));
		else
			api_handle(s->api, &j->rq, &j->rs);
		pthread_mutex_lock(&s->lock);
		j->next = s->done;
		s->done = j;
		/* The only lws call that is safe from another thread. */
		lws_cancel_service(s->ctx);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* On the loop (LWS_CALLBACK_EVENT_WAIT_CANCELLED): take the finished
 * requests and ask for a writable callback to send each reply. */
static void jobs_collect(struct server *s)
{
	struct api_job *j, *next;

	pthread_mutex_lock(&s->lock);
	j = s->done;
	s->done = NULL;
	pthread_mutex_unlock(&s->lock);
	for (; j; j = next) {
		next = j->next;
		if (!j->gone && j->ws) {
			server_ws_checked(s, j);
		} else if (!j->gone) {
			api_finish(s->api, &j->rs);
			/* sessions revoked (logout, a user disabled): close
			 * their viewers now, not at the next periodic check */
			if (j->rs.recheck_viewers)
				server_recheck_tokens(s);
			log_debug("HTTP", "method=%s path=%s status=%d", j->req.method,
				  j->rq.path, j->rs.status);
			api_response_free(&j->p->rs);
			j->p->rs = j->rs;
			memset(&j->rs, 0, sizeof(j->rs));
			j->p->job = NULL;
			j->p->ready = 1;
			lws_callback_on_writable(j->wsi);
		}
		job_free(j);
	}
}

static int http_respond(struct server *s, struct lws *wsi, struct pss *p)
{
	struct api_request rq;

	p->answered = 1;
	req_to_api(&p->req, &rq);
	if (p->too_big) {
		p->rs.status = 413;
		p->rs.content_type = "application/json";
		sb_adds(&p->rs.body, "{\"error\":{\"code\":\"too_large\",\"message\":"
			"\"request body over 1 MiB\"}}\n");
	} else if (s->have_thread && api_needs_thread(rq.path)) {
		return job_submit(s, wsi, p);
	} else {
		api_prepare(s->api, &rq);
		api_handle(s->api, &rq, &p->rs);
		api_finish(s->api, &p->rs);
	}
	log_debug("HTTP", "method=%s path=%s status=%d", p->req.method, rq.path,
		  p->rs.status);
	return http_send_headers(wsi, p);
}

/* The status line and headers of p->rs; the body follows in
 * LWS_CALLBACK_HTTP_WRITEABLE. Non-zero: drop the connection. */
static int http_send_headers(struct lws *wsi, struct pss *p)
{
	unsigned char buf[LWS_PRE + 4096], *start = buf + LWS_PRE, *ptr = start,
		      *end = buf + sizeof(buf) - 1;
	size_t len = p->rs.static_body ? p->rs.static_len : p->rs.body.len;

	p->responding = 1;
	if (lws_add_http_common_headers(wsi, (unsigned)p->rs.status,
					p->rs.content_type, len, &ptr, end) ||
	    /* an embedded file: kept, but asked again each time (ETag) */
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
					(const unsigned char *)(p->rs.etag ? "no-cache" : "no-store"),
					8, &ptr, end) ||
	    (p->rs.etag &&
	     lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_ETAG,
					  (const unsigned char *)p->rs.etag,
					  (int)strlen(p->rs.etag), &ptr, end)) ||
	    (p->rs.request_id[0] &&
	     lws_add_http_header_by_name(wsi, (const unsigned char *)"x-request-id:",
					 (const unsigned char *)p->rs.request_id,
					 (int)strlen(p->rs.request_id), &ptr, end)) ||
	    (p->rs.set_cookie[0] &&
	     lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_SET_COOKIE,
					  (const unsigned char *)p->rs.set_cookie,
					  (int)strlen(p->rs.set_cookie), &ptr, end)) ||
	    (p->rs.location[0] &&
	     lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_LOCATION,
					  (const unsigned char *)p->rs.location,
					  (int)strlen(p->rs.location), &ptr, end)) ||
	    (p->close_after &&
	     lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
					  (const unsigned char *)"close", 5, &ptr, end)) ||
	    lws_finalize_write_http_header(wsi, start, &ptr, end))
		return 1;
	if (!len) {
		http_reset(p);
		return p->close_after || lws_http_transaction_completed(wsi) ? -1 : 0;
	}
	lws_callback_on_writable(wsi);
	return 0;
}

static int http_write(struct lws *wsi, struct pss *p)
{
	unsigned char buf[LWS_PRE + CHUNK];
	const unsigned char *data = p->rs.static_body ? p->rs.static_body :
				    (const unsigned char *)p->rs.body.buf;
	size_t len = p->rs.static_body ? p->rs.static_len : p->rs.body.len;
	size_t n = len - p->sent > CHUNK ? CHUNK : len - p->sent;
	int last = p->sent + n >= len;

	if (p->ready && !p->responding) {
		p->ready = 0;
		return http_send_headers(wsi, p);
	}
	if (!p->responding)
		return 0;
	memcpy(buf + LWS_PRE, data + p->sent, n);
	if (lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL :
		      LWS_WRITE_HTTP) != (int)n)
		return -1;
	p->sent += n;
	if (!last) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	{
		int close_after = p->close_after;

		http_reset(p);
		return close_after || lws_http_transaction_completed(wsi) ? -1 : 0;
	}
}

static int cb_main(struct lws *wsi, enum lws_callback_reasons reason,
		   void *user, void *in, size_t len)
{
	struct server *s = lws_context_user(lws_get_context(wsi));
	struct pss *p = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		http_reset(p);
		p->answered = 0;
		snprintf(p->req.method, sizeof(p->req.method), "%s", method_of(wsi));
		p->req.path = strdup(in ? (const char *)in : "/");
		p->req.query = query_dup(wsi);
		p->req.auth = server_hdr_dup(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
		p->req.cookie = server_hdr_dup(wsi, WSI_TOKEN_HTTP_COOKIE);
		p->req.csrf = csrf_dup(wsi);
		p->req.if_none_match = server_hdr_dup(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH);
		lws_get_peer_simple(wsi, p->req.peer, sizeof(p->req.peer));
		p->req.tls = lws_is_ssl(wsi);
		p->req.peer_loopback = peer_is_loopback(wsi);
		{
			char cl[24], why[200];
			int st = http_check(wsi, p->req.path ? p->req.path : "/",
					    &p->close_after, why, sizeof(why));

			if (st)
				return http_reject(wsi, p, st, why);

			/* A body follows only with a Content-Length > 0. */
			if (lws_hdr_copy(wsi, cl, sizeof(cl),
					 WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 &&
			    strtoll(cl, NULL, 10) > 0 &&
			    strcmp(p->req.method, "GET") != 0)
				return 0;
		}
		return http_respond(s, wsi, p);
	case LWS_CALLBACK_HTTP_BODY:
		if (p->answered)
			return 0; /* refused already (http_check) */
		if (p->req.body.len + len > MAX_BODY)
			p->too_big = 1;
		else if (sb_add(&p->req.body, in, len) < 0)
			return -1;
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		/* Also reported for "Content-Length: 0", answered already. */
		return p->answered ? 0 : http_respond(s, wsi, p);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return http_write(wsi, p);
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (s)
			jobs_collect(s);
		return 0;
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		if (p)
			http_reset(p);
		return 0;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return server_ws_filter(s, wsi) < 0 ? 1 : 0;
	case LWS_CALLBACK_ESTABLISHED:
		return server_ws_established(s, wsi, p);
	case LWS_CALLBACK_RECEIVE:
		if (p->token)
			server_ws_receive(wsi, p, in, len);
		return 0;
	case LWS_CALLBACK_TIMER:
	case LWS_CALLBACK_USER:
		/* the token's timer; or server_recheck_tokens(): keys reloaded */
		if (p && p->token)
			server_ws_recheck(s, wsi, p);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return server_ws_write(wsi, p);
	case LWS_CALLBACK_CLOSED:
		if (p)
			server_ws_closed(s, p);
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static int cb_fd(struct lws *wsi, enum lws_callback_reasons reason,
		 void *user, void *in, size_t len)
{
	struct watch *w = lws_get_opaque_user_data(wsi);

	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		return w && w->on_read(w->ctx, w->fd) < 0 ? -1 : 0;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		if (w) {
			lws_set_opaque_user_data(wsi, NULL);
			if (w->on_close)
				w->on_close(w->ctx);
			free(w);
		}
		return 0;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{"pulse", cb_main, sizeof(struct pss), 4096, 0, NULL, 0},
	{"pulse-fd", cb_fd, 0, 0, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

/* Per-header limits for lws (see LWS_HDR_SPACE): the URL tokens at
 * MAX_URL + 1, every other header at MAX_HEADERS_LEN + 1. */
static const struct lws_token_limits *token_limits(void)
{
	static struct lws_token_limits tl;
	static const enum lws_token_indexes urls[] = {
		WSI_TOKEN_GET_URI, WSI_TOKEN_POST_URI, WSI_TOKEN_PUT_URI,
		WSI_TOKEN_PATCH_URI, WSI_TOKEN_DELETE_URI, WSI_TOKEN_OPTIONS_URI,
		WSI_TOKEN_HEAD_URI, WSI_TOKEN_HTTP_URI_ARGS,
	};
	size_t i;

	for (i = 0; i < WSI_TOKEN_COUNT; i++)
		tl.token_limit[i] = MAX_HEADERS_LEN + 1;
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
		tl.token_limit[urls[i]] = MAX_URL + 1;
	return &tl;
}

struct server *server_new(const char *listen, struct api *api,
			  struct progress_bus *bus, char *err, size_t errlen)
{
	struct lws_context_creation_info info;
	struct server *s = calloc(1, sizeof(*s));
	char host[128] = "";
	int port = CONTEXT_PORT_NO_LISTEN;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	if (!listen)
		goto setup; /* no server role: only the event loop */
	/* Same rule as `config check`: never a silent port 0 (random). */
	if (conf_parse_listen(listen, host, sizeof(host), &port, err,
			      errlen) < 0)
		goto fail;
setup:
	s->api = api;
	s->bus = bus;
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
	memset(&info, 0, sizeof(info));
	info.port = port;
	info.iface = host[0] && strcmp(host, "*") != 0 ? host : NULL;
	info.protocols = protocols;
	info.user = s;
	info.gid = (gid_t)-1;
	info.uid = (uid_t)-1;
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6 |
		       LWS_SERVER_OPTION_VALIDATE_UTF8;
	info.vhost_name = "default";
	info.timeout_secs = 30;
	info.max_http_header_data2 = LWS_HDR_SPACE; /* over a short's range */
	info.token_limits = token_limits();
	s->ctx = lws_create_context(&info);
	if (!s->ctx) {
		snprintf(err, errlen, "cannot listen on %s (in use, or not a local "
			 "address?); change `listen` in the configuration",
			 listen ? listen : "(nothing)");
		goto fail;
	}
	s->vh = lws_get_vhost_by_name(s->ctx, "default");
	if (!s->vh) {
		snprintf(err, errlen, "libwebsockets made no vhost for %s", listen);
		goto fail;
	}
	/* Fail loudly unless the socket is bound where we were told. */
	if (listen && lws_get_vhost_listen_port(s->vh) != port) {
		snprintf(err, errlen, "cannot listen on %s (bound port %d); "
			 "change `listen` in the configuration", listen,
			 lws_get_vhost_listen_port(s->vh));
		goto fail;
	}
	if (listen) {
		if (pthread_create(&s->thread, NULL, api_thread, s) != 0) {
			snprintf(err, errlen, "cannot start the API thread");
			goto fail;
		}
		s->have_thread = 1;
		log_info("WS", "listen=%s", listen);
	}
	return s;
fail:
	server_free(s);
	return NULL;
}

void server_free(struct server *s)
{
	int i;

	if (!s)
		return;
	if (s->have_thread) {
		/* A request in progress finishes first (bounded by the
		 * database's statement_timeout). */
		pthread_mutex_lock(&s->lock);
		s->quit = 1;
		pthread_cond_signal(&s->wake);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
	}
	for (i = 0; i < s->ntimers && s->ctx; i++)
		lws_sul_cancel(&s->timers[i].sul);
	if (s->ctx)
		lws_context_destroy(s->ctx);
	/* After the context: closing connections mark their jobs gone. */
	while (s->todo) {
		struct api_job *j = s->todo;

		s->todo = j->next;
		job_free(j);
	}
	while (s->done) {
		struct api_job *j = s->done;

		s->done = j->next;
		job_free(j);
	}
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int server_watch_fd(struct server *s, int fd, int (*on_read)(void *ctx, int fd),
		    void (*on_close)(void *ctx), void *ctx)
{
	struct watch *w = calloc(1, sizeof(*w));
	lws_adopt_desc_t ad;

	if (!w) {
		close(fd);
		return -1;
	}
	w->on_read = on_read;
	w->on_close = on_close;
	w->ctx = ctx;
	w->fd = fd;
	memset(&ad, 0, sizeof(ad));
	ad.vh = s->vh;
	ad.type = LWS_ADOPT_RAW_FILE_DESC;
	ad.fd.filefd = fd;
	ad.vh_prot_name = "pulse-fd";
	ad.opaque = w;
	if (!lws_adopt_descriptor_vhost_via_info(&ad)) {
		free(w); /* lws closed fd */
		return -1;
	}
	return 0;
}

static void timer_fire(lws_sorted_usec_list_t *sul)
{
	struct timer *t = (struct timer *)sul;

	t->fn(t->ctx);
	if (!t->s->stop)
		lws_sul_schedule(t->s->ctx, 0, &t->sul, timer_fire,
				 (lws_usec_t)t->ms * LWS_US_PER_MS);
}

int server_every(struct server *s, int ms, void (*fn)(void *ctx), void *ctx)
{
	struct timer *t;

	if (s->ntimers == MAX_TIMERS)
		return -1;
	t = &s->timers[s->ntimers++];
	memset(t, 0, sizeof(*t));
	t->s = s;
	t->ms = ms;
	t->fn = fn;
	t->ctx = ctx;
	lws_sul_schedule(s->ctx, 0, &t->sul, timer_fire,
			 (lws_usec_t)ms * LWS_US_PER_MS);
	return 0;
}

void server_kick(struct server *s)
{
	int i;

	for (i = 0; i < s->ntimers; i++)
		lws_sul_schedule(s->ctx, 0, &s->timers[i].sul, timer_fire, 1000);
}

int server_run(struct server *s)
{
	while (!s->stop)
		if (lws_service(s->ctx, 0) < 0)
			break;
	return 0;
}

void server_stop(struct server *s)
{
	s->stop = 1;
	lws_cancel_service(s->ctx);
}

int server_viewers(const struct server *s)
{
	return s->viewers;
}

void server_recheck_tokens(struct server *s)
{
	/* The vhost holds its own copy of the protocol table. */
	const struct lws_protocols *pr = s->vh ?
		lws_vhost_name_to_protocol(s->vh, "pulse") : NULL;

	if (pr)
		lws_callback_all_protocol(s->ctx, pr, LWS_CALLBACK_USER);
}

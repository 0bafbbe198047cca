/* server: libwebsockets event loop, HTTP + WebSocket + watched fds. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libwebsockets.h>

#include "server/api.h"
#include "base/conf.h"
#include "server/auth.h"
#include "base/log.h"
#include "server/progress.h"
#include "server/server.h"
#include "server/wsmsg.h"
#include "base/strbuf.h"

#define MAX_BODY (1024 * 1024)
#define MAX_TIMERS 8
#define CHUNK 16384

struct timer {
	lws_sorted_usec_list_t sul; /* first: the sul callback gets its address */
	struct server *s;
	int ms;
	void (*fn)(void *ctx);
	void *ctx;
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
};

/* Per connection: an HTTP transaction, or a WebSocket viewer. */
struct pss {
	/* HTTP */
	char method[8];
	char *path, *query, *auth;
	struct strbuf body;
	int too_big;
	int responding;
	int answered;   /* this transaction has its response (never twice) */
	struct api_response rs;
	size_t sent;
	/* WebSocket */
	struct progress_sub *sub;
	struct lws *wsi;
	struct strbuf rx;     /* a client message arriving in fragments */
	int rx_over;          /* it grew past WSMSG_MAX_LEN: refuse it */
	unsigned char *reply; /* LWS_PRE + an error reply to send (owned) */
	size_t reply_len;
	char *token;          /* the session's token, re-checked on reload */
	const char *close_why; /* set: close with this reason when writable */
};

/* A watched descriptor (opaque user data of its raw wsi). */
struct watch {
	int (*on_read)(void *ctx, int fd);
	void (*on_close)(void *ctx);
	void *ctx;
	int fd;
};

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

static void http_reset(struct pss *p)
{
	free(p->path);
	free(p->query);
	free(p->auth);
	p->path = p->query = p->auth = NULL;
	sb_free(&p->body);
	api_response_free(&p->rs);
	memset(&p->rs, 0, sizeof(p->rs));
	p->too_big = p->responding = 0;
	p->sent = 0;
}

/* Copy a header into a new string (NULL if absent). */
static char *hdr_dup(struct lws *wsi, enum lws_token_indexes t)
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

/* Run the API and send the response headers; the body follows in
 * LWS_CALLBACK_HTTP_WRITEABLE. Returns non-zero to drop the connection. */
static int http_respond(struct server *s, struct lws *wsi, struct pss *p)
{
	unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *ptr = start,
		      *end = buf + sizeof(buf) - 1;
	struct api_request rq;
	size_t len;

	p->answered = 1;
	memset(&rq, 0, sizeof(rq));
	rq.method = p->method;
	rq.path = p->path ? p->path : "/";
	rq.query = p->query;
	rq.authorization = p->auth;
	rq.body = p->body.buf;
	rq.body_len = p->body.len;
	if (p->too_big) {
		p->rs.status = 413;
		p->rs.content_type = "application/json";
		sb_adds(&p->rs.body, "{\"error\":{\"code\":\"too_large\",\"message\":"
			"\"request body over 1 MiB\"}}\n");
	} else {
		api_handle(s->api, &rq, &p->rs);
	}
	log_debug("HTTP", "method=%s path=%s status=%d", p->method, rq.path,
		  p->rs.status);
	len = p->rs.static_body ? p->rs.static_len : p->rs.body.len;
	p->responding = 1;
	if (lws_add_http_common_headers(wsi, (unsigned)p->rs.status,
					p->rs.content_type, len, &ptr, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
					(const unsigned char *)"no-store", 8, &ptr, end) ||
	    lws_finalize_write_http_header(wsi, start, &ptr, end))
		return 1;
	if (!len) {
		http_reset(p);
		return lws_http_transaction_completed(wsi) ? -1 : 0;
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
	http_reset(p);
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static void ws_wake(void *ctx)
{
	lws_callback_on_writable((struct lws *)ctx);
}

/* The token of a /ws/progress handshake, checked: 0 and its claims;
 * *token (if not NULL) gets a copy of the token (caller frees). */
static int ws_auth(struct server *s, struct lws *wsi, struct auth_claims *who,
		   char **token)
{
	char uri[64], buf[2048], err[512];
	const char *tok;

	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) < 0 ||
	    strcmp(uri, "/ws/progress") != 0) {
		log_info("WS", "result=refused reason=\"unknown path\"");
		return -1;
	}
	tok = lws_get_urlarg_by_name(wsi, "token=", buf, sizeof(buf));
	if (!tok) {
		log_info("WS", "result=refused reason=\"no token= in the URL\"");
		return -1;
	}
	if (api_check_token(s->api, tok, who, err, sizeof(err)) < 0) {
		log_info("WS", "result=refused reason=\"%s\"", err);
		return -1;
	}
	if (token && !(*token = strdup(tok)))
		return -1;
	return 0;
}

/* Close the session at the next writable callback, saying why. */
static void ws_close_soon(struct lws *wsi, struct pss *p, const char *why)
{
	p->close_why = why;
	lws_callback_on_writable(wsi);
}

/* Arm the timer that ends the session when its token expires. */
static void ws_arm_expiry(struct lws *wsi, const struct auth_claims *who)
{
	int64_t left = who->exp - (int64_t)time(NULL);

	if (left < 1)
		left = 1;
	/* lws timers are relative microseconds; re-armed if over a day. */
	if (left > 86400)
		left = 86400;
	lws_set_timer_usecs(wsi, (lws_usec_t)left * LWS_USEC_PER_SEC);
}

/* Re-check the session's token (timer or key reload): close it with a
 * clear reason once the token is no longer accepted. */
static void ws_recheck(struct server *s, struct lws *wsi, struct pss *p)
{
	struct auth_claims who;
	char err[512];

	if (!p->token || p->close_why)
		return;
	if (api_check_token(s->api, p->token, &who, err, sizeof(err)) < 0) {
		log_info("WS", "viewer=closed reason=\"%s\"", err);
		ws_close_soon(wsi, p, strstr(err, "expired") ? "token expired" :
			      "token no longer valid");
		return;
	}
	ws_arm_expiry(wsi, &who);
}

/* Queue an error reply for the viewer (one at a time: a newer error
 * replaces an unsent one, so a flood of bad messages costs no memory). */
static void ws_reply_error(struct lws *wsi, struct pss *p, const char *msg)
{
	char *json = wsmsg_error_json(msg);
	size_t n = json ? strlen(json) : 0;

	free(p->reply);
	p->reply = json ? malloc(LWS_PRE + n) : NULL;
	if (p->reply) {
		memcpy(p->reply + LWS_PRE, json, n);
		p->reply_len = n;
		lws_callback_on_writable(wsi);
	}
	free(json);
}

/* One complete client message: checked by wsmsg_parse, then acted on. */
static void ws_message(struct lws *wsi, struct pss *p, const char *in,
		       size_t len)
{
	const char *v[WSMSG_MAX_CHANNELS];
	struct wsmsg m;
	char err[256];
	size_t i;

	if (wsmsg_parse(in, len, &m, err, sizeof(err)) < 0) {
		log_info("WS", "result=refused_message reason=\"%s\"", err);
		ws_reply_error(wsi, p, err);
		return;
	}
	for (i = 0; i < m.nchannels; i++)
		v[i] = m.channels[i];
	if (progress_sub_only(p->sub, v, m.nchannels) < 0)
		ws_reply_error(wsi, p, "cannot subscribe (out of memory)");
}

/* Gather fragments; a message over WSMSG_MAX_LEN is refused whole. */
static void ws_receive(struct lws *wsi, struct pss *p, const char *in,
		       size_t len)
{
	if (lws_is_first_fragment(wsi)) {
		sb_reset(&p->rx);
		p->rx_over = 0;
	}
	if (p->rx.len + len > WSMSG_MAX_LEN)
		p->rx_over = 1;
	else if (sb_add(&p->rx, in, len) < 0)
		p->rx_over = 1;
	if (!lws_is_final_fragment(wsi))
		return;
	if (p->rx_over)
		ws_reply_error(wsi, p, "message too large; at most 4096 bytes");
	else
		ws_message(wsi, p, p->rx.buf ? p->rx.buf : "", p->rx.len);
	sb_free(&p->rx);
	p->rx_over = 0;
}

static int ws_write(struct lws *wsi, struct pss *p)
{
	unsigned char *data;
	size_t len;

	if (p->close_why) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
				 (unsigned char *)(uintptr_t)p->close_why,
				 strlen(p->close_why));
		return -1;
	}
	if (p->reply) {
		int n = lws_write(wsi, p->reply + LWS_PRE, p->reply_len,
				  LWS_WRITE_TEXT);

		free(p->reply);
		p->reply = NULL;
		if (n < (int)p->reply_len)
			return -1;
		if (p->sub && progress_sub_pending(p->sub))
			lws_callback_on_writable(wsi);
		return 0;
	}
	while (p->sub && progress_sub_peek(p->sub, &data, &len)) {
		if (lws_write(wsi, data, len, LWS_WRITE_TEXT) < (int)len)
			return -1;
		progress_sub_pop(p->sub);
		if (lws_send_pipe_choked(wsi)) {
			if (progress_sub_pending(p->sub))
				lws_callback_on_writable(wsi);
			break;
		}
	}
	return 0;
}

static int cb_main(struct lws *wsi, enum lws_callback_reasons reason,
		   void *user, void *in, size_t len)
{
	struct server *s = lws_context_user(lws_get_context(wsi));
	struct pss *p = user;
	struct auth_claims who;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		http_reset(p);
		p->answered = 0;
		snprintf(p->method, sizeof(p->method), "%s", method_of(wsi));
		p->path = strdup(in ? (const char *)in : "/");
		p->query = query_dup(wsi);
		p->auth = hdr_dup(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
		{
			char cl[24];

			/* A body follows only with a Content-Length > 0. */
			if (lws_hdr_copy(wsi, cl, sizeof(cl),
					 WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 &&
			    strtoll(cl, NULL, 10) > 0 &&
			    strcmp(p->method, "GET") != 0)
				return 0;
		}
		return http_respond(s, wsi, p);
	case LWS_CALLBACK_HTTP_BODY:
		if (p->body.len + len > MAX_BODY)
			p->too_big = 1;
		else if (sb_add(&p->body, in, len) < 0)
			return -1;
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		/* Also reported for "Content-Length: 0", answered already. */
		return p->answered ? 0 : http_respond(s, wsi, p);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return http_write(wsi, p);
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		if (p)
			http_reset(p);
		return 0;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return ws_auth(s, wsi, &who, NULL) < 0 ? 1 : 0;
	case LWS_CALLBACK_ESTABLISHED:
		memset(p, 0, sizeof(*p));
		if (ws_auth(s, wsi, &who, &p->token) < 0)
			return -1;
		p->wsi = wsi;
		p->sub = progress_subscribe(s->bus, who.tenant, ws_wake, wsi);
		if (!p->sub)
			return -1;
		s->viewers++;
		ws_arm_expiry(wsi, &who);
		log_debug("WS", "viewer=open tenant=%lld viewers=%d",
			  (long long)who.tenant, s->viewers);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		if (p->sub)
			ws_receive(wsi, p, in, len);
		return 0;
	case LWS_CALLBACK_TIMER:
		if (p && p->sub)
			ws_recheck(s, wsi, p);
		return 0;
	case LWS_CALLBACK_USER:
		/* server_recheck_tokens(): the API keys were reloaded. */
		if (p && p->sub)
			ws_recheck(s, wsi, p);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return ws_write(wsi, p);
	case LWS_CALLBACK_CLOSED:
		if (p && p->sub) {
			progress_unsubscribe(p->sub);
			p->sub = NULL;
			s->viewers--;
		}
		if (p) {
			sb_free(&p->rx);
			free(p->reply);
			free(p->token);
			p->reply = NULL;
			p->token = NULL;
		}
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
	if (listen)
		log_info("WS", "listen=%s", listen);
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
	for (i = 0; i < s->ntimers && s->ctx; i++)
		lws_sul_cancel(&s->timers[i].sul);
	if (s->ctx)
		lws_context_destroy(s->ctx);
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

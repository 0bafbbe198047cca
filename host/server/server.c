/* server: libwebsockets event loop, HTTP + WebSocket + watched fds. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libwebsockets.h>

#include "server/api.h"
#include "base/log.h"
#include "server/progress.h"
#include "server/server.h"
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

/* The token of a /ws/progress handshake, checked: 0 and the tenant. */
static int ws_auth(struct server *s, struct lws *wsi, int64_t *tenant)
{
	char uri[64], buf[2048], err[512];
	const char *tok;
	int role;

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
	if (api_check_token(s->api, tok, tenant, &role, err, sizeof(err)) < 0) {
		log_info("WS", "result=refused reason=\"%s\"", err);
		return -1;
	}
	return 0;
}

static void ws_receive(struct pss *p, const char *in, size_t len)
{
	json_tokener *tok = json_tokener_new();
	json_object *o = NULL, *chans;

	if (tok) {
		o = json_tokener_parse_ex(tok, in, (int)len);
		json_tokener_free(tok);
	}
	if (o && json_object_object_get_ex(o, "subscribe", &chans) &&
	    json_object_is_type(chans, json_type_array)) {
		size_t i, n = json_object_array_length(chans);
		const char **v = calloc(n ? n : 1, sizeof(*v));

		for (i = 0; v && i < n; i++)
			v[i] = json_object_get_string(json_object_array_get_idx(chans, i));
		if (v && progress_sub_only(p->sub, v, n) < 0)
			log_info("WS", "result=ignored reason=\"bad channel list\"");
		free(v);
	}
	json_object_put(o);
}

static int ws_write(struct lws *wsi, struct pss *p)
{
	unsigned char *data;
	size_t len;

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
	int64_t tenant;

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
		return ws_auth(s, wsi, &tenant) < 0 ? 1 : 0;
	case LWS_CALLBACK_ESTABLISHED:
		memset(p, 0, sizeof(*p));
		if (ws_auth(s, wsi, &tenant) < 0)
			return -1;
		p->wsi = wsi;
		p->sub = progress_subscribe(s->bus, tenant, ws_wake, wsi);
		if (!p->sub)
			return -1;
		s->viewers++;
		log_debug("WS", "viewer=open tenant=%lld viewers=%d",
			  (long long)tenant, s->viewers);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		if (p->sub)
			ws_receive(p, in, len);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return ws_write(wsi, p);
	case LWS_CALLBACK_CLOSED:
		if (p && p->sub) {
			progress_unsubscribe(p->sub);
			p->sub = NULL;
			s->viewers--;
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
	const char *colon = listen ? strrchr(listen, ':') : NULL;
	int port = CONTEXT_PORT_NO_LISTEN;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!listen)
		goto setup; /* no server role: only the event loop */
	if (!colon || (size_t)(colon - listen) >= sizeof(host) ||
	    (port = atoi(colon + 1)) < 0 || port > 65535) {
		snprintf(err, errlen, "listen '%s' must be HOST:PORT", listen);
		goto fail;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
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

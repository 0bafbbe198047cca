/* server_http_read: an HTTP request's head and body, read on the loop
 * into the connection's pss, with the framing and size checks. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libwebsockets.h>

#include "base/strbuf.h"
#include "server/api.h"
#include "server/server_int.h"

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

/* Free what q holds (q itself is not freed) and clear it. */
void server_req_free(struct http_req *q)
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
void server_req_to_api(const struct http_req *q, struct api_request *rq)
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

/* LWS_CALLBACK_HTTP: read the head of the request at uri `in` into
 * p->req and check it. */
int server_http_read(struct lws *wsi, struct pss *p, const char *in,
		     int *body_follows, char *why, size_t whylen)
{
	char cl[24];
	int st;

	*body_follows = 0;
	snprintf(p->req.method, sizeof(p->req.method), "%s", method_of(wsi));
	p->req.path = strdup(in ? in : "/");
	p->req.query = query_dup(wsi);
	p->req.auth = server_hdr_dup(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
	p->req.cookie = server_hdr_dup(wsi, WSI_TOKEN_HTTP_COOKIE);
	p->req.csrf = csrf_dup(wsi);
	p->req.if_none_match = server_hdr_dup(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH);
	lws_get_peer_simple(wsi, p->req.peer, sizeof(p->req.peer));
	p->req.tls = lws_is_ssl(wsi);
	p->req.peer_loopback = peer_is_loopback(wsi);
	st = http_check(wsi, p->req.path ? p->req.path : "/", &p->close_after,
			why, whylen);
	if (st)
		return st;
	/* A body follows only with a Content-Length > 0. */
	if (lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 &&
	    strtoll(cl, NULL, 10) > 0 && strcmp(p->req.method, "GET") != 0)
		*body_follows = 1;
	return 0;
}

int server_http_body(struct pss *p, const void *in, size_t len)
{
	if (p->answered)
		return 0; /* refused already (http_check) */
	if (p->req.body.len + len > MAX_BODY)
		p->too_big = 1;
	else if (sb_add(&p->req.body, in, len) < 0)
		return -1;
	return 0;
}

/* Per-header limits for lws (see LWS_HDR_SPACE): the URL tokens at
 * MAX_URL + 1, every other header at MAX_HEADERS_LEN + 1. */
const struct lws_token_limits *server_http_token_limits(void)
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

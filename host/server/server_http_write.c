/* server_http_write: the response to an HTTP request - run inline or
 * handed to the API thread, then the headers and the body in chunks. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "base/log.h"
#include "base/strbuf.h"
#include "server/api.h"
#include "server/server_int.h"

#define CHUNK 16384

void server_http_reset(struct pss *p)
{
	if (p->job) {
		/* The thread may be on it: the loop frees it when it is done. */
		p->job->gone = 1;
		p->job = NULL;
	}
	p->ready = 0;
	server_req_free(&p->req);
	api_response_free(&p->rs);
	memset(&p->rs, 0, sizeof(p->rs));
	p->too_big = p->responding = p->close_after = 0;
	p->sent = 0;
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
		int close_after = p->close_after; /* the reset clears it */

		server_http_reset(p);
		return close_after || lws_http_transaction_completed(wsi) ? -1 : 0;
	}
	lws_callback_on_writable(wsi);
	return 0;
}

/* Answer a request refused before the API sees it (http_check). */
int server_http_reject(struct lws *wsi, struct pss *p, int status,
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

int server_http_respond(struct server *s, struct lws *wsi, struct pss *p)
{
	struct api_request rq;

	p->answered = 1;
	server_req_to_api(&p->req, &rq);
	if (p->too_big) {
		p->rs.status = 413;
		p->rs.content_type = "application/json";
		sb_adds(&p->rs.body, "{\"error\":{\"code\":\"too_large\",\"message\":"
			"\"request body over 1 MiB\"}}\n");
	} else if (s->have_thread && api_needs_thread(rq.path)) {
		return server_job_submit(s, wsi, p);
	} else {
		api_prepare(s->api, &rq);
		api_handle(s->api, &rq, &p->rs);
		api_finish(s->api, &p->rs);
	}
	log_debug("HTTP", "method=%s path=%s status=%d", p->req.method, rq.path,
		  p->rs.status);
	return http_send_headers(wsi, p);
}

int server_http_write(struct lws *wsi, struct pss *p)
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

		server_http_reset(p);
		return close_after || lws_http_transaction_completed(wsi) ? -1 : 0;
	}
}

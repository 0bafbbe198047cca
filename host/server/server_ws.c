/* server_ws: the /ws/progress viewers on the event loop: the handshake's
 * token (signature and claims here, the tenant on the API thread), client
 * messages (wsmsg.c), the progress events they subscribed to, and the
 * session's end when its token expires or is revoked. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>

#include "base/log.h"
#include "base/strbuf.h"
#include "server/api.h"
#include "server/auth.h"
#include "server/metrics_shm.h"
#include "server/progress.h"
#include "server/server_int.h"
#include "server/wsmsg.h"

/* The session cookie of a WebSocket handshake (a browser sends the
 * cookie, never a header of our choosing), into buf; NULL if absent. */
static const char *ws_cookie_token(struct lws *wsi, char *buf, size_t len)
{
	char *c = server_hdr_dup(wsi, WSI_TOKEN_HTTP_COOKIE), *p;
	const char *out = NULL;
	size_t n = strlen("pulse_session=");

	for (p = c; p && *p; ) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, "pulse_session=", n) == 0) {
			size_t l = strcspn(p + n, ";");

			if (l < len) {
				memcpy(buf, p + n, l);
				buf[l] = '\0';
				out = buf;
			}
			break;
		}
		p = strchr(p, ';');
	}
	free(c);
	return out;
}

static void ws_wake(void *ctx)
{
	lws_callback_on_writable((struct lws *)ctx);
}

/* The token of a /ws/progress handshake, checked for signature and
 * claims (no database: this runs on the loop): 0 and its claims; *token
 * (if not NULL) gets a copy of the token (caller frees). The tenant
 * look-up follows on the API thread (ws_tenant_check); the viewer gets
 * no event before it has passed. */
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
	if (!tok)
		tok = ws_cookie_token(wsi, buf, sizeof(buf));
	if (!tok) {
		log_info("WS", "result=refused reason=\"no token= in the URL\"");
		return -1;
	}
	if (api_check_token_signed(s->api, tok, who, err, sizeof(err)) < 0) {
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
static void ws_arm_expiry(struct lws *wsi, const struct auth_claims *who,
			  int recheck_s)
{
	int64_t left = who->exp - (int64_t)time(NULL);

	if (left < 1)
		left = 1;
	/* Checked again every auth.viewer_recheck_seconds, so a session
	 * or token revoked elsewhere (the CLI) closes the viewer. */
	if (recheck_s > 0 && left > recheck_s)
		left = recheck_s;
	/* lws timers are relative microseconds; re-armed if over a day. */
	if (left > 86400)
		left = 86400;
	lws_set_timer_usecs(wsi, (lws_usec_t)left * LWS_USEC_PER_SEC);
}

/* Ask the API thread whether the token's tenant still exists; the
 * answer comes to server_ws_checked. One look-up at a time per viewer. */
static int ws_tenant_check(struct server *s, struct lws *wsi, struct pss *p)
{
	struct api_job *j;

	if (p->job)
		return 0;
	if (!s->have_thread)
		return -1;
	j = calloc(1, sizeof(*j));
	if (!j || !(j->req.auth = strdup(p->token))) {
		free(j);
		return -1;
	}
	j->ws = 1;
	j->wsi = wsi;
	j->p = p;
	p->job = j;
	server_job_enqueue(s, j);
	return 0;
}

/* Re-check the session's token (timer or key reload): close it with a
 * clear reason once the token is no longer accepted. Signature and
 * claims here, the tenant on the API thread. */
void server_ws_recheck(struct server *s, struct lws *wsi, struct pss *p)
{
	struct auth_claims who;
	char err[512];

	if (!p->token || p->close_why)
		return;
	if (api_check_token_signed(s->api, p->token, &who, err,
				   sizeof(err)) < 0) {
		log_info("WS", "viewer=closed reason=\"%s\"", err);
		ws_close_soon(wsi, p, strstr(err, "expired") ? "token expired" :
			      "token no longer valid");
		return;
	}
	ws_arm_expiry(wsi, &who, api_viewer_recheck_s(s->api));
	if (ws_tenant_check(s, wsi, p) < 0)
		ws_close_soon(wsi, p, "cannot check the token (out of memory)");
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
	if (!p->sub) {
		/* Still on the tenant check: the latest one is applied then. */
		free(p->rx_pending);
		p->rx_pending = strndup(in, len);
		if (!p->rx_pending)
			ws_reply_error(wsi, p, "cannot subscribe (out of memory)");
		return;
	}
	for (i = 0; i < m.nchannels; i++)
		v[i] = m.channels[i];
	if (progress_sub_only(p->sub, v, m.nchannels) < 0)
		ws_reply_error(wsi, p, "cannot subscribe (out of memory)");
}

/* The API thread's answer about a viewer's token (jobs_collect, on the
 * loop; j is still the viewer's: not gone). The first answer subscribes
 * the viewer; a refusal closes the session saying why. */
void server_ws_checked(struct server *s, struct api_job *j)
{
	struct pss *p = j->p;

	p->job = NULL;
	if (j->ws_rc < 0) {
		log_info("WS", "viewer=closed reason=\"%s\"", j->ws_err);
		ws_close_soon(j->wsi, p, strstr(j->ws_err, "does not exist") ?
			      "token's tenant does not exist" :
			      strstr(j->ws_err, "expired") ? "token expired" :
			      "token no longer valid");
		return;
	}
	if (p->sub || p->close_why)
		return;
	p->sub = progress_subscribe(s->bus, j->ws_who.tenant, ws_wake, j->wsi);
	if (!p->sub) {
		ws_close_soon(j->wsi, p, "cannot subscribe (out of memory)");
		return;
	}
	s->viewers++;
	metrics_viewers_add(1);
	log_debug("WS", "viewer=open tenant=%lld viewers=%d",
		  (long long)j->ws_who.tenant, s->viewers);
	/* Messages sent before the check was answered. */
	if (p->rx_pending) {
		ws_message(j->wsi, p, p->rx_pending, strlen(p->rx_pending));
		free(p->rx_pending);
		p->rx_pending = NULL;
	}
}

/* Gather fragments; a message over WSMSG_MAX_LEN is refused whole. */
void server_ws_receive(struct lws *wsi, struct pss *p, const char *in,
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

int server_ws_write(struct lws *wsi, struct pss *p)
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

int server_ws_filter(struct server *s, struct lws *wsi)
{
	struct auth_claims who;

	return ws_auth(s, wsi, &who, NULL);
}

int server_ws_established(struct server *s, struct lws *wsi, struct pss *p)
{
	struct auth_claims who;

	memset(p, 0, sizeof(*p));
	if (ws_auth(s, wsi, &who, &p->token) < 0)
		return -1;
	p->wsi = wsi;
	ws_arm_expiry(wsi, &who, api_viewer_recheck_s(s->api));
	return ws_tenant_check(s, wsi, p) < 0 ? -1 : 0;
}

void server_ws_closed(struct server *s, struct pss *p)
{
	if (p->sub) {
		progress_unsubscribe(p->sub);
		p->sub = NULL;
		s->viewers--;
		metrics_viewers_add(-1);
	}
	if (p->job) /* the API thread may be on it */
		p->job->gone = 1;
	p->job = NULL;
	sb_free(&p->rx);
	free(p->reply);
	free(p->token);
	free(p->rx_pending);
	p->reply = NULL;
	p->token = NULL;
	p->rx_pending = NULL;
}

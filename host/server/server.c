/* server: libwebsockets event loop, the API thread, timers and watched
 * fds; HTTP is read in server_http_read.c and answered in
 * server_http_write.c, the viewers are in server_ws.c. */
#include "config.h"

#include <pthread.h>
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
#include "server/metrics_shm.h"
#include "server/progress.h"
#include "server/server.h"
#include "server/server_int.h"
#include "server/wsmsg.h"
#include "base/strbuf.h"

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

static void job_free(struct api_job *j)
{
	server_req_free(&j->req);
	api_response_free(&j->rs);
	free(j);
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
int server_job_submit(struct server *s, struct lws *wsi, struct pss *p)
{
	struct api_job *j = calloc(1, sizeof(*j));

	if (!j)
		return -1;
	j->wsi = wsi;
	j->p = p;
	/* the strings and the body move; the connection keeps none */
	j->req = p->req;
	memset(&p->req, 0, sizeof(p->req));
	server_req_to_api(&j->req, &j->rq);
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

static int cb_main(struct lws *wsi, enum lws_callback_reasons reason,
		   void *user, void *in, size_t len)
{
	struct server *s = lws_context_user(lws_get_context(wsi));
	struct pss *p = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		server_http_reset(p);
		p->answered = 0;
		{
			char why[200];
			int body_follows;
			int st = server_http_read(wsi, p, in, &body_follows, why,
						  sizeof(why));

			if (st)
				return server_http_reject(wsi, p, st, why);
			if (body_follows)
				return 0;
		}
		return server_http_respond(s, wsi, p);
	case LWS_CALLBACK_HTTP_BODY:
		return server_http_body(p, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		/* Also reported for "Content-Length: 0", answered already. */
		return p->answered ? 0 : server_http_respond(s, wsi, p);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return server_http_write(wsi, p);
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (s)
			jobs_collect(s);
		return 0;
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		if (p)
			server_http_reset(p);
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
	info.token_limits = server_http_token_limits();
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

/* follow: hand a job to the daemon and watch it (see follow.h). */
#include "config.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/auth.h"
#include "base/conf.h"
#include "base/crypto.h"
#include "db/db.h"
#include "cli/follow.h"
#include "cli/termprogress.h"
#include "http/http.h"
#include "model/integration.h"
#include "base/strbuf.h"

#define TOKEN_TTL_S 300         /* the CLI's own token: enough to connect */
#define PROBE_TIMEOUT_MS 2000L  /* /healthz: is a daemon there at all? */
#define REST_TIMEOUT_MS 30000L
#define CONNECT_TIMEOUT_S 10.0
#define TICK_US (250 * LWS_US_PER_MS)

struct follow {
	lws_sorted_usec_list_t sul; /* first: the timer callback gets its address */
	const struct conf *conf;
	FILE *out;
	int tty;
	char host[128];
	int port;
	char hostport[160];         /* what URLs and messages use */
	char base[192];             /* http://host:port */
	char *token;                /* owned, wiped and freed at the end */
	int64_t tenant, integration, job;
	int64_t min_run;            /* events of older runs are not ours */
	/* WebSocket */
	struct lws_context *ctx;
	struct lws *wsi;
	struct strbuf msg;          /* a message arriving in fragments */
	struct strbuf early;        /* messages before the hand-over, one a
				     * line (JSON text has no raw newline) */
	int ready;                  /* handed over: show events */
	int established, closed, sub_sent;
	char why[256];              /* why the connection failed or ended */
	/* the run */
	int64_t run_id;
	int done, rc;
	double t0;                  /* job_started seen at (0 = joined late) */
	/* display */
	char step[128];
	uint64_t processed, total;
	double percent;             /* < 0: unknown */
	long eta;                   /* seconds; < 0: unknown */
	int pending;                /* progress not shown yet (coalesced) */
	struct termprogress tp;     /* the bar or lines on out */
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static double now_s(void)
{
	return termprogress_now();
}

/* ---- REST ----------------------------------------------------------- */

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	return sb_add(ud, p, sz * n) < 0 ? 0 : sz * n;
}

/*
 * METHOD base+path, with the token once there is one. Returns the HTTP
 * status, or 0 when nothing answered (err says why). The answer lands in
 * *body (the caller's; reset here).
 */
static long rest(struct follow *f, const char *method, const char *path,
		 long timeout_ms, struct strbuf *body, char *err, size_t errlen)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	char url[512], auth[2048];
	long status = 0;
	CURLcode rc;

	sb_reset(body);
	auth[0] = '\0';
	if (!h) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	snprintf(url, sizeof(url), "%s%s", f->base, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	/* Our own daemon: never through an http_proxy from the environment. */
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	}
	if (f->token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", f->token);
		hdr = curl_slist_append(NULL, auth);
		if (!hdr) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	}
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK)
		snprintf(err, errlen, "%s %s: %s", method, url, curl_easy_strerror(rc));
	else
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
out:
	crypto_wipe(auth, sizeof(auth));
	curl_slist_free_all(hdr);
	if (h)
		curl_easy_cleanup(h);
	return status;
}

/* Parse body as a JSON object: a new reference, or NULL. */
static json_object *body_json(const struct strbuf *body)
{
	json_object *o = json_tokener_parse(body->buf ? body->buf : "");

	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/* err = the message of an API error answer ({"error":{"message"}}). */
static void api_error(const struct strbuf *body, long status, const char *what,
		      char *err, size_t errlen)
{
	json_object *o = body_json(body), *e, *m;

	if (o && json_object_object_get_ex(o, "error", &e) &&
	    json_object_object_get_ex(e, "message", &m))
		snprintf(err, errlen, "%s: the daemon answered %ld: %s", what, status,
			 json_object_get_string(m));
	else
		snprintf(err, errlen, "%s: the daemon answered %ld", what, status);
	json_object_put(o);
}

static const char *str_of(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

static int64_t i64_of(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	return json_object_get_int64(v);
}

/* ---- setup ---------------------------------------------------------- */

/* Where to reach conf->listen: "*" and 0.0.0.0 mean this host. */
static int parse_listen(struct follow *f)
{
	const char *l = f->conf->listen, *colon = l ? strrchr(l, ':') : NULL;
	size_t hl;

	if (!colon || (hl = (size_t)(colon - l)) >= sizeof(f->host))
		return -1;
	f->port = atoi(colon + 1);
	if (f->port <= 0 || f->port > 65535)
		return -1;
	snprintf(f->host, sizeof(f->host), "%.*s", (int)hl, l);
	if (!f->host[0] || strcmp(f->host, "*") == 0 ||
	    strcmp(f->host, "0.0.0.0") == 0)
		snprintf(f->host, sizeof(f->host), "127.0.0.1");
	snprintf(f->hostport, sizeof(f->hostport), "%s:%d", f->host, f->port);
	snprintf(f->base, sizeof(f->base), "http://%s", f->hostport);
	return 0;
}

/* The integration's tenant (from the database), and a short-lived admin
 * token of that tenant signed with jwt_key_file, as `token issue` does. */
static int mint_token(struct follow *f, char *err, size_t errlen)
{
	struct auth_claims cl;
	struct crypto_key key;
	struct integration in;
	PGconn *db;
	int rc = -1, have_key = 0;

	db = db_connect_tenant(f->conf->database_url, err, errlen);
	if (!db)
		goto out;
	if (integration_get(db, f->integration, &in, err, errlen) != 0)
		goto out;
	f->tenant = in.tenant_id;
	integration_free(&in);
	if (crypto_init(err, errlen) < 0 ||
	    crypto_key_load(f->conf->jwt_key_file, 1, &key, err, errlen) < 0)
		goto out;
	have_key = 1;
	memset(&cl, 0, sizeof(cl));
	cl.tenant = f->tenant;
	cl.role = AUTH_ADMIN;
	cl.iat = time(NULL);
	cl.exp = cl.iat + TOKEN_TTL_S;
	snprintf(cl.sub, sizeof(cl.sub), "cli job run --follow");
	f->token = auth_token_issue(key.k, sizeof(key.k), &cl);
	if (!f->token) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	if (have_key)
		crypto_wipe(&key, sizeof(key));
	if (db)
		PQfinish(db);
	return rc;
}

/* GET PATH and parse the 200 answer. Returns a new reference (the
 * caller puts it), or NULL with err set ("WHAT: ..."). */
static json_object *get_json(struct follow *f, const char *path,
			     const char *what, struct strbuf *body, char *err,
			     size_t errlen)
{
	json_object *o;
	long st;

	st = rest(f, "GET", path, REST_TIMEOUT_MS, body, err, errlen);
	if (st == 0)
		return NULL;
	if (st != 200) {
		api_error(body, st, what, err, errlen);
		return NULL;
	}
	o = body_json(body);
	if (!o)
		snprintf(err, errlen, "%s: the daemon's answer is not JSON", what);
	return o;
}

/* f->job from GET /integrations/ID; refuses a disabled integration. */
static int find_job(struct follow *f, struct strbuf *body, char *err,
		    size_t errlen)
{
	char path[64], what[64];
	json_object *o = NULL, *v;
	int rc = -1;

	snprintf(path, sizeof(path), "/api/v1/integrations/%" PRId64, f->integration);
	snprintf(what, sizeof(what), "integration %" PRId64, f->integration);
	o = get_json(f, path, what, body, err, errlen);
	if (!o)
		goto out;
	f->job = i64_of(o, "job_id");
	if (f->job <= 0) {
		snprintf(err, errlen, "%s has no job (type %s): only Data "
			 "integrations run jobs", what,
			 str_of(o, "type") ? str_of(o, "type") : "?");
		goto out;
	}
	if (json_object_object_get_ex(o, "enabled", &v) &&
	    !json_object_get_boolean(v)) {
		snprintf(err, errlen, "%s is disabled, so the daemon will not run "
			 "it; enable it with PATCH /api/v1/integrations/%" PRId64
			 " {\"enabled\": true}", what, f->integration);
		goto out;
	}
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

/* The job's state and its latest run id (0 = none) from GET /jobs/ID. */
static int job_state(struct follow *f, struct strbuf *body, char *state,
		     size_t statelen, int64_t *last_run, char *err, size_t errlen)
{
	char path[64], what[64];
	json_object *o = NULL;
	int rc = -1;

	snprintf(path, sizeof(path), "/api/v1/jobs/%" PRId64, f->job);
	snprintf(what, sizeof(what), "job %" PRId64, f->job);
	o = get_json(f, path, what, body, err, errlen);
	if (!o)
		goto out;
	if (!str_of(o, "state")) {
		snprintf(err, errlen, "%s: the daemon's answer has no state", what);
		goto out;
	}
	snprintf(state, statelen, "%s", str_of(o, "state"));
	*last_run = i64_of(o, "run_id");
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

/*
 * Make the daemon run the job: join it when RUNNING or PENDING, else POST
 * start. A 409 means the job moved meanwhile (the daemon picked it up):
 * look again. Sets f->min_run, the first run id that is ours.
 */
static int hand_over(struct follow *f, struct strbuf *body, char *err,
		     size_t errlen)
{
	char state[32], path[64], what[64];
	int64_t last;
	long st = 0;
	int tries;

	snprintf(path, sizeof(path), "/api/v1/jobs/%" PRId64 "/start", f->job);
	snprintf(what, sizeof(what), "starting job %" PRId64, f->job);
	for (tries = 0; tries < 3; tries++) {
		if (job_state(f, body, state, sizeof(state), &last, err, errlen) < 0)
			return -1;
		if (strcmp(state, "RUNNING") == 0) {
			f->min_run = last; /* the current run (or one about to open) */
			return 0;
		}
		f->min_run = last + 1;
		if (strcmp(state, "PENDING") == 0)
			return 0; /* the daemon picks it at its next tick */
		st = rest(f, "POST", path, REST_TIMEOUT_MS, body, err, errlen);
		if (st == 200 || st == 202)
			return 0;
		if (st != 409)
			break;
	}
	if (st)
		api_error(body, st, what, err, errlen);
	return -1;
}

/* ---- display -------------------------------------------------------- */

static void end_line(struct follow *f)
{
	termprogress_end_line(&f->tp);
}

/* TTY: "[#####.....]  45%  step  40/200  ETA 0:12", redrawn in place;
 * otherwise the runner's "step: 40/200 (20%)" plus the ETA. */
static void draw(struct follow *f)
{
	char line[512];

	if (f->tty)
		termprogress_bar(line, sizeof(line), f->step, f->processed,
				 f->total, f->percent, f->eta);
	else
		termprogress_line(line, sizeof(line), f->step, f->processed,
				  f->total, f->percent, f->eta);
	termprogress_show(&f->tp, line);
	f->pending = 0;
}

/* At most 10 redraws a second on a TTY, one line a second otherwise; the
 * newest progress waits for the timer. */
static void show_progress(struct follow *f)
{
	if (now_s() - f->tp.last_shown >= (f->tty ? 0.1 : 1.0))
		draw(f);
	else
		f->pending = 1;
}

static void tick(lws_sorted_usec_list_t *sul)
{
	struct follow *f = (struct follow *)sul;

	if (f->pending && !f->done)
		show_progress(f);
	lws_sul_schedule(f->ctx, 0, &f->sul, tick, TICK_US);
}

/* Where to look once this command no longer watches. */
static void watch_hint(const struct follow *f)
{
	fprintf(stderr, "  Watch it in the viewer at http://%s/ (a token: "
		"`pulse-host token issue --tenant %" PRId64 " --role view`) or with\n"
		"  curl -H \"Authorization: Bearer TOKEN\" http://%s/api/v1/jobs/%"
		PRId64 "\n", f->hostport, f->tenant, f->hostport, f->job);
}

/* ---- events --------------------------------------------------------- */

static void copy_progress(struct follow *f, json_object *o)
{
	json_object *v;
	const char *step = str_of(o, "step");

	if (step)
		snprintf(f->step, sizeof(f->step), "%s", step);
	f->processed = (uint64_t)i64_of(o, "processed");
	f->total = (uint64_t)i64_of(o, "total");
	f->percent = json_object_object_get_ex(o, "percent", &v) && v ?
		     json_object_get_double(v) : -1;
	f->eta = json_object_object_get_ex(o, "eta_seconds", &v) && v ?
		 (long)json_object_get_int64(v) : -1;
}

static void on_message(struct follow *f, const char *text, size_t len)
{
	json_tokener *tk = json_tokener_new();
	json_object *o = NULL;
	const char *ev, *msg, *state;
	int64_t run;

	if (tk) {
		o = json_tokener_parse_ex(tk, text, (int)len);
		json_tokener_free(tk);
	}
	if (!o || !(ev = str_of(o, "event")) || f->done ||
	    i64_of(o, "job_id") != f->job)
		goto out;
	run = i64_of(o, "run_id");
	/* An event of an earlier run, queued before ours began. Run 0 is
	 * the daemon speaking of the job itself (e.g. found stuck). */
	if (run && run < f->min_run)
		goto out;
	if (run)
		f->run_id = run;
	msg = str_of(o, "message");
	state = str_of(o, "state");
	if (strcmp(ev, "job_started") == 0) {
		end_line(f);
		f->t0 = now_s();
		fprintf(f->out, "job %" PRId64 " started (run %" PRId64 ")\n", f->job,
			f->run_id);
		fflush(f->out);
	} else if (strcmp(ev, "job_progress") == 0) {
		copy_progress(f, o);
		show_progress(f);
	} else if (strcmp(ev, "job_completed") == 0) {
		copy_progress(f, o);
		f->percent = 100;
		f->eta = -1;
		if (f->tty && f->step[0])
			draw(f); /* the bar ends full */
		end_line(f);
		if (f->t0 > 0)
			fprintf(f->out, "job %" PRId64 " completed (run %" PRId64 ") in "
				"%.1f s\n", f->job, f->run_id, now_s() - f->t0);
		else
			fprintf(f->out, "job %" PRId64 " completed (run %" PRId64 ")\n",
				f->job, f->run_id);
		fflush(f->out);
		f->done = 1;
		f->rc = FOLLOW_OK;
	} else if (strcmp(ev, "job_error") == 0) {
		end_line(f);
		fflush(f->out);
		fprintf(stderr, "job run: job %" PRId64 " ended in error: %s\n",
			f->job, msg ? msg : "(the daemon gave no message)");
		f->done = 1;
		f->rc = FOLLOW_FAILED;
	} else if (strcmp(ev, "job_state") == 0 && state &&
		   strcmp(state, "RUNNING") != 0 && strcmp(state, "PENDING") != 0) {
		end_line(f);
		fflush(f->out);
		fprintf(stderr, "job run: job %" PRId64 " is %s before finishing: %s\n",
			f->job, state, msg ? msg : "(no reason given)");
		f->done = 1;
		f->rc = FOLLOW_STOPPED;
	}
out:
	json_object_put(o);
}

static int cb_ws(struct lws *wsi, enum lws_callback_reasons reason,
		 void *user, void *in, size_t len)
{
	struct follow *f = lws_context_user(lws_get_context(wsi));
	unsigned char buf[LWS_PRE + 64];
	int n;

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		snprintf(f->why, sizeof(f->why), "%s",
			 in ? (const char *)in : "connection failed");
		f->closed = 1;
		f->wsi = NULL;
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		f->established = 1;
		lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (f->sub_sent)
			return 0;
		/* Only this job's channel; events of others are skipped anyway. */
		n = snprintf((char *)buf + LWS_PRE, sizeof(buf) - LWS_PRE,
			     "{\"subscribe\":[\"job:%" PRId64 "\"]}", f->job);
		if (lws_write(wsi, buf + LWS_PRE, (size_t)n, LWS_WRITE_TEXT) < n)
			return -1;
		f->sub_sent = 1;
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (sb_add(&f->msg, in, len) < 0)
			return -1;
		if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
			/* Kept until the hand-over line is out, so a joined
			 * job's bar (the daemon's replay) comes after it. */
			if (!f->ready &&
			    (sb_add(&f->early, f->msg.buf, f->msg.len) < 0 ||
			     sb_adds(&f->early, "\n") < 0))
				return -1;
			if (f->ready)
				on_message(f, f->msg.buf, f->msg.len);
			sb_reset(&f->msg);
		}
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (!f->why[0])
			snprintf(f->why, sizeof(f->why), "the connection was closed");
		f->closed = 1;
		f->wsi = NULL;
		return 0;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols follow_protocols[] = {
	{"pulse-follow", cb_ws, 0, 4096, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

/* Connect to /ws/progress and wait for the handshake: after this no event
 * of a job started later is missed. */
static int ws_open(struct follow *f, char *err, size_t errlen)
{
	struct lws_context_creation_info info;
	struct lws_client_connect_info ci;
	char path[2048];
	double deadline;

	lws_set_log_level(0, NULL); /* its failures reach us as callbacks */
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = follow_protocols;
	info.gid = (gid_t)-1;
	info.uid = (uid_t)-1;
	info.user = f;
	f->ctx = lws_create_context(&info);
	if (!f->ctx) {
		snprintf(err, errlen, "libwebsockets could not make a client context");
		return -1;
	}
	lws_sul_schedule(f->ctx, 0, &f->sul, tick, TICK_US);
	snprintf(path, sizeof(path), "/ws/progress?token=%s", f->token);
	memset(&ci, 0, sizeof(ci));
	ci.context = f->ctx;
	ci.address = f->host;
	ci.port = f->port;
	ci.path = path;
	ci.host = f->hostport;
	ci.origin = f->hostport;
	ci.local_protocol_name = "pulse-follow";
	ci.pwsi = &f->wsi;
	if (!lws_client_connect_via_info(&ci)) {
		snprintf(err, errlen, "WebSocket ws://%s/ws/progress: cannot connect",
			 f->hostport);
		return -1;
	}
	deadline = now_s() + CONNECT_TIMEOUT_S;
	while (!f->established && !f->closed && !stop_flag && now_s() < deadline)
		lws_service(f->ctx, 0);
	crypto_wipe(path, sizeof(path));
	if (f->established)
		return 0;
	snprintf(err, errlen, "WebSocket ws://%s/ws/progress: %s", f->hostport,
		 f->closed ? f->why : stop_flag ? "interrupted" :
		 "no handshake within 10 s");
	return -1;
}

static void ws_close(struct follow *f)
{
	if (!f->ctx)
		return;
	lws_sul_cancel(&f->sul);
	lws_context_destroy(f->ctx);
	f->ctx = NULL;
}

/* Show what came before the hand-over, then serve the connection until
 * the job ends, the link drops or a signal. */
static int watch(struct follow *f)
{
	char *p = f->early.buf, *nl;

	f->ready = 1;
	while (p && (nl = strchr(p, '\n'))) {
		on_message(f, p, (size_t)(nl - p));
		p = nl + 1;
	}
	sb_free(&f->early);
	while (!f->done && !f->closed && !stop_flag)
		lws_service(f->ctx, 0);
	if (f->done)
		return f->rc;
	end_line(f);
	fflush(f->out);
	if (stop_flag) {
		fprintf(stderr, "job run: stopped following job %" PRId64 "; it "
			"keeps running in the daemon at %s.\n", f->job, f->hostport);
		watch_hint(f);
		return FOLLOW_INTERRUPTED;
	}
	fprintf(stderr, "job run: lost the connection to the daemon at %s while "
		"following job %" PRId64 " (%s).\n  The job does not depend on this "
		"command: it keeps running in the daemon (unless the daemon itself "
		"went away).\n", f->hostport, f->job, f->why);
	watch_hint(f);
	fprintf(stderr, "  Exit status %d: the outcome is unknown here.\n",
		FOLLOW_LOST);
	return FOLLOW_LOST;
}

int follow_job(const struct conf *conf, int64_t integration_id, FILE *out,
	       int tty)
{
	struct follow f;
	struct strbuf body = STRBUF_INIT;
	struct sigaction sa, old_int, old_term;
	char err[2048];
	int rc = FOLLOW_FAILED, have_sig = 0;

	memset(&f, 0, sizeof(f));
	f.conf = conf;
	f.out = out;
	f.tty = tty;
	f.integration = integration_id;
	f.percent = -1;
	f.eta = -1;
	termprogress_init(&f.tp, out, tty);
	err[0] = '\0';
	if (parse_listen(&f) < 0) {
		rc = FOLLOW_NO_DAEMON; /* no usable address: no daemon there */
		goto out;
	}
	if (http_global_init() < 0) {
		snprintf(err, sizeof(err), "libcurl failed to initialise");
		goto out;
	}
	if (rest(&f, "GET", "/healthz", PROBE_TIMEOUT_MS, &body, err,
		 sizeof(err)) != 200) {
		rc = FOLLOW_NO_DAEMON;
		goto out;
	}
	if (mint_token(&f, err, sizeof(err)) < 0 ||
	    find_job(&f, &body, err, sizeof(err)) < 0)
		goto out;
	/* Ctrl-C ends the watching, never the job: say so on the way out. */
	stop_flag = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND; /* a second one ends us the default way */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	have_sig = 1;
	if (ws_open(&f, err, sizeof(err)) < 0 ||
	    hand_over(&f, &body, err, sizeof(err)) < 0)
		goto out;
	fprintf(out, "job run: following job %" PRId64 " of integration %" PRId64
		" in the daemon at %s\n", f.job, f.integration, f.hostport);
	fflush(out);
	err[0] = '\0';
	rc = watch(&f);
out:
	if (rc == FOLLOW_FAILED && err[0])
		fprintf(stderr, "job run: %s\n", err);
	ws_close(&f);
	if (have_sig) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	if (f.token) {
		crypto_wipe(f.token, strlen(f.token));
		free(f.token);
	}
	sb_free(&body);
	sb_free(&f.msg);
	sb_free(&f.early);
	return rc;
}

/* progress: job events fanned out to viewers (see progress.h). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/progress.h"
#include "server/wsmsg.h"
#include "base/strbuf.h"

/* A stalled viewer keeps at most this many messages; past it new
 * progress is dropped (finals never are: there is one per job run). */
#define SUB_QUEUE_MAX 512

/* One serialized event, shared by every subscriber it goes to. */
struct msg {
	int refs;
	int coalesce;         /* a job_progress: may be replaced */
	char chan[32];
	size_t len;
	unsigned char *buf;   /* headroom + JSON + NUL */
};

struct qnode {
	struct msg *m;
	struct qnode *next;
};

struct progress_sub {
	struct progress_bus *b;
	int64_t tenant;
	void (*wake)(void *ctx);
	void *ctx;
	char (*only)[32];     /* channels; NULL = all */
	size_t nonly;
	struct qnode *head, *tail;
	size_t n;
	struct progress_sub *prev, *next;
};

/* The last event of a job still running, for late subscribers. */
struct live {
	int64_t tenant;
	int64_t job;
	struct msg *last;
};

struct progress_bus {
	size_t headroom;
	struct progress_sub *subs;
	struct live *live;
	size_t nlive, caplive;
};

int64_t progress_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void msg_unref(struct msg *m)
{
	if (m && --m->refs == 0) {
		free(m->buf);
		free(m);
	}
}

struct progress_bus *progress_bus_new(size_t headroom)
{
	struct progress_bus *b = calloc(1, sizeof(*b));

	if (b)
		b->headroom = headroom;
	return b;
}

void progress_bus_free(struct progress_bus *b)
{
	size_t i;

	if (!b)
		return;
	while (b->subs)
		progress_unsubscribe(b->subs);
	for (i = 0; i < b->nlive; i++)
		msg_unref(b->live[i].last);
	free(b->live);
	free(b);
}

static const char *kind_name(int kind)
{
	switch (kind) {
	case PROG_STARTED: return "job_started";
	case PROG_PROGRESS: return "job_progress";
	case PROG_COMPLETED: return "job_completed";
	case PROG_ERROR: return "job_error";
	case PROG_STATE: return "job_state";
	case PROG_VECTORIZATION: return "vectorization";
	}
	return "unknown";
}

static void channel_of(const struct progress_event *ev, char *buf, size_t len)
{
	if (ev->kind == PROG_VECTORIZATION)
		snprintf(buf, len, "vectorization");
	else
		snprintf(buf, len, "job:%" PRId64, ev->job_id);
}

static int add_str(struct strbuf *sb, const char *key, const char *v)
{
	if (!v)
		return 0;
	return sb_addf(sb, ",\"%s\":\"", key) < 0 || sb_add_json_str(sb, v) < 0 ||
	       sb_adds(sb, "\"") < 0 ? -1 : 0;
}

char *progress_event_json(const struct progress_event *ev, int64_t now_us)
{
	struct strbuf sb = STRBUF_INIT;
	char chan[32];
	int bad = 0;

	channel_of(ev, chan, sizeof(chan));
	bad |= sb_addf(&sb, "{\"event\":\"%s\",\"channel\":\"%s\","
		       "\"tenant_id\":%" PRId64, kind_name(ev->kind), chan,
		       ev->tenant_id);
	if (ev->kind != PROG_VECTORIZATION)
		bad |= sb_addf(&sb, ",\"job_id\":%" PRId64 ",\"integration_id\":%"
			       PRId64 ",\"run_id\":%" PRId64, ev->job_id,
			       ev->integration_id, ev->run_id);
	bad |= add_str(&sb, "state", ev->state);
	bad |= add_str(&sb, "step", ev->step);
	if (ev->kind == PROG_PROGRESS || ev->kind == PROG_COMPLETED) {
		bad |= sb_addf(&sb, ",\"processed\":%" PRIu64 ",\"total\":%" PRIu64,
			       ev->done, ev->total);
		if (ev->kind == PROG_COMPLETED)
			bad |= sb_adds(&sb, ",\"percent\":100");
		else if (ev->total)
			bad |= sb_addf(&sb, ",\"percent\":%.1f",
				       ev->done >= ev->total ? 100.0 :
				       100.0 * (double)ev->done / (double)ev->total);
		else
			bad |= sb_adds(&sb, ",\"percent\":null");
		/* ETA from the rate so far: elapsed * remaining / done. */
		if (ev->kind == PROG_PROGRESS && ev->total && ev->done &&
		    ev->done < ev->total && ev->run_started_us &&
		    now_us > ev->run_started_us)
			bad |= sb_addf(&sb, ",\"eta_seconds\":%.0f",
				       (double)(now_us - ev->run_started_us) / 1e6 *
				       (double)(ev->total - ev->done) /
				       (double)ev->done);
		else
			bad |= sb_adds(&sb, ",\"eta_seconds\":null");
	}
	bad |= add_str(&sb, "message", ev->message);
	if (ev->extra_json)
		bad |= sb_addf(&sb, ",\"data\":%s", ev->extra_json);
	bad |= sb_addf(&sb, ",\"ts\":%" PRId64 ",\"sent_ts\":%" PRId64 "}",
		       ev->ts_us ? ev->ts_us : now_us, now_us);
	if (bad) {
		sb_free(&sb);
		return NULL;
	}
	return sb_detach(&sb);
}

static struct msg *msg_new(struct progress_bus *b, const struct progress_event *ev)
{
	struct msg *m = calloc(1, sizeof(*m));
	char *json = progress_event_json(ev, progress_now_us());

	if (!m || !json)
		goto fail;
	m->len = strlen(json);
	m->buf = malloc(b->headroom + m->len + 1);
	if (!m->buf)
		goto fail;
	memcpy(m->buf + b->headroom, json, m->len + 1);
	free(json);
	m->refs = 1;
	m->coalesce = ev->kind == PROG_PROGRESS || ev->kind == PROG_VECTORIZATION;
	channel_of(ev, m->chan, sizeof(m->chan));
	return m;
fail:
	free(json);
	free(m);
	return NULL;
}

static int sub_wants(const struct progress_sub *s, const char *chan)
{
	size_t i;

	if (!s->only)
		return 1;
	for (i = 0; i < s->nonly; i++)
		if (strcmp(s->only[i], "*") == 0 || strcmp(s->only[i], chan) == 0)
			return 1;
	return 0;
}

/* Queue m for s, replacing an unsent progress message of the same
 * channel when it is the last one of that channel in the queue. */
static void sub_push(struct progress_sub *s, struct msg *m)
{
	struct qnode *q, *last = NULL;

	for (q = s->head; q; q = q->next)
		if (strcmp(q->m->chan, m->chan) == 0)
			last = q;
	if (m->coalesce && last && last->m->coalesce && last != s->head) {
		msg_unref(last->m);
		last->m = m;
		m->refs++;
		return;
	}
	if (m->coalesce && s->n >= SUB_QUEUE_MAX)
		return;
	q = calloc(1, sizeof(*q));
	if (!q)
		return;
	q->m = m;
	m->refs++;
	if (s->tail)
		s->tail->next = q;
	else
		s->head = q;
	s->tail = q;
	/* A queue that held messages already has its writer armed (the
	 * writer re-arms while messages remain): wake on the first only, so
	 * a burst to 1,000 lagging viewers is not 1,000 poll changes each. */
	if (s->n++ == 0 && s->wake)
		s->wake(s->ctx);
}

/* Remember (or forget, at a final event) the last event of a job. */
static void live_update(struct progress_bus *b, const struct progress_event *ev,
			struct msg *m)
{
	size_t i;
	int final = ev->kind == PROG_COMPLETED || ev->kind == PROG_ERROR ||
		    ev->kind == PROG_STATE;

	if (ev->kind == PROG_VECTORIZATION)
		return;
	for (i = 0; i < b->nlive; i++)
		if (b->live[i].job == ev->job_id)
			break;
	if (i < b->nlive) {
		msg_unref(b->live[i].last);
		if (final) {
			b->live[i] = b->live[--b->nlive];
			return;
		}
	} else {
		if (final)
			return;
		if (b->nlive == b->caplive) {
			size_t cap = b->caplive ? b->caplive * 2 : 16;
			struct live *n = realloc(b->live, cap * sizeof(*n));

			if (!n)
				return;
			b->live = n;
			b->caplive = cap;
		}
		i = b->nlive++;
	}
	b->live[i].tenant = ev->tenant_id;
	b->live[i].job = ev->job_id;
	b->live[i].last = m;
	m->refs++;
}

void progress_publish(struct progress_bus *b, const struct progress_event *ev)
{
	struct progress_sub *s, *next;
	struct msg *m = msg_new(b, ev);

	if (!m)
		return;
	live_update(b, ev, m);
	for (s = b->subs; s; s = next) {
		next = s->next; /* wake() must not unsubscribe, but be safe */
		if (s->tenant == ev->tenant_id && sub_wants(s, m->chan))
			sub_push(s, m);
	}
	msg_unref(m);
}

struct progress_sub *progress_subscribe(struct progress_bus *b,
					int64_t tenant_id,
					void (*wake)(void *ctx), void *ctx)
{
	struct progress_sub *s = calloc(1, sizeof(*s));
	size_t i;

	if (!s)
		return NULL;
	s->b = b;
	s->tenant = tenant_id;
	s->wake = wake;
	s->ctx = ctx;
	s->next = b->subs;
	if (b->subs)
		b->subs->prev = s;
	b->subs = s;
	for (i = 0; i < b->nlive; i++)
		if (b->live[i].tenant == tenant_id)
			sub_push(s, b->live[i].last);
	return s;
}

void progress_unsubscribe(struct progress_sub *s)
{
	struct qnode *q, *next;

	if (!s)
		return;
	for (q = s->head; q; q = next) {
		next = q->next;
		msg_unref(q->m);
		free(q);
	}
	if (s->prev)
		s->prev->next = s->next;
	else
		s->b->subs = s->next;
	if (s->next)
		s->next->prev = s->prev;
	free(s->only);
	free(s);
}

int progress_sub_only(struct progress_sub *s, const char *const *channels,
		      size_t n)
{
	char (*only)[32];
	size_t i;

	if (n && !channels)
		return -1;
	/* Same rule as the message parser; a NULL entry is refused too. */
	for (i = 0; i < n; i++)
		if (!wsmsg_channel_valid(channels[i]))
			return -1;
	only = calloc(n ? n : 1, sizeof(*only));
	if (!only)
		return -1;
	for (i = 0; i < n; i++)
		snprintf(only[i], sizeof(only[i]), "%s", channels[i]);
	free(s->only);
	s->only = only;
	s->nonly = n;
	return 0;
}

int progress_sub_peek(struct progress_sub *s, unsigned char **data,
		      size_t *len)
{
	if (!s->head)
		return 0;
	*data = s->head->m->buf + s->b->headroom;
	*len = s->head->m->len;
	return 1;
}

void progress_sub_pop(struct progress_sub *s)
{
	struct qnode *q = s->head;

	if (!q)
		return;
	s->head = q->next;
	if (!s->head)
		s->tail = NULL;
	s->n--;
	msg_unref(q->m);
	free(q);
}

size_t progress_sub_pending(const struct progress_sub *s)
{
	return s->n;
}

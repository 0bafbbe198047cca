/* pubq: progress events from other threads to the loop's bus (see .h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/log.h"
#include "server/progress.h"
#include "server/pubq.h"
#include "server/server.h"

struct pubq_ev {
	struct progress_event ev;   /* its strings point into the ones below */
	char *state, *step, *message, *extra_json;
	struct pubq_ev *next;
};

struct pubq {
	struct progress_bus *bus;
	void (*wake)(void *ctx);
	void *ctx;
	int efd;                    /* ours; the server watches a dup of it */
	pthread_mutex_t lock;
	struct pubq_ev *head, *tail;
};

static void ev_free(struct pubq_ev *e)
{
	if (!e)
		return;
	free(e->state);
	free(e->step);
	free(e->message);
	free(e->extra_json);
	free(e);
}

/* A copy of s, or NULL for NULL; *bad set when out of memory. */
static char *dup_or_null(const char *s, int *bad)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*bad = 1;
	return d;
}

static int on_read(void *ctx, int fd)
{
	struct pubq *q = ctx;
	uint64_t n;

	while (read(fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
		;
	pubq_drain(q);
	if (q->wake)
		q->wake(q->ctx);
	return 0;
}

struct pubq *pubq_new(struct server *srv, struct progress_bus *bus,
		      void (*wake)(void *ctx), void *ctx)
{
	struct pubq *q = calloc(1, sizeof(*q));
	int watched = -1;

	if (!q)
		return NULL;
	q->bus = bus;
	q->wake = wake;
	q->ctx = ctx;
	pthread_mutex_init(&q->lock, NULL);
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0)
		goto fail;
	/* A dup for the server: it closes its copy when it is freed, and a
	 * late post still writes to a descriptor that is ours. */
	watched = fcntl(q->efd, F_DUPFD_CLOEXEC, 0);
	if (watched < 0 || server_watch_fd(srv, watched, on_read, NULL, q) < 0)
		goto fail;
	return q;
fail:
	(void)watched; /* server_watch_fd closed it when it failed */
	if (q->efd >= 0)
		close(q->efd);
	pthread_mutex_destroy(&q->lock);
	free(q);
	return NULL;
}

void pubq_free(struct pubq *q)
{
	struct pubq_ev *e, *next;

	if (!q)
		return;
	for (e = q->head; e; e = next) {
		next = e->next;
		ev_free(e);
	}
	close(q->efd);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

void pubq_wake(struct pubq *q)
{
	uint64_t one = 1;

	/* EAGAIN only when the counter is full: the loop is waking anyway */
	if (write(q->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return;
}

void pubq_post(struct pubq *q, const struct progress_event *ev)
{
	struct pubq_ev *e = calloc(1, sizeof(*e));
	int bad = !e;

	if (e) {
		e->ev = *ev;
		e->ev.state = e->state = dup_or_null(ev->state, &bad);
		e->ev.step = e->step = dup_or_null(ev->step, &bad);
		e->ev.message = e->message = dup_or_null(ev->message, &bad);
		e->ev.extra_json = e->extra_json = dup_or_null(ev->extra_json, &bad);
	}
	if (bad) {
		ev_free(e);
		log_warn("PUBQ", "event=dropped job=%lld reason=\"out of memory\"",
			 (long long)ev->job_id);
		return;
	}
	pthread_mutex_lock(&q->lock);
	if (q->tail)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
	pthread_mutex_unlock(&q->lock);
	pubq_wake(q);
}

void pubq_drain(struct pubq *q)
{
	struct pubq_ev *e, *next;

	pthread_mutex_lock(&q->lock);
	e = q->head;
	q->head = q->tail = NULL;
	pthread_mutex_unlock(&q->lock);
	for (; e; e = next) {
		next = e->next;
		progress_publish(q->bus, &e->ev);
		ev_free(e);
	}
}

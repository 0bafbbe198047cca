/* vzprogress: vectorization progress to the WebSocket bus (see .h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/vectorize.h"
#include "base/conf.h"
#include "base/log.h"
#include "db/db.h"
#include "server/progress.h"
#include "server/pubq.h"
#include "server/server.h"
#include "server/vzprogress.h"

#define VZP_TENANTS 256   /* tenants followed at once */
/* Ticks a tenant stays followed after its queue went idle: a burst that
 * is queued and done between two ticks never shows as active, so only
 * following the tenant a while longer reports its end. */
#define VZP_GRACE 15

struct vzp_tenant {
	int64_t id;
	char *last;        /* the last JSON sent (owned) */
	int idle;          /* ticks since it last had work */
	int seen;          /* has work at this tick */
};

struct vzprogress {
	const struct conf *conf;
	struct pubq *q;    /* to the loop's bus */
	PGconn *db;        /* the orchestrator thread's, like all below */
	struct vzp_tenant t[VZP_TENANTS];
	size_t n;
};

static struct vzp_tenant *vzp_find(struct vzprogress *p, int64_t id)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->t[i].id == id)
			return &p->t[i];
	if (p->n == VZP_TENANTS)
		return NULL;
	memset(&p->t[p->n], 0, sizeof(p->t[p->n]));
	p->t[p->n].id = id;
	return &p->t[p->n++];
}

/* Publish tenant's summary if it changed since the last one sent. */
static void vzp_publish(struct vzprogress *p, struct vzp_tenant *t)
{
	struct progress_event ev;
	char err[512];
	char *js = vz_summary_json(p->db, t->id, err, sizeof(err));

	if (!js)
		return;
	if (t->last && strcmp(t->last, js) == 0) {
		free(js);
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = PROG_VECTORIZATION;
	ev.tenant_id = t->id;
	ev.ts_us = progress_now_us();
	ev.extra_json = js;
	pubq_post(p->q, &ev);
	free(t->last);
	t->last = js; /* now owned by t */
}

void vzprogress_tick(void *ctx)
{
	struct vzprogress *p = ctx;
	char err[512];
	PGresult *r;
	size_t i, k;
	int row;

	if (!p->db || db_conn_lost(p->db)) {
		if (p->db)
			PQfinish(p->db);
		p->db = db_connect(p->conf->database_url, err, sizeof(err));
		if (!p->db)
			return;
	}
	r = db_query(p->db, err, sizeof(err),
		     "SELECT tenant_id FROM host_vectorize_tenants()", 0, NULL);
	if (!r)
		return;
	for (i = 0; i < p->n; i++)
		p->t[i].seen = 0;
	for (row = 0; row < PQntuples(r); row++) {
		struct vzp_tenant *t = vzp_find(p, db_int64(r, row, 0));

		if (t)
			t->seen = 1;
	}
	PQclear(r);
	/* publish (if changed) while working and for VZP_GRACE ticks after;
	 * then forget the tenant */
	for (i = 0, k = 0; i < p->n; i++) {
		struct vzp_tenant *t = &p->t[i];

		t->idle = t->seen ? 0 : t->idle + 1;
		if (t->idle > VZP_GRACE) {
			free(t->last);
			continue;
		}
		vzp_publish(p, t);
		p->t[k++] = *t;
	}
	p->n = k;
}

struct vzprogress *vzprogress_new(const struct conf *conf,
				  struct progress_bus *bus, struct server *srv)
{
	struct vzprogress *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->conf = conf;
	p->q = pubq_new(srv, bus, NULL, NULL);
	if (!p->q) {
		free(p);
		return NULL;
	}
	return p;
}

void vzprogress_free(struct vzprogress *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		free(p->t[i].last);
	if (p->db)
		PQfinish(p->db);
	pubq_free(p->q);
	free(p);
}

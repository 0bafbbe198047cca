/* api_admin: an admin's force operations on jobs and the storage figures:
 *   POST /jobs/ID/force-stop|force-start|reset   {"reason": "...",
 *        "clear_checkpoint": true (reset only)}
 *   POST /system-jobs/housekeeping/force-stop|force-start|reset
 *   GET  /stats
 * (host/jobs/jobforce.h, host/jobs/sysjob.h, host/model/stats.h). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "db/db.h"
#include "jobs/jobforce.h"
#include "jobs/jobstate.h"
#include "jobs/sysjob.h"
#include "model/stats.h"
#include "server/api_int.h"

void api_stats(struct call *c)
{
	char err[1024];
	json_object *o = stats_json(c->db, c->who.tenant, err, sizeof(err));

	if (!o) {
		api_reply_db_error(c, err);
		return;
	}
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
}

/* The body's reason (required) and clear_checkpoint; 0, or -1 with the
 * reply set. *body is the caller's to put. */
static int force_args(struct call *c, const char *op, json_object **body,
		      const char **reason, int *clear)
{
	json_object *v;

	if (!(*body = api_parse_body(c)))
		return -1;
	*reason = api_body_str(*body, "reason");
	if (!*reason || !**reason) {
		api_reply_error(c->rs, 400, "bad_request", "%s: \"reason\" (a "
				"non-empty string) is required: it is recorded "
				"with the transition", op);
		return -1;
	}
	*clear = 0;
	if (json_object_object_get_ex(*body, "clear_checkpoint", &v)) {
		if (!json_object_is_type(v, json_type_boolean) ||
		    (json_object_get_boolean(v) && strcmp(op, "reset") != 0)) {
			api_reply_error(c->rs, 400, "bad_request",
					"\"clear_checkpoint\" is a boolean, for "
					"reset only");
			return -1;
		}
		*clear = json_object_get_boolean(v);
	}
	return 0;
}

static void actor_of(struct call *c, char *buf, size_t len)
{
	snprintf(buf, len, "api:%s", c->who.sub[0] ? c->who.sub : "admin");
}

static void force(struct call *c, const char *op, const char *action)
{
	char err[1024], actor[96];
	struct jobforce_result res;
	json_object *body = NULL, *o;
	const char *reason;
	int clear, rc;

	if (force_args(c, op, &body, &reason, &clear) < 0)
		goto out;
	actor_of(c, actor, sizeof(actor));
	if (db_tenant_begin(c->db, c->who.tenant, err, sizeof(err)) < 0)
		goto dberr;
	rc = jobforce(c->db, c->id, action, reason, actor, clear, &res, err,
		      sizeof(err));
	if (rc == JOBSTATE_NOTFOUND) {
		api_reply_error(c->rs, 404, "not_found", "job %" PRId64
				" not found", c->id);
		goto out;
	}
	if (rc == JOBSTATE_ILLEGAL) {
		api_reply_error(c->rs, 409, "illegal_transition", "%s", err);
		goto out;
	}
	if (rc < 0 || db_commit(c->db, err, sizeof(err)) < 0)
		goto dberr;
	c->rs->kick = 1;
	o = json_object_new_object();
	json_object_object_add(o, "job_id", json_object_new_int64(c->id));
	json_object_object_add(o, "action", json_object_new_string(op));
	json_object_object_add(o, "from", json_object_new_string(jobstate_name(res.prev)));
	json_object_object_add(o, "to", json_object_new_string(jobstate_name(res.now)));
	json_object_object_add(o, "actor", json_object_new_string(actor));
	json_object_object_add(o, "killed_pid", json_object_new_int64(res.killed_pid));
	json_object_object_add(o, "checkpoint_cleared", json_object_new_int64(res.cleared));
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
	goto out;
dberr:
	api_reply_db_error(c, err);
out:
	db_rollback(c->db);
	json_object_put(body);
}

void api_jobs_force_stop(struct call *c) { force(c, "force-stop", "stop"); }
void api_jobs_force_start(struct call *c) { force(c, "force-start", "start"); }
void api_jobs_reset(struct call *c) { force(c, "reset", "reset"); }

static void force_system(struct call *c, const char *op, const char *action)
{
	char err[1024], actor[96], prev[32];
	json_object *body = NULL, *o;
	const char *reason;
	int clear, rc;

	if (force_args(c, op, &body, &reason, &clear) < 0)
		goto out;
	if (clear) {
		api_reply_error(c->rs, 400, "bad_request", "the housekeeping job "
				"has no checkpoint");
		goto out;
	}
	actor_of(c, actor, sizeof(actor));
	rc = sysjob_force(c->db, SYSJOB_HOUSEKEEPING, action, reason, actor,
			  prev, sizeof(prev), err, sizeof(err));
	if (rc < 0) {
		api_reply_db_error(c, err);
		goto out;
	}
	if (rc > 0) {
		api_reply_error(c->rs, 404, "not_found", "no system job "
				"housekeeping");
		goto out;
	}
	log_info("API", "system_job=housekeeping action=%s sub=%s", op,
		 c->who.sub);
	o = json_object_new_object();
	json_object_object_add(o, "job", json_object_new_string(SYSJOB_HOUSEKEEPING));
	json_object_object_add(o, "action", json_object_new_string(op));
	json_object_object_add(o, "from", json_object_new_string(prev));
	json_object_object_add(o, "actor", json_object_new_string(actor));
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
out:
	json_object_put(body);
}

void api_sysjob_force_stop(struct call *c) { force_system(c, "force-stop", "stop"); }
void api_sysjob_force_start(struct call *c) { force_system(c, "force-start", "start"); }
void api_sysjob_reset(struct call *c) { force_system(c, "reset", "reset"); }

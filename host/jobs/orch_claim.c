/* orch_claim: a free slot, a forked job process, and the claim of its
 * job for it. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/failpoint.h"
#include "base/log.h"
#include "jobs/jobproc.h"
#include "jobs/jobstate.h"
#include "jobs/orchestrator_int.h"
#include "server/progress.h"
#include "server/server.h"

static struct slot *slot_new(struct orch *o)
{
	int i;

	for (i = 0; i < MAX_SLOTS; i++)
		if (!o->slots[i].used)
			return &o->slots[i];
	return NULL;
}

int orch_slot_of_job(const struct orch *o, int64_t job)
{
	int i;

	for (i = 0; i < MAX_SLOTS; i++)
		if (o->slots[i].used && o->slots[i].job == job)
			return 1;
	return 0;
}

/* Claim the job for the job process of s (see jobstate_claim): 1 =
 * claimed, 0 = not ours to run, -1 = database error. */
static int claim(struct orch *o, struct slot *s, char *err, size_t errlen)
{
	struct jobstate_claim k;
	int rc;

	rc = jobstate_claim(o->db, s->tenant, s->job, s->owner, &k, err, errlen);
	if (rc == 1) {
		s->retry_count = k.retry_count;
		s->max_retries = k.max_retries;
		s->fast_retry_s = k.fast_retry_s;
		s->interval_s = k.interval_s;
	}
	return rc;
}

/* Fork a job process for (tenant, job, integration) and claim the job for
 * it; the process starts working only once the claim committed. */
void orch_start_job(struct orch *o, int64_t tenant, int64_t job,
		    int64_t integration)
{
	struct slot *s = slot_new(o);
	int gofd = -1, evfd = -1, rc;
	char err[1024], host[256];
	pid_t pid;

	if (!s)
		return;
	pid = jobproc_spawn(o->conf, o->ld, job, integration, &gofd, &evfd,
			    err, sizeof(err));
	if (pid < 0) {
		log_error("ORCH", "job=%" PRId64 " event=spawn_failed error=\"%s\"",
			  job, err);
		return;
	}
	memset(s, 0, sizeof(*s));
	s->used = 1;
	s->o = o;
	s->tenant = tenant;
	s->job = job;
	s->integration = integration;
	s->pid = pid;
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(s->owner, sizeof(s->owner), "%s:%ld", host, (long)pid);
	s->run_started_us = progress_now_us();
	rc = claim(o, s, err, sizeof(err));
	if (rc < 0)
		log_error("ORCH", "job=%" PRId64 " event=claim_failed error=\"%s\"",
			  job, err);
	s->aborted = rc != 1;
	/* the job is claimed for a forked process not yet released */
	FAILPOINT("orch.dispatch");
	if (jobproc_release(gofd, !s->aborted) < 0)
		s->aborted = 1;
	s->pipe_open = 1;
	if (server_watch_fd(o->srv, evfd, orch_pipe_read, orch_pipe_closed, s) < 0)
		s->pipe_open = 0;
	if (!s->aborted)
		log_info("ORCH", "job=%" PRId64 " integration=%" PRId64 " tenant=%"
			 PRId64 " event=started pid=%ld", job, integration, tenant,
			 (long)pid);
}

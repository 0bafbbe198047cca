/* orch_claim: a job process forked by the loop for the thread, and the
 * thread's claim of its job for it. */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
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

int orch_slot_of_job(struct orch *o, int64_t job)
{
	int i, yes = 0;

	pthread_mutex_lock(&o->lock);
	for (i = 0; i < MAX_SLOTS && !yes; i++)
		yes = o->slots[i].used && o->slots[i].job == job;
	pthread_mutex_unlock(&o->lock);
	return yes;
}

/* Have the loop fork a job process for (tenant, job, integration), then
 * claim the job for it (jobstate_claim); the process starts working only
 * once the claim committed. */
void orch_start_job(struct orch *o, int64_t tenant, int64_t job,
		    int64_t integration)
{
	struct orch_fork f;
	struct jobstate_claim k;
	struct slot *s;
	char err[1024], owner[288];
	int rc, gofd, aborted;
	pid_t pid;

	memset(&f, 0, sizeof(f));
	f.tenant = tenant;
	f.job = job;
	f.integration = integration;
	pid = orch_fork_on_loop(o, &f);
	if (pid < 0) {
		if (f.err[0] && strcmp(f.err, "no free slot") != 0)
			log_error("ORCH", "job=%" PRId64 " event=spawn_failed "
				  "error=\"%s\"", job, f.err);
		return;
	}
	s = &o->slots[f.slot]; /* only this thread frees slots */
	pthread_mutex_lock(&o->lock);
	snprintf(owner, sizeof(owner), "%s", s->owner);
	pthread_mutex_unlock(&o->lock);
	rc = jobstate_claim(o->db, tenant, job, owner, &k, err, sizeof(err));
	if (rc < 0)
		log_error("ORCH", "job=%" PRId64 " event=claim_failed error=\"%s\"",
			  job, err);
	aborted = rc != 1;
	/* the job is claimed for a forked process not yet released */
	FAILPOINT("orch.dispatch");
	pthread_mutex_lock(&o->lock);
	gofd = s->gofd;
	s->gofd = -1;
	pthread_mutex_unlock(&o->lock);
	if (jobproc_release(gofd, !aborted) < 0)
		aborted = 1;
	pthread_mutex_lock(&o->lock);
	if (rc == 1) {
		s->retry_count = k.retry_count;
		s->max_retries = k.max_retries;
		s->fast_retry_s = k.fast_retry_s;
		s->interval_s = k.interval_s;
	}
	s->aborted = aborted;
	s->claimed = 1;
	pthread_mutex_unlock(&o->lock);
	if (!aborted)
		log_info("ORCH", "job=%" PRId64 " integration=%" PRId64 " tenant=%"
			 PRId64 " event=started pid=%ld", job, integration, tenant,
			 (long)pid);
}

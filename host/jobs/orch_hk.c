/* orch_hk: the housekeeping process, scheduled as a system job and
 * recorded when it dies without recording its end. */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "base/conf.h"
#include "base/log.h"
#include "db/db.h"
#include "jobs/orchestrator_int.h"
#include "jobs/sysjob.h"

/* The housekeeping process ended (the loop reaped it): a process that
 * died before recording its end (a signal, a force-stop) gets it
 * recorded here (ignored when it did, or an operator moved the job
 * meanwhile). */
void orch_hk_reaped(struct orch *o)
{
	char err[512], why[128];
	int st, ended;

	pthread_mutex_lock(&o->lock);
	ended = o->hk_reaped;
	st = o->hk_status;
	o->hk_reaped = 0;
	pthread_mutex_unlock(&o->lock);
	if (!ended || (WIFEXITED(st) && WEXITSTATUS(st) == 0))
		return;
	if (WIFSIGNALED(st))
		snprintf(why, sizeof(why), "housekeeping process killed by "
			 "signal %d", WTERMSIG(st));
	else
		snprintf(why, sizeof(why), "housekeeping process exited with "
			 "status %d", WEXITSTATUS(st));
	if (o->db && sysjob_finish(o->db, SYSJOB_HOUSEKEEPING, db_owner_id(),
				   why, NULL, NULL, err, sizeof(err)) < 0)
		log_warn("HK", "event=finish_failed error=\"%s\"", err);
}

/* Housekeeping (host/housekeeping/hk.h) is the system job
 * "housekeeping" (host/jobs/sysjob.h): claimed when due and no data job it
 * runs after is busy, heartbeated while its process runs (an operator's
 * force-stop kills it), its end recorded by the process itself. The
 * daemon's owner id (host:pid) holds it. */
void orch_housekeeping(struct orch *o)
{
	struct orch_fork f;
	char err[512], why[256];
	int stop = 0, x;
	pid_t hk;

	pthread_mutex_lock(&o->lock);
	hk = o->hk_pid;
	pthread_mutex_unlock(&o->lock);
	if (hk) {
		if (o->ticks % 2)
			return;
		if (sysjob_heartbeat(o->db, SYSJOB_HOUSEKEEPING, db_owner_id(),
				     &stop, err, sizeof(err)) < 0)
			log_warn("HK", "event=heartbeat_failed error=\"%s\"", err);
		else if (stop) {
			/* under the lock: the loop reaps under it too */
			pthread_mutex_lock(&o->lock);
			if (o->hk_pid == hk) {
				log_info("HK", "event=kill pid=%ld reason=\"stopped "
					 "by operator\"", (long)hk);
				kill(hk, SIGKILL);
			}
			pthread_mutex_unlock(&o->lock);
		}
		return;
	}
	/* every 2 s: a claim is a row lock and a look at the data jobs */
	if (o->hk_tick && o->ticks - o->hk_tick < 4)
		return;
	o->hk_tick = o->ticks;
	x = sysjob_claim(o->db, SYSJOB_HOUSEKEEPING, db_owner_id(),
			 o->conf->hk_interval_s, o->conf->jobs_heartbeat_timeout_s,
			 why, sizeof(why), err, sizeof(err));
	if (x < 0) {
		log_warn("HK", "event=claim_failed error=\"%s\"", err);
		return;
	}
	if (x != SYSJOB_CLAIMED) {
		if (strncmp(why, "waiting", 7) == 0 && strcmp(why, o->hk_wait) != 0)
			log_info("HK", "event=wait %s", why);
		snprintf(o->hk_wait, sizeof(o->hk_wait), "%s", why);
		return;
	}
	o->hk_wait[0] = '\0';
	memset(&f, 0, sizeof(f));
	f.hk = 1;
	if (orch_fork_on_loop(o, &f) < 0) {
		snprintf(err, sizeof(err), "%s", f.err[0] ? f.err : "not forked");
		log_warn("HK", "event=spawn_failed error=\"%s\"", err);
		if (sysjob_finish(o->db, SYSJOB_HOUSEKEEPING, db_owner_id(), err,
				  NULL, NULL, err, sizeof(err)) < 0)
			log_warn("HK", "event=finish_failed error=\"%s\"", err);
	}
}

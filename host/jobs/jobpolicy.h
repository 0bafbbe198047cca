/*
 * jobpolicy: what a job becomes once its job process is gone. A pure
 * function of how the process ended, what its run recorded and the job's
 * retry knobs, so the policy is unit-tested without processes or a
 * database (tests/unit/test-orch); host/jobs/orchestrator.c applies it
 * through jobstate_finish().
 *
 * - killed by a signal (not the daemon's own SIGKILL after a shutdown or
 *   stop grace): ERROR, class "crash", next run at the interval; the
 *   message names a resource limit the signal points at;
 * - cancelled (stop, pause, daemon shutdown): PAUSED, resumed by the next
 *   daemon only after a shutdown; the reason says whether SIGTERM
 *   sufficed or SIGKILL followed the grace period;
 * - finished (also with failed raw rows): FINISHED;
 * - anything else: ERROR. A permanent error waits for the interval (or an
 *   operator); a transient one is retried after fast_retry_s * 2^retry,
 *   +-20 % jitter, capped at the interval, up to max_retries times.
 */
#ifndef PULSE_JOBPOLICY_H
#define PULSE_JOBPOLICY_H

#include <stdint.h>

/* How the job process ended (strings borrowed; "" when unknown). */
struct jobpolicy_in {
	int signal;             /* killed by this signal; 0 = it exited */
	int exit_code;          /* its exit status when signal == 0 */
	const char *control;    /* "", "stop", "pause" or "shutdown" */
	int escalated;          /* the daemon sent SIGKILL after grace_s */
	int grace_s;            /* jobs.stop_grace_seconds */
	int rlimit_as_mb, rlimit_cpu_s; /* the job process's limits, 0 = none */
	/* its last line on the pipe, if it got that far */
	int have_done;
	int done_rc;            /* RUNNER_* */
	int done_cancelled;
	const char *done_err;
	/* its job_runs row */
	int64_t run_id;
	const char *run_state;  /* "CANCELLED", ... */
	const char *run_err;
	const char *run_class;  /* "transient" | "permanent" | "" */
	/* the job's knobs, as claimed */
	int retry_count, max_retries, fast_retry_s, interval_s;
	double jitter;          /* uniform in [0, 1]: where in the +-20 % */
};

struct jobpolicy_out {
	int state;              /* JS_FINISHED, JS_ERROR or JS_PAUSED */
	const char *error_class; /* static: "crash", "transient", "permanent"
				  * or NULL */
	int retry_count;        /* new retry_count, -1 keeps it */
	int64_t next_run_in_s;  /* -1 = the job's interval */
	int auto_resume;        /* PAUSED: the next daemon resumes it */
	int close_run;          /* the run row still says RUNNING: close it
				 * as ERROR with message */
	char message[1200];     /* the job's error ("" = none) */
	char reason[1536];      /* for job_transitions */
};

/* Decide the next state of a job whose process ended as *in. */
void jobpolicy_decide(const struct jobpolicy_in *in, struct jobpolicy_out *out);

/* Seconds before retry number attempt + 1: base * 2^attempt capped at
 * cap, scaled by 0.8 + 0.4 * jitter (jitter in [0, 1]), at least 1. */
int jobpolicy_backoff_s(int base, int attempt, int cap, double jitter);

#endif

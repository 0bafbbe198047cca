/*
 * follow: `pulse-host job run ID --follow`. Hands the integration's job
 * to the daemon listening at conf->listen (REST, with a short-lived admin
 * token the CLI mints itself from jwt_key_file) and follows it on
 * /ws/progress: a bar with ETA on a TTY, plain lines otherwise.
 */
#ifndef PULSE_FOLLOW_H
#define PULSE_FOLLOW_H

#include <stdint.h>
#include <stdio.h>

struct conf;

/* Results of follow_job. */
#define FOLLOW_NO_DAEMON (-1)  /* nothing answered: run in the foreground */
#define FOLLOW_OK 0            /* job_completed */
#define FOLLOW_FAILED 1        /* job_error, or the daemon refused the job */
#define FOLLOW_LOST 4          /* the connection dropped mid-job; the job
				* keeps running in the daemon */
#define FOLLOW_STOPPED 5       /* the job was paused or stopped first */
#define FOLLOW_INTERRUPTED 130 /* SIGINT/SIGTERM: we stopped watching */

/*
 * Start (or, if it already runs, join) integration_id's job in the daemon
 * and follow it to the end, writing progress to out (tty: one redrawn
 * line). Errors and the job's error message go to stderr. Returns
 * FOLLOW_NO_DAEMON when no daemon answers at conf->listen, else one of
 * the exit codes above.
 */
int follow_job(const struct conf *conf, int64_t integration_id, FILE *out,
	       int tty);

#endif

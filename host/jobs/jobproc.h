/*
 * jobproc: the job process the orchestrator forks for each job, and the
 * protocol between them.
 *
 * - Two pipes: "go" (daemon -> job process, one byte: 'g' to start once
 *   the claim committed, anything else to exit unasked) and "events" (job
 *   process -> daemon, one JSON object a line).
 * - Lines: {"t":"started","run":N,"ts":US}, {"t":"progress","step":S,
 *   "done":N,"total":N,"ts":US} (throttled to one per 50 ms, never
 *   dropping a step change or the last item) and, last,
 *   {"t":"done","rc":RUNNER_*,"cancelled":BOOL,"error":S}.
 * - The job process dies with the daemon (PR_SET_PDEATHSIG), keeps
 *   nothing of the daemon's descriptors, and runs runner_run() in
 *   orchestrated mode.
 */
#ifndef PULSE_JOBPROC_H
#define PULSE_JOBPROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct conf;
struct loader;

/*
 * Fork the job process of job_id (integration_id); conf and ld are the
 * daemon's (the child uses its copies). *gofd gets the write end of the
 * go pipe (hand it to jobproc_release), *evfd the non-blocking read end
 * of the event pipe (the caller's to watch and close). Returns the pid,
 * or -1 with err (nothing left open).
 */
pid_t jobproc_spawn(const struct conf *conf, struct loader *ld,
		    int64_t job_id, int64_t integration_id, int *gofd,
		    int *evfd, char *err, size_t errlen);

/* Let the job process start (go = 1) or make it exit (go = 0); closes
 * gofd. 0, or -1 when it could not be told (it exits by itself). */
int jobproc_release(int gofd, int go);

/* One line from a job process, parsed. */
#define JOBPROC_STARTED 1
#define JOBPROC_PROGRESS 2
#define JOBPROC_DONE 3
struct jobproc_msg {
	int kind;               /* JOBPROC_*; 0 = not a message we know */
	int64_t run_id;         /* STARTED */
	char step[128];         /* PROGRESS */
	uint64_t done, total;   /* PROGRESS */
	int64_t ts_us;          /* STARTED, PROGRESS; 0 = not given */
	int rc;                 /* DONE: RUNNER_* (1 when missing) */
	int cancelled;          /* DONE */
	char error[1024];       /* DONE */
};

/* Parse line (NUL-terminated, no newline) into *m. 0, or -1 when it is
 * not JSON (m->kind is then 0). */
int jobproc_parse(const char *line, struct jobproc_msg *m);

#endif

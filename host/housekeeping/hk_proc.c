/* hk_proc: the daemon's housekeeping run, in a process of its own so the
 * event loop never waits on a batch (hk.h). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/log.h"
#include "db/db.h"
#include "housekeeping/hk.h"
#include "jobs/sysjob.h"

/* The run's end on the system job: FINISHED with the report as its
 * summary, or ERROR with the error. */
static void record_end(PGconn *c, const char *owner, const struct hk_report *rep,
		       const char *error)
{
	char *buf = NULL, e[512];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f) {
		hk_report_print(rep, f, 1);
		fclose(f);
	}
	if (sysjob_finish(c, SYSJOB_HOUSEKEEPING, owner, error, buf, NULL, e,
			  sizeof(e)) < 0)
		log_warn("HK", "event=finish_failed error=\"%s\"", e);
	free(buf);
}

pid_t hk_spawn(const struct conf *conf, const char *owner, char *err,
	       size_t errlen)
{
	struct hk_opts o = {0};
	struct hk_report rep;
	char e[1024] = "";
	PGconn *c;
	pid_t pid = fork();
	int rc;

	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0)
		return pid;
	/* The child: dies with the daemon; a fresh connection of its own
	 * (the parent's stays the parent's); _exit, never the parent's
	 * atexit handlers. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	memset(&rep, 0, sizeof(rep));
	c = db_connect(conf->database_url, e, sizeof(e));
	rc = c ? hk_run(c, conf, &o, &rep, e, sizeof(e)) : -1;
	if (rc < 0)
		log_warn("HK", "event=run_failed error=\"%s\"", e);
	else if (!rep.skipped)
		hk_report_log(&rep);
	if (c && owner)
		record_end(c, owner, &rep, rc < 0 ? e : rep.skipped ?
			   "another housekeeping run held the lock" : NULL);
	hk_report_free(&rep);
	PQfinish(c);
	_exit(rc < 0 ? 1 : 0);
}

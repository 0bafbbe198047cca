/* jobproc: the job process and its pipe protocol (see jobproc.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base/conf.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "jobs/jobproc.h"
#include "jobs/runner.h"
#include "server/progress.h"

/* Job process side of its two pipes after the fd shuffle in the child. */
#define CHILD_GO_FD 3
#define CHILD_EV_FD 4
/* Progress lines a job process sends at most this often (ms). */
#define CHILD_PROGRESS_MS 50

/* ---- the job process's side ------------------------------------------- */

/* Write one JSON line to the daemon. */
static void child_send(const char *line, int must)
{
	size_t len = strlen(line), off = 0;

	while (off < len) {
		ssize_t n = write(CHILD_EV_FD, line + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && must) {
			struct timespec ts = {0, 1000000};

			nanosleep(&ts, NULL);
			continue;
		}
		if (n <= 0)
			return; /* a full pipe drops progress, never the end */
		off += (size_t)n;
	}
}

static void child_progress(const char *step, uint64_t done, uint64_t total)
{
	static int64_t last_us;
	static char last_step[128];
	struct strbuf sb = STRBUF_INIT;
	int64_t now = progress_now_us();

	if (!step)
		step = "";
	/* Throttle, but never drop a step change or the last item. */
	if (now - last_us < CHILD_PROGRESS_MS * 1000 && done != total &&
	    strcmp(step, last_step) == 0)
		return;
	last_us = now;
	snprintf(last_step, sizeof(last_step), "%s", step);
	sb_adds(&sb, "{\"t\":\"progress\",\"step\":\"");
	sb_add_json_str(&sb, step);
	sb_addf(&sb, "\",\"done\":%" PRIu64 ",\"total\":%" PRIu64 ",\"ts\":%" PRId64
		"}\n", done, total, now);
	if (sb.buf)
		child_send(sb.buf, 0);
	sb_free(&sb);
}

static void child_observe(void *ctx, const struct runner_event *ev)
{
	char line[96];

	(void)ctx;
	if (ev->kind == RUNNER_EV_STARTED) {
		snprintf(line, sizeof(line), "{\"t\":\"started\",\"run\":%" PRId64
			 ",\"ts\":%" PRId64 "}\n", ev->run_id, progress_now_us());
		child_send(line, 1);
	} else if (ev->kind == RUNNER_EV_PROGRESS) {
		child_progress(ev->step, ev->done, ev->total);
	}
}

/* The resource limits of jobs.rlimit_as_mb and jobs.rlimit_cpu_s, set
 * before any plugin code runs: a runaway plugin fails its own job, never
 * the daemon or the machine. 0, or -1 with err. */
static int child_limits(const struct conf *conf, char *err, size_t errlen)
{
	struct rlimit rl;

	if (conf->jobs_rlimit_as_mb > 0) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)conf->jobs_rlimit_as_mb << 20;
		if (setrlimit(RLIMIT_AS, &rl) < 0) {
			snprintf(err, errlen, "could not limit the job process to "
				 "%d MB (jobs.rlimit_as_mb): %s",
				 conf->jobs_rlimit_as_mb, strerror(errno));
			return -1;
		}
	}
	if (conf->jobs_rlimit_cpu_s > 0) {
		/* SIGXCPU at the limit, SIGKILL a second later should the
		 * plugin catch it. */
		rl.rlim_cur = (rlim_t)conf->jobs_rlimit_cpu_s;
		rl.rlim_max = rl.rlim_cur + 1;
		if (setrlimit(RLIMIT_CPU, &rl) < 0) {
			snprintf(err, errlen, "could not limit the job process to "
				 "%d CPU seconds (jobs.rlimit_cpu_s): %s",
				 conf->jobs_rlimit_cpu_s, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Runs in the forked job process; never returns. */
static void child_main(const struct conf *conf, struct loader *ld,
		       pid_t parent, int64_t job, int64_t integration,
		       int gofd, int evfd)
{
	struct runner_opts opts;
	struct strbuf sb = STRBUF_INIT;
	sigset_t none;
	char err[1024], go = 0, name[48];
	int rc;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* It holds decrypted credentials: no core dump, no ptrace by other
	 * processes of the user. Inherited from `run` already; set here too
	 * so no caller can forget it. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (getppid() != parent)
		_exit(99); /* the daemon died before we got here */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Keep stdio and the two pipes, nothing of the daemon's (listen
	 * socket, database, other jobs' pipes). */
	if (dup2(gofd, CHILD_GO_FD) < 0 || dup2(evfd, CHILD_EV_FD) < 0)
		_exit(98);
	closefrom(CHILD_EV_FD + 1);
	while (read(CHILD_GO_FD, &go, 1) < 0 && errno == EINTR)
		;
	close(CHILD_GO_FD);
	if (go != 'g')
		_exit(0);
	snprintf(name, sizeof(name), "job-%" PRId64, job);
	log_set_process(name);
	runner_install_signals();
	fcntl(CHILD_EV_FD, F_SETFL, O_NONBLOCK);
	memset(&opts, 0, sizeof(opts));
	opts.quiet = 1;
	opts.orchestrated = 1;
	opts.observe = child_observe;
	err[0] = '\0';
	if (child_limits(conf, err, sizeof(err)) < 0)
		rc = RUNNER_FAILED;
	else
		rc = runner_run(conf, ld, integration, &opts, err, sizeof(err));
	sb_addf(&sb, "{\"t\":\"done\",\"rc\":%d,\"cancelled\":%s,\"error\":\"",
		rc, runner_cancel_requested() ? "true" : "false");
	sb_add_json_str(&sb, rc ? err : "");
	sb_adds(&sb, "\"}\n");
	if (sb.buf)
		child_send(sb.buf, 1);
	sb_free(&sb);
	_exit(rc == RUNNER_OK ? 0 : rc);
}

/* ---- the daemon's side ------------------------------------------------ */

pid_t jobproc_spawn(const struct conf *conf, struct loader *ld,
		    int64_t job_id, int64_t integration_id, int *gofd,
		    int *evfd, char *err, size_t errlen)
{
	int go[2] = {-1, -1}, ev[2] = {-1, -1};
	pid_t pid = -1, parent = getpid();

	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ev, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	fflush(NULL); /* nothing buffered is written twice */
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		close(go[1]);
		close(ev[0]);
		child_main(conf, ld, parent, job_id, integration_id, go[0], ev[1]);
	}
	close(go[0]);
	close(ev[1]);
	fcntl(ev[0], F_SETFL, O_NONBLOCK);
	*gofd = go[1];
	*evfd = ev[0];
	return pid;
fail:
	if (go[0] >= 0) close(go[0]);
	if (go[1] >= 0) close(go[1]);
	if (ev[0] >= 0) close(ev[0]);
	if (ev[1] >= 0) close(ev[1]);
	return -1;
}

int jobproc_release(int gofd, int go)
{
	int rc = write(gofd, go ? "g" : "x", 1) == 1 ? 0 : -1;

	close(gofd);
	return rc;
}

int jobproc_parse(const char *line, struct jobproc_msg *m)
{
	json_object *o = json_tokener_parse(line), *v;
	const char *t;

	memset(m, 0, sizeof(*m));
	if (!o)
		return -1;
	t = json_object_object_get_ex(o, "t", &v) ? json_object_get_string(v) : "";
	if (json_object_object_get_ex(o, "ts", &v))
		m->ts_us = json_object_get_int64(v);
	if (strcmp(t, "started") == 0) {
		m->kind = JOBPROC_STARTED;
		if (json_object_object_get_ex(o, "run", &v))
			m->run_id = json_object_get_int64(v);
	} else if (strcmp(t, "progress") == 0) {
		m->kind = JOBPROC_PROGRESS;
		snprintf(m->step, sizeof(m->step), "%s",
			 json_object_object_get_ex(o, "step", &v) ?
			 json_object_get_string(v) : "");
		m->done = json_object_object_get_ex(o, "done", &v) ?
			  (uint64_t)json_object_get_int64(v) : 0;
		m->total = json_object_object_get_ex(o, "total", &v) ?
			   (uint64_t)json_object_get_int64(v) : 0;
	} else if (strcmp(t, "done") == 0) {
		m->kind = JOBPROC_DONE;
		m->rc = json_object_object_get_ex(o, "rc", &v) ?
			json_object_get_int(v) : 1;
		m->cancelled = json_object_object_get_ex(o, "cancelled", &v) &&
			       json_object_get_boolean(v);
		snprintf(m->error, sizeof(m->error), "%s",
			 json_object_object_get_ex(o, "error", &v) ?
			 json_object_get_string(v) : "");
	}
	json_object_put(o);
	return 0;
}

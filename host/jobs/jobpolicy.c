/* jobpolicy: the finish/retry policy of jobs (see jobpolicy.h). */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "jobs/jobpolicy.h"
#include "jobs/jobstate.h"
#include "jobs/runner.h"

int jobpolicy_backoff_s(int base, int attempt, int cap, double jitter)
{
	double d = base;
	int i;

	for (i = 0; i < attempt && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	if (jitter < 0)
		jitter = 0;
	if (jitter > 1)
		jitter = 1;
	/* +-20 %: jobs failing together do not retry together. */
	d *= 0.8 + 0.4 * jitter;
	return d < 1 ? 1 : (int)(d + 0.5);
}

static int is(const char *s, const char *want)
{
	return s && strcmp(s, want) == 0;
}

static void crashed(const struct jobpolicy_in *in, struct jobpolicy_out *out)
{
	int sig = in->signal;

	out->state = JS_ERROR;
	out->error_class = "crash";
	out->close_run = 1;
	if (sig == SIGXCPU || (sig == SIGKILL && in->rlimit_cpu_s > 0)) {
		/* SIGKILL: a plugin that caught SIGXCPU hit the hard limit
		 * (or the kernel's OOM killer did it). */
		snprintf(out->message, sizeof(out->message), "the job process "
			 "was killed (signal %d)%s: the CPU time limit is %d s "
			 "(jobs.rlimit_cpu_s). Raise the limit or make the job "
			 "smaller, then start the job", sig,
			 sig == SIGXCPU ? " after using up its CPU time" :
			 ", likely past its CPU time limit", in->rlimit_cpu_s);
	} else if (in->rlimit_as_mb > 0 && (sig == SIGSEGV || sig == SIGABRT ||
					    sig == SIGBUS)) {
		snprintf(out->message, sizeof(out->message), "plugin crashed "
			 "(signal %d) in the job process; the daemon kept "
			 "running. The job process may use %d MB of address "
			 "space (jobs.rlimit_as_mb): an allocation past it fails, "
			 "which this plugin may not handle. Raise the limit or "
			 "fix the plugin, then start the job", sig,
			 in->rlimit_as_mb);
	} else {
		snprintf(out->message, sizeof(out->message), "plugin crashed "
			 "(signal %d%s%s) in the job process; the daemon kept "
			 "running. Fix or update the plugin, then start the job",
			 sig, sig == SIGSEGV ? ", " : "",
			 sig == SIGSEGV ? "segmentation fault" : "");
	}
	snprintf(out->reason, sizeof(out->reason), "%s", out->message);
}

static void cancelled(const struct jobpolicy_in *in, struct jobpolicy_out *out)
{
	out->state = JS_PAUSED;
	/* Only the daemon's own shutdown resumes by itself; an operator's
	 * stop or pause waits for an operator. */
	out->auto_resume = !is(in->control, "stop") && !is(in->control, "pause");
	if (in->escalated && !is(in->control, "shutdown")) {
		/* Nothing closed the run: the process died where it stood. */
		out->close_run = 1;
		snprintf(out->reason, sizeof(out->reason), "%s on request: "
			 "killed with SIGKILL after %d s grace (the job process "
			 "did not stop on SIGTERM); %s",
			 is(in->control, "stop") ? "stopped" : "paused",
			 in->grace_s, is(in->control, "stop") ?
			 "the run was cut off where it stood" :
			 "resume continues from the last stored checkpoint");
		/* The same text, cut to the message's size. */
		memcpy(out->message, out->reason, sizeof(out->message) - 1);
		out->message[sizeof(out->message) - 1] = '\0';
		return;
	}
	snprintf(out->reason, sizeof(out->reason), "%s",
		 is(in->control, "stop") ? "stopped on request after SIGTERM; "
		 "the run was cancelled at its last checkpoint" :
		 is(in->control, "pause") ? "paused on request after SIGTERM at "
		 "the last checkpoint; resume continues from there" :
		 "daemon shutdown; resumes from the checkpoint at the next start");
}

static void failed(const struct jobpolicy_in *in, struct jobpolicy_out *out)
{
	int permanent = is(in->run_class, "permanent");
	size_t len;

	out->state = JS_ERROR;
	snprintf(out->message, sizeof(out->message), "%s",
		 in->done_err && in->done_err[0] ? in->done_err :
		 in->run_err && in->run_err[0] ? in->run_err :
		 "the job process exited without a result");
	len = strlen(out->message);
	if (!in->have_done && !in->signal)
		snprintf(out->message + len, sizeof(out->message) - len,
			 " (exit status %d)", in->exit_code);
	out->error_class = permanent ? "permanent" : "transient";
	if (permanent) {
		snprintf(out->reason, sizeof(out->reason), "permanent error, not "
			 "retried (fix it, then start the job): %s", out->message);
	} else if (in->retry_count < in->max_retries) {
		out->retry_count = in->retry_count + 1;
		out->next_run_in_s = jobpolicy_backoff_s(in->fast_retry_s,
							 in->retry_count,
							 in->interval_s,
							 in->jitter);
		snprintf(out->reason, sizeof(out->reason), "transient error; retry "
			 "%d/%d in %" PRId64 " s: %s", out->retry_count,
			 in->max_retries, out->next_run_in_s, out->message);
	} else {
		snprintf(out->reason, sizeof(out->reason), "transient error; %d "
			 "retries used up, next run at the normal interval: %s",
			 in->max_retries, out->message);
	}
}

void jobpolicy_decide(const struct jobpolicy_in *in, struct jobpolicy_out *out)
{
	memset(out, 0, sizeof(*out));
	out->retry_count = -1;
	out->next_run_in_s = -1;
	/* The daemon's SIGKILL past the shutdown or stop grace is no crash. */
	if (in->signal && !(in->signal == SIGKILL && (is(in->control, "shutdown") ||
						      in->escalated)))
		crashed(in, out);
	else if (in->signal || in->done_cancelled || is(in->run_state, "CANCELLED"))
		cancelled(in, out);
	else if (in->have_done && (in->done_rc == RUNNER_OK ||
				   in->done_rc == RUNNER_PARTIAL)) {
		out->state = JS_FINISHED;
		if (in->done_rc == RUNNER_PARTIAL)
			snprintf(out->reason, sizeof(out->reason), "run %" PRId64
				 " finished with failed raw rows: %s", in->run_id,
				 in->done_err ? in->done_err : "");
		else
			snprintf(out->reason, sizeof(out->reason), "run %" PRId64
				 " finished", in->run_id);
	} else {
		failed(in, out);
	}
}

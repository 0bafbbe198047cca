/* `pulse-host run`: the daemon (server, orchestrator, queue workers). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/api.h"
#include "cli/cli.h"
#include "base/crypto.h"
#include "base/log.h"
#include "db/db.h"
#include "jobs/orchestrator.h"
#include "server/metrics_shm.h"
#include "server/progress.h"
#include "server/server.h"
#include "queue/worker.h"
#include "queue/vzworker.h"
#include "server/vzprogress.h"

#define SHUTDOWN_GRACE_S 30

struct daemon {
	struct cli *cli;
	struct api *api;
	struct server *srv;
	struct orch *orch;
	pid_t worker;
	pid_t vzworker;  /* the vectorize role, or 0 */
	int stopping;
};

/* The API only looks whether this hook is set (it connects on its own
 * thread); the orchestrator's connection belongs to the orchestrator
 * thread and is not handed out. */
static PGconn *hook_db(void *ctx, char *err, size_t errlen)
{
	(void)ctx;
	snprintf(err, errlen, "the API thread uses a connection of its own");
	return NULL;
}

static void hook_kick(void *ctx)
{
	orch_kick(((struct daemon *)ctx)->orch);
}

static int hook_running(void *ctx)
{
	return orch_running(((struct daemon *)ctx)->orch);
}

static void drained(void *ctx)
{
	struct daemon *d = ctx;

	log_info("ORCH", "event=drained");
	server_stop(d->srv);
}

/*
 * Threads started before main() (OpenBLAS starts its pool when it is
 * loaded) do not block the signals the loop reads from its signalfd, and
 * the kernel may hand a signal to any thread that does not block it: with
 * the default action SIGHUP or SIGTERM would end the daemon, and a SIGCHLD
 * would be lost. Such a thread passes the signal on to the loop's thread,
 * where it stays pending for the signalfd. The loop's thread itself (once
 * it unblocks them at exit) and a forked child that inherited this handler
 * take the default action instead.
 */
static pid_t daemon_pid, loop_tid;

static void forward_signal(int sig)
{
	int saved = errno;

	if (getpid() == daemon_pid && (pid_t)syscall(SYS_gettid) != loop_tid) {
		syscall(SYS_tgkill, daemon_pid, loop_tid, sig);
	} else {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	errno = saved;
}

static void forward_signals(const sigset_t *mask)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward_signal;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	daemon_pid = getpid();
	loop_tid = (pid_t)syscall(SYS_gettid);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(mask, sig) == 1)
			sigaction(sig, &sa, NULL);
}

/* SIGHUP: the API key is read again (it may have been replaced to revoke
 * every token); viewers whose token the new key refuses are closed. */
static void reload_jwt_key(struct daemon *d, struct conf *fresh)
{
	char *old = d->cli->conf.jwt_key_file;
	char err[1024];

	d->cli->conf.jwt_key_file = fresh->jwt_key_file;
	if (api_reload_keys(d->api, err, sizeof(err)) < 0) {
		log_error("MAIN", "event=reload_failed error=\"%s\" (keeping "
			  "the old API key)", err);
		d->cli->conf.jwt_key_file = old;
		return;
	}
	fresh->jwt_key_file = old; /* conf_free(fresh) releases it */
	log_info("MAIN", "event=jwt_key_reloaded");
	if (d->srv)
		server_recheck_tokens(d->srv);
}

/* SIGHUP: re-read the file; what can change without a restart does. */
static void reload(struct daemon *d)
{
	struct conf fresh;
	char err[1024];

	/* Without CONF_ALLOW_EMPTY: a truncated file is refused, not read
	 * as "all defaults". */
	if (conf_load_ex(d->cli->conf_path, 0, &fresh, err, sizeof(err)) < 0) {
		log_error("MAIN", "event=reload_failed error=\"%s\" (keeping the "
			  "running configuration)", err);
		conf_free(&fresh);
		return;
	}
	log_set_level(log_parse_level(fresh.log_level));
	d->cli->conf.jobs_max_running = fresh.jobs_max_running;
	d->cli->conf.jobs_heartbeat_timeout_s = fresh.jobs_heartbeat_timeout_s;
	d->cli->conf.jobs_max_attempts = fresh.jobs_max_attempts;
	d->cli->conf.jobs_stale_s = fresh.jobs_stale_s;
	d->cli->conf.jwt_max_lifetime_s = fresh.jwt_max_lifetime_s;
	reload_jwt_key(d, &fresh);
	if (strcmp(fresh.listen, d->cli->conf.listen) != 0 ||
	    strcmp(fresh.database_url, d->cli->conf.database_url) != 0)
		log_warn("MAIN", "event=reload note=\"listen and database_url "
			 "changes take effect at the next restart\"");
	log_info("MAIN", "event=reloaded log_level=%s max_running=%d",
		 fresh.log_level, fresh.jobs_max_running);
	conf_free(&fresh);
	orch_kick(d->orch);
}

static void stop(struct daemon *d, int sig)
{
	if (d->stopping)
		return;
	d->stopping = 1;
	log_info("MAIN", "event=shutdown signal=%d grace_s=%d", sig,
		 SHUTDOWN_GRACE_S);
	if (d->worker > 0)
		kill(d->worker, SIGTERM);
	if (d->vzworker > 0)
		kill(d->vzworker, SIGTERM);
	orch_shutdown(d->orch, SHUTDOWN_GRACE_S, drained, d);
}

static int on_signal(void *ctx, int fd)
{
	struct daemon *d = ctx;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			stop(d, (int)si.ssi_signo);
			break;
		case SIGHUP:
			reload(d);
			break;
		case SIGCHLD:
			if (d->worker > 0) {
				int st;

				if (waitpid(d->worker, &st, WNOHANG) == d->worker) {
					log_warn("MAIN", "event=worker_exited status=%d", st);
					d->worker = 0;
				}
			}
			orch_reap(d->orch);
			break;
		}
	}
	return 0;
}

/*
 * Fork a child of the daemon that dies with it: 0 in the child (signals
 * unblocked, log prefix set), its pid in the parent, -1 on error.
 */
static pid_t fork_child(pid_t self, const char *process)
{
	sigset_t none;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != self)
		_exit(0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	log_set_process(process);
	return 0;
}

/* The vectorize role (with or without a broker), as one child process. */
static pid_t start_vzworker(struct cli *cli, pid_t self)
{
	struct vzworker_opts vo;
	char err[1024];
	pid_t pid = fork_child(self, "vectorize");

	if (pid != 0)
		return pid;
	memset(&vo, 0, sizeof(vo));
	if (vzworker_run(&cli->conf, &cli->ld, &vo, err, sizeof(err)) != 0) {
		log_error("VZWORKER", "event=worker_failed error=\"%s\"", err);
		_exit(1);
	}
	_exit(0);
}

/* The queue consumers of this machine, as one child process. */
static pid_t start_worker(struct cli *cli, pid_t self)
{
	struct worker_opts wo;
	char err[1024];
	pid_t pid = fork_child(self, "worker");

	if (pid != 0)
		return pid;
	memset(&wo, 0, sizeof(wo));
	wo.concurrency = 1;
	if (worker_run(&cli->conf, &cli->ld, &wo, err, sizeof(err)) != 0) {
		log_error("QUEUE", "event=worker_failed error=\"%s\"", err);
		_exit(1);
	}
	_exit(0);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pulse-host run [--listen HOST:PORT] [--max-running N]\n"
		"\n"
		"Run the daemon: the HTTP/WebSocket server (REST API under /api/v1/,\n"
		"progress stream /ws/progress, viewer page /), the job orchestrator,\n"
		"and queue workers, as worker_roles in the configuration says.\n"
		"SIGTERM/SIGINT: clean shutdown (running jobs checkpoint and pause,\n"
		"and resume at the next start). SIGHUP: reload the configuration.\n"
		"See docs/operations.md.\n");
}

int cmd_run(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"listen", required_argument, NULL, 'L'},
		{"max-running", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct daemon d;
	struct api_hooks hooks;
	struct progress_bus *bus = NULL;
	struct vzprogress *vzp = NULL;
	struct api *api = NULL;
	struct rlimit rl;
	sigset_t mask, old;
	char err[1024];
	int c, sfd = -1, rc = 1, serve, orchestrate;

	memset(&d, 0, sizeof(d));
	d.cli = cli;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'L':
			free(cli->conf.listen);
			cli->conf.listen = strdup(optarg);
			break;
		case 'm': {
			char *end;
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 1 || v > 4096) {
				fprintf(stderr, "run: --max-running must be a number "
					"from 1 to 4096\n");
				return EXIT_USAGE;
			}
			cli->conf.jobs_max_running = (int)v;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	serve = conf_has_role(&cli->conf, "server");
	orchestrate = conf_has_role(&cli->conf, "orchestrator") ||
		      conf_has_role(&cli->conf, "extract");
	if (serve) {
		char host[128];
		int port;

		if (conf_parse_listen(cli->conf.listen, host, sizeof(host), &port,
				      err, sizeof(err)) < 0) {
			fprintf(stderr, "run: %s\n", err);
			return 1;
		}
	}
	crypto_harden_process(); /* job processes inherit it */
	/* Before any fork: job processes count into the same table. */
	if (metrics_shm_init() < 0)
		log_warn("MAIN", "event=metrics_counters_off reason=\"no memory\"");
	if (crypto_init(err, sizeof(err)) < 0) {
		fprintf(stderr, "run: %s\n", err);
		return 1;
	}
	if (db_require_rls(cli->conf.database_url, "run", err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	cli_load_plugins(cli);
	/* One descriptor per viewer: allow as many as the hard limit. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* Signals arrive as events of the loop (signalfd); job processes
	 * unblock them again. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &old);
	forward_signals(&mask);
	signal(SIGPIPE, SIG_IGN);
	bus = progress_bus_new(server_headroom());
	memset(&hooks, 0, sizeof(hooks));
	hooks.db = hook_db;
	hooks.kick = hook_kick;
	hooks.running = hook_running;
	hooks.ctx = &d;
	api = bus ? api_new(&cli->conf, &cli->ld, &hooks, err, sizeof(err)) : NULL;
	if (!api) {
		fprintf(stderr, "run: %s\n", bus ? err : "out of memory");
		goto out;
	}
	d.api = api;
	d.srv = server_new(serve ? cli->conf.listen : NULL, api, bus, err,
			   sizeof(err));
	if (!d.srv) {
		fprintf(stderr, "run: %s\n", err);
		goto out;
	}
	d.orch = orch_new(&cli->conf, &cli->ld, bus, d.srv, err, sizeof(err));
	if (!d.orch) {
		fprintf(stderr, "run: %s\n", err);
		goto out;
	}
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0 || server_watch_fd(d.srv, sfd, on_signal, NULL, &d) < 0) {
		fprintf(stderr, "run: signalfd: %s\n", strerror(errno));
		goto out;
	}
	if (cli->conf.broker_url[0] && (conf_has_role(&cli->conf, "transform") ||
					 conf_has_role(&cli->conf, "load"))) {
		d.worker = start_worker(cli, getpid());
		if (d.worker < 0)
			log_error("MAIN", "event=worker_fork_failed error=\"%s\"",
				  strerror(errno));
	}
	if (conf_has_role(&cli->conf, "vectorize")) {
		d.vzworker = start_vzworker(cli, getpid());
		if (d.vzworker < 0)
			log_error("MAIN", "event=vzworker_fork_failed error=\"%s\"",
				  strerror(errno));
	}
	if (serve && (!(vzp = vzprogress_new(&cli->conf, bus, d.srv)) ||
		      orch_also(d.orch, VZPROGRESS_MS, vzprogress_tick, vzp) < 0))
		log_warn("MAIN", "event=vzprogress_failed");
	/* After the forks above: the orchestrator thread is parked in
	 * every later fork (orchestrator.h), not yet running in these. */
	if (orch_start(d.orch, orchestrate) < 0) {
		fprintf(stderr, "run: cannot start the orchestrator\n");
		goto out;
	}
	log_info("MAIN", "event=ready listen=%s server=%s orchestrator=%s "
		 "worker=%s max_running=%d pid=%ld",
		 serve ? cli->conf.listen : "-", serve ? "yes" : "no",
		 orchestrate ? "yes" : "no", d.worker > 0 ? "yes" : "no",
		 cli->conf.jobs_max_running, (long)getpid());
	server_run(d.srv);
	if (d.worker > 0) {
		kill(d.worker, SIGTERM);
		waitpid(d.worker, NULL, 0);
	}
	if (d.vzworker > 0) {
		kill(d.vzworker, SIGTERM);
		waitpid(d.vzworker, NULL, 0);
	}
	log_info("MAIN", "event=stopped");
	rc = 0;
out:
	server_free(d.srv); /* closes the watched fds, sfd included */
	orch_free(d.orch);  /* joins the thread that runs vzprogress_tick */
	vzprogress_free(vzp);
	api_free(api);
	progress_bus_free(bus);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

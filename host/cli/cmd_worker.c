/* cmd_worker: `pulse-host worker`, and `pulse-host queue status`. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "base/crypto.h"
#include "db/db.h"
#include "base/log.h"
#include "queue/queue.h"
#include "queue/worker.h"
#include "queue/vzworker.h"

static void worker_usage(FILE *f)
{
	fprintf(f,
		"usage: pulse-host worker [--roles transform,load,vectorize] "
		"[--prefetch N]\n"
		"                         [--concurrency N] [--sweep-interval "
		"SECONDS] [--once]\n"
		"\ntransform,load: consumes the transform queue of broker_url: "
		"each message names\na stored raw page, which is transformed by its "
		"plugin and loaded into the\nwarehouse. vectorize: drains "
		"vectorization_queue into the vector store (with\nbroker_url through "
		"the pulse.vectorize queue, else in-process; see\n"
		"docs/queue.md). Run as many workers, on as many machines, as you "
		"like; a page\nor a queued row is processed once in effect.\n"
		"\n"
		"  --roles LIST          stages to work (default: transform,load "
		"when worker_roles\n"
		"                        of the config has them; vectorize only "
		"when named here)\n"
		"                        transform and load are one stage today\n"
		"  --prefetch N          unacked messages held at once, also the "
		"batch size\n"
		"                        (16 transform, 64 vectorize)\n"
		"  --concurrency N       transform worker processes (1)\n"
		"  --sweep-interval S    seconds between recovery sweeps (default:"
		" half of\n"
		"                        jobs.stale_seconds, 1..60; vectorize: 1)\n"
		"  --once                exit when the queues are drained and no "
		"row is open\n"
		"\nExamples:\n"
		"  pulse-host worker --roles transform,load,vectorize\n"
		"  pulse-host worker --roles vectorize --once   # drain, then exit\n"
		"\nSIGTERM or SIGINT: finish the batch in hand, then exit 0.\n"
		"Exit status: 0 stopped cleanly, 1 error, 2 usage or no broker "
		"configured.\n");
}

/* Parse a positive int option; 0 on success. */
static int parse_pos(const char *opt, const char *v, int max, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < 1 || n > max) {
		fprintf(stderr, "pulse-host worker: %s '%s' must be a whole "
			"number from 1 to %d\n", opt, v, max);
		return -1;
	}
	*out = (int)n;
	return 0;
}

#define ROLE_TRANSFORM 1  /* transform and load: one stage today */
#define ROLE_VECTORIZE 2

/*
 * Check --roles (or the config's worker_roles) and say which stages this
 * worker runs (ROLE_* bits). Returns the bits, or -1 after saying why not.
 */
static int check_roles(const struct cli *cli, const char *list)
{
	char *copy = NULL, *tok, *save = NULL;
	int found = 0, rc = -1, i, known;

	if (!list) {
		/* vectorize is never implied here: embedding is CPU and
		 * memory heavy (a model per process), so a worker takes it
		 * on only when --roles names it (docs/queue.md) */
		if (conf_has_role(&cli->conf, "transform") ||
		    conf_has_role(&cli->conf, "load"))
			return ROLE_TRANSFORM;
		fprintf(stderr, "pulse-host worker: worker_roles of the "
			"configuration include neither transform nor load; "
			"pass --roles transform,load (or --roles vectorize) to "
			"run this worker anyway\n");
		return -1;
	}
	if (!(copy = strdup(list)))
		goto out;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0, known = 0; conf_roles[i]; i++)
			known |= strcmp(conf_roles[i], tok) == 0;
		if (!known) {
			fprintf(stderr, "pulse-host worker: unknown role '%s'; "
				"workers take transform, load, vectorize\n", tok);
			goto out;
		}
		if (strcmp(tok, "transform") == 0 || strcmp(tok, "load") == 0) {
			found |= ROLE_TRANSFORM;
		} else if (strcmp(tok, "vectorize") == 0) {
			found |= ROLE_VECTORIZE;
		} else {
			fprintf(stderr, "pulse-host worker: '%s' is not a worker "
				"role (it belongs to `pulse-host run`); workers "
				"take transform, load, vectorize\n", tok);
			goto out;
		}
	}
	if (!found) {
		fprintf(stderr, "pulse-host worker: --roles is empty; use "
			"--roles transform,load,vectorize\n");
		goto out;
	}
	rc = found;
out:
	free(copy);
	return rc;
}

/*
 * Both stages: the vectorize role in a child process, the transform
 * workers here; a stop of either ends both. 0 or 1 (err).
 */
static int run_both(struct cli *cli, const struct worker_opts *o,
		    const struct vzworker_opts *vo, char *err, size_t errlen)
{
	char verr[1024];
	int rc, st = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		log_set_process("vectorize");
		rc = vzworker_run(&cli->conf, &cli->ld, vo, verr, sizeof(verr));
		if (rc)
			log_error("VZWORKER", "event=failed error=\"%s\"", verr);
		_exit(rc);
	}
	rc = worker_run(&cli->conf, &cli->ld, o, err, errlen);
	if (!o->once || rc)
		kill(pid, SIGTERM);
	if (waitpid(pid, &st, 0) == pid && !rc &&
	    !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		snprintf(err, errlen, "the vectorize worker ended with status %d; "
			 "see its log", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		rc = 1;
	}
	return rc;
}

int cmd_worker(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"roles", required_argument, NULL, 'r'},
		{"prefetch", required_argument, NULL, 'p'},
		{"concurrency", required_argument, NULL, 'c'},
		{"sweep-interval", required_argument, NULL, 's'},
		{"once", no_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct worker_opts o;
	struct vzworker_opts vo;
	const char *roles = NULL;
	char err[2048];
	int c, rc, which, prefetch_set = 0;

	memset(&o, 0, sizeof(o));
	o.prefetch = 16;
	o.concurrency = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': roles = optarg; break;
		case 'p':
			if (parse_pos("--prefetch", optarg, 1000, &o.prefetch) < 0)
				return EXIT_USAGE;
			prefetch_set = 1;
			break;
		case 'c':
			if (parse_pos("--concurrency", optarg, 64, &o.concurrency) < 0)
				return EXIT_USAGE;
			break;
		case 's':
			if (parse_pos("--sweep-interval", optarg, 86400, &o.sweep_s) < 0)
				return EXIT_USAGE;
			break;
		case 'o': o.once = 1; break;
		case 'h': worker_usage(stdout); return 0;
		default: worker_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		worker_usage(stderr);
		return EXIT_USAGE;
	}
	if ((which = check_roles(cli, roles)) < 0)
		return EXIT_USAGE;
	if ((which & ROLE_TRANSFORM) &&
	    (!cli->conf.broker_url || !cli->conf.broker_url[0])) {
		fprintf(stderr, "pulse-host worker: no broker_url configured; "
			"in-process mode needs no transform worker (job run "
			"processes its own rows); --roles vectorize runs without "
			"one\n");
		return EXIT_USAGE;
	}
	memset(&vo, 0, sizeof(vo));
	vo.prefetch = prefetch_set ? o.prefetch : 0;
	vo.batch = vo.prefetch;
	vo.once = o.once;
	vo.sweep_s = o.sweep_s;
	crypto_harden_process();
	if (db_require_rls(cli->conf.database_url, "pulse-host worker", err,
			   sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	cli_load_plugins(cli);
	if (which == ROLE_VECTORIZE)
		rc = vzworker_run(&cli->conf, &cli->ld, &vo, err, sizeof(err));
	else if (which == ROLE_TRANSFORM)
		rc = worker_run(&cli->conf, &cli->ld, &o, err, sizeof(err));
	else
		rc = run_both(cli, &o, &vo, err, sizeof(err));
	if (rc)
		fprintf(stderr, "pulse-host worker: %s\n", err);
	return rc ? 1 : 0;
}

/* `pulse-host queue status [--json]`: depth of every pulse queue. */
static int queue_status(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = {
		QUEUE_TRANSFORM, QUEUE_TRANSFORM ".retry", QUEUE_VECTORIZE,
		QUEUE_VECTORIZE ".retry", QUEUE_DEAD, NULL,
	};
	struct queue_opts qo = {.publish_budget_ms = -1};
	struct queue *q = NULL;
	char err[1024];
	int json = 0, i, rc = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (cli_is_help(argv[i])) {
			printf("usage: pulse-host queue status [--json]\n"
			       "\nReady messages and consumers of each pulse "
			       "queue (declaring them if missing).\n");
			return 0;
		} else {
			fprintf(stderr, "usage: pulse-host queue status [--json]\n");
			return EXIT_USAGE;
		}
	}
	if (!cli->conf.broker_url || !cli->conf.broker_url[0]) {
		fprintf(stderr, "pulse-host queue: no broker_url configured; "
			"the stages run in-process and there is no queue\n");
		return EXIT_USAGE;
	}
	if (queue_open(cli->conf.broker_url, &qo, &q, err, sizeof(err)) != QUEUE_OK) {
		fprintf(stderr, "pulse-host queue: %s\n", err);
		goto out;
	}
	if (queue_connect(q) != QUEUE_OK) {
		fprintf(stderr, "pulse-host queue: %s\n", queue_error(q));
		goto out;
	}
	if (json)
		printf("{\"queues\":[");
	else
		printf("%-24s %10s %10s\n", "QUEUE", "READY", "CONSUMERS");
	for (i = 0; names[i]; i++) {
		uint32_t ready = 0, consumers = 0;

		if (queue_depth(q, names[i], &ready, &consumers) != QUEUE_OK) {
			if (json)
				printf("]}\n");
			fprintf(stderr, "pulse-host queue: %s\n", queue_error(q));
			goto out;
		}
		if (json)
			printf("%s{\"name\":\"%s\",\"ready\":%u,\"consumers\":%u}",
			       i ? "," : "", names[i], ready, consumers);
		else
			printf("%-24s %10u %10u\n", names[i], ready, consumers);
	}
	if (json)
		printf("]}\n");
	rc = 0;
out:
	queue_close(q);
	return rc;
}

int cmd_queue(struct cli *cli, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{"status", queue_status, "ready messages and consumers per queue"},
		{NULL, NULL, NULL},
	};

	return cli_dispatch(cli, cmds, "pulse-host queue",
			    "usage: pulse-host queue COMMAND [ARGS]\n",
			    argc - 1, argv + 1);
}

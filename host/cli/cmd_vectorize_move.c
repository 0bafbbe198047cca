/* cmd_vectorize_move: `pulse-host vectorize move`, a tenant's stored
 * vectors copied from pgvectors to a vector-store integration, or back,
 * without embedding them again (host/ai/vmove*.c; docs/vectors.md). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ai/vmove.h"
#include "cli/cli.h"
#include "cli/cli_ai.h"
#include "cli/termprogress.h"

static const char vm_usage[] =
	"usage: pulse-host vectorize move --tenant T --to INTEGRATION_ID|pgvectors\n"
	"                                 [--keep-source] [--batch N] [--dry-run] [--json]\n"
	"\n"
	"Copies the tenant's vectors from the embedded store (pgvectors) to a\n"
	"vector-store integration (e.g. qdrant) without embedding them again,\n"
	"then switches the tenant to it. The integration may be added just\n"
	"before (`pulse-host integration add --plugin qdrant ...`): the move\n"
	"disables it while copying, so searches keep using pgvectors, and\n"
	"enables it once every point is copied and both stores' ids compare\n"
	"equal. `--to pgvectors` moves back: from the tenant's vector-store\n"
	"integration (its plugin needs the ABI 1.4 scroll op) to pgvectors,\n"
	"then disables the integration.\n"
	"\n"
	"--to ID         the target vector-store integration of the tenant\n"
	"--to pgvectors  back to the embedded store\n"
	"--keep-source   keep the source copy (default: deleted at the switch)\n"
	"--batch N       points per batch (1 to 4096, default 256)\n"
	"--dry-run       say what would be copied; change nothing\n"
	"--json          print the result as JSON\n"
	"\n"
	"Progress goes to stderr. A killed move resumes from its checkpoint when\n"
	"run again; running it after it finished changes nothing, except that\n"
	"a removal of the old copy that failed (the store down) is finished:\n"
	"`vectorize status` shows such a pending cleanup.\n"
	"Vectors of a model other than the tenant's pinned one are refused: use\n"
	"`pulse-host vectorize rebuild` then.\n"
	"\n"
	"Example: pulse-host vectorize move --tenant acme --to 7 --dry-run\n";

struct vm_prog {
	double last;
};

/* A line per batch at most every 2 s, and the last one. */
static void vm_progress(void *arg, uint64_t done, uint64_t total)
{
	struct vm_prog *pr = arg;
	double now = termprogress_now();

	if (done < total && now - pr->last < 2.0)
		return;
	pr->last = now;
	fprintf(stderr, "vectorize move: %llu/%llu points copied\n",
		(unsigned long long)done, (unsigned long long)total);
}

static const char *vm_verified_by(const struct vmove_result *r)
{
	switch (r->verify_by) {
	case VMOVE_BY_SCROLL: return "scroll";
	case VMOVE_BY_QUERY: return "query";
	default: return "acknowledgements";
	}
}

static void vm_print_json(const struct vmove_result *r, int dry_run)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "store", json_object_new_string(r->store));
	json_object_object_add(o, "source", json_object_new_string(r->source));
	json_object_object_add(o, "collection",
			       json_object_new_string(r->collection));
	json_object_object_add(o, "dim", json_object_new_int64(r->dim));
	json_object_object_add(o, "dry_run", json_object_new_boolean(dry_run));
	json_object_object_add(o, "points", json_object_new_int64((int64_t)r->points));
	json_object_object_add(o, "to_copy", json_object_new_int64((int64_t)r->to_copy));
	json_object_object_add(o, "copied", json_object_new_int64((int64_t)r->copied));
	json_object_object_add(o, "caught_up",
			       json_object_new_int64((int64_t)r->caught_up));
	json_object_object_add(o, "removed", json_object_new_int64((int64_t)r->removed));
	json_object_object_add(o, "verified",
			       json_object_new_int64((int64_t)r->verified));
	json_object_object_add(o, "verified_by",
			       json_object_new_string(vm_verified_by(r)));
	json_object_object_add(o, "resumed", json_object_new_boolean(r->resumed));
	json_object_object_add(o, "already_done",
			       json_object_new_boolean(r->already_done));
	json_object_object_add(o, "switched", json_object_new_boolean(r->switched));
	json_object_object_add(o, "cleanup_pending",
			       json_object_new_boolean(r->cleanup_pending));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void vm_print_text(const struct vmove_result *r, int dry_run,
			  int keep)
{
	if (dry_run) {
		printf("would move %llu of %llu points of %s (%u dims) from "
		       "%s to %s%s%s\n", (unsigned long long)r->to_copy,
		       (unsigned long long)r->points, r->collection, r->dim,
		       r->source, r->store, r->resumed && !r->already_done ?
		       " (resuming a checkpoint)" : "",
		       r->already_done ? " (already moved: nothing to do)" : "");
		return;
	}
	if (r->already_done) {
		if (r->removed)
			printf("already moved to %s; the %llu points left in the "
			       "old store are removed now\n", r->store,
			       (unsigned long long)r->removed);
		else
			printf("already moved to %s: nothing to do%s\n", r->store,
			       r->cleanup_pending ? " (a cleanup of the old store "
			       "is pending)" : "");
		return;
	}
	printf("moved %llu points of %s to %s (%llu copied in this run, %llu "
	       "written during the copy); %s; the tenant now uses %s; "
	       "%s copy %s\n", (unsigned long long)r->points,
	       r->collection, r->store, (unsigned long long)r->copied,
	       (unsigned long long)r->caught_up,
	       r->verify_by == VMOVE_BY_SCROLL ? "every point id of both stores "
	       "compared" : r->verify_by == VMOVE_BY_QUERY ? "every point id "
	       "read back from the target" : "counted by the target's "
	       "acknowledgements", r->store, r->source,
	       keep ? "kept" : r->cleanup_pending ? "removal pending" :
	       "deleted");
}

int cmd_vectorize_move(struct cli *cli, int argc, char **argv)
{
	struct vmove_opts o = {0};
	struct vmove_result res;
	struct vm_prog pr = {0};
	struct cli_ai ai;
	const char *tenant = NULL, *val;
	char err[2048], *end;
	int i, k, json = 0, back = 0, rc;
	long long v;

	for (i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("%s", vm_usage);
			return 0;
		}
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--dry-run")) {
			o.dry_run = 1;
		} else if (!strcmp(argv[i], "--keep-source")) {
			o.keep_source = 1;
		} else if ((k = cli_opt_value("vectorize move", argc, argv, &i, "--tenant", &val)) != 0) {
			if (k < 0)
				return EXIT_USAGE;
			tenant = val;
		} else if ((k = cli_opt_value("vectorize move", argc, argv, &i, "--to", &val)) != 0) {
			if (k < 0)
				return EXIT_USAGE;
			if (!strcmp(val, "pgvectors")) {
				back = 1;
				continue;
			}
			errno = 0;
			v = strtoll(val, &end, 10);
			if (errno || *end || v <= 0) {
				fprintf(stderr, "vectorize move: --to '%s': give the "
					"id of the target integration (see `pulse-host "
					"integration list --tenant T`)\n", val);
				return EXIT_USAGE;
			}
			o.target = v;
		} else if ((k = cli_opt_value("vectorize move", argc, argv, &i, "--batch", &val)) != 0) {
			if (k < 0)
				return EXIT_USAGE;
			v = strtoll(val, &end, 10);
			if (*end || v < 1 || v > 4096) {
				fprintf(stderr, "vectorize move: --batch '%s': give 1 "
					"to 4096\n", val);
				return EXIT_USAGE;
			}
			o.batch = (uint32_t)v;
		} else {
			fprintf(stderr, "vectorize move: unknown argument '%s' (try "
				"--help)\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!tenant || (!o.target && !back)) {
		fprintf(stderr, "vectorize move: --tenant and --to are required "
			"(try --help)\n");
		return EXIT_USAGE;
	}
	cli_load_plugins(cli);
	if (cli_ai_open(&cli->conf, &cli->ld, "vectorize move", tenant, &ai) < 0)
		return 1;
	o.progress = vm_progress;
	o.arg = &pr;
	rc = (back ? vmove_back_run : vmove_run)(&ai.ctx, ai.tenant, &o, &res,
						 err, sizeof(err));
	cli_ai_close(&ai);
	if (rc < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (res.disabled_target)
		fprintf(stderr, "vectorize move: integration %lld was disabled "
			"while copying (the tenant kept pgvectors meanwhile)\n",
			(long long)o.target);
	if (res.cleanup_pending && res.cleanup_error[0])
		fprintf(stderr, "vectorize move: the tenant now uses %s, but %s\n",
			res.store, res.cleanup_error);
	if (json)
		vm_print_json(&res, o.dry_run);
	else
		vm_print_text(&res, o.dry_run, o.keep_source);
	return 0;
}

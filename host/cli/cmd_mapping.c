/* cmd_mapping: `pulse-host mapping list|set|reset|recompute` (work item
 * type and status mappings of an integration; host/model/mapping.h). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "cli/cli_audit.h"
#include "db/db.h"
#include "model/integration.h"
#include "model/mapping.h"

static const char mapping_usage[] =
	"usage: pulse-host mapping list --integration ID [--unmapped] [--json]\n"
	"       pulse-host mapping set --integration ID (--type NAME | --status NAME)\n"
	"                              --to VALUE\n"
	"       pulse-host mapping reset --integration ID [--type NAME | --status NAME\n"
	"                                | --types | --statuses]\n"
	"       pulse-host mapping recompute --integration ID\n"
	"\n"
	"How an integration's work item types and statuses map onto the canonical\n"
	"ones, which drive the work item metrics (cycle and lead time) and DORA's\n"
	"incidents. Defaults come from the source (type names, sub-task flag,\n"
	"`incident_types`; Jira's status categories); the integration's `mappings`\n"
	"setting overrides them, and `mapping set` overrides both.\n"
	"\n"
	"  list       every mapping with its origin (default, config, cli) and how\n"
	"             many work items use it; --unmapped: only the 'Unmapped' ones\n"
	"  set        --type NAME --to Story|Bug|Task|Epic|Incident|Sub-task|Unmapped\n"
	"             --status NAME --to \"To Do\"|\"In Progress\"|Done|Unmapped\n"
	"  reset      drop `set` overrides (of one name, one kind, or all)\n"
	"  recompute  apply the mappings again and recompute every work item's\n"
	"             work_started_at, work_done_at, cycle and lead time (a job\n"
	"             run does this by itself for what it loaded)\n"
	"See docs/jira.md.\n";

struct args {
	int64_t integration;
	const char *type, *status, *to;
	int unmapped, json, types, statuses;
};

/* Parse argv[1..]; returns 0, 1 (help printed) or EXIT_USAGE. */
static int parse(int argc, char **argv, struct args *a)
{
	const char *id = NULL;
	int i, k;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("%s", mapping_usage);
			return 1;
		}
		if ((k = cli_opt_value("mapping", argc, argv, &i, "--integration", &id)) ||
		    (k = cli_opt_value("mapping", argc, argv, &i, "--type", &a->type)) ||
		    (k = cli_opt_value("mapping", argc, argv, &i, "--status", &a->status)) ||
		    (k = cli_opt_value("mapping", argc, argv, &i, "--to", &a->to))) {
			if (k < 0)
				return EXIT_USAGE;
		} else if (strcmp(argv[i], "--unmapped") == 0) {
			a->unmapped = 1;
		} else if (strcmp(argv[i], "--json") == 0) {
			a->json = 1;
		} else if (strcmp(argv[i], "--types") == 0) {
			a->types = 1;
		} else if (strcmp(argv[i], "--statuses") == 0) {
			a->statuses = 1;
		} else {
			fprintf(stderr, "mapping %s: unexpected argument '%s' (try "
				"--help)\n", argv[0], argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!id) {
		fprintf(stderr, "mapping %s: --integration ID is required (see "
			"`pulse-host integration list`)\n", argv[0]);
		return EXIT_USAGE;
	}
	a->integration = strtoll(id, NULL, 10);
	if (a->integration <= 0 || strspn(id, "0123456789") != strlen(id)) {
		fprintf(stderr, "mapping %s: --integration takes a numeric id, got "
			"'%s'\n", argv[0], id);
		return EXIT_USAGE;
	}
	return 0;
}

/* Connect and find the integration (its tenant). NULL after printing why. */
static PGconn *open_integration(struct cli *cli, const char *cmd, int64_t id,
				struct integration *in)
{
	char err[1024];
	PGconn *c;

	if (!cli->conf.database_url || !*cli->conf.database_url) {
		fprintf(stderr, "mapping %s: no database configured; set "
			"database_url in %s or PULSE_HOST_DATABASE_URL\n", cmd,
			cli->conf.path ? cli->conf.path : conf_default_path());
		return NULL;
	}
	if (!(c = db_connect_tenant(cli->conf.database_url, err, sizeof(err)))) {
		fprintf(stderr, "mapping %s: %s\n", cmd, err);
		return NULL;
	}
	if (integration_get(c, id, in, err, sizeof(err)) != 0) {
		fprintf(stderr, "mapping %s: %s\n", cmd, err);
		PQfinish(c);
		return NULL;
	}
	return c;
}

static void print_json(const struct integration *in, const struct mapping_list *l)
{
	struct json_object *o = json_object_new_object();
	struct json_object *t = json_object_new_array(), *s = json_object_new_array();
	size_t i;

	json_object_object_add(o, "integration", json_object_new_int64(in->id));
	json_object_object_add(o, "plugin", json_object_new_string(in->plugin));
	for (i = 0; i < l->n; i++) {
		const struct mapping_row *m = &l->v[i];
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "source_name", json_object_new_string(m->source_name));
		json_object_object_add(e, m->kind == MAPPING_TYPE ? "canonical_type" :
				       "category", json_object_new_string(m->to));
		json_object_object_add(e, "origin", json_object_new_string(m->origin));
		if (m->kind == MAPPING_STATUS)
			json_object_object_add(e, "source_category", m->source_category ?
					       json_object_new_string(m->source_category) : NULL);
		json_object_object_add(e, "items", json_object_new_int64(m->items));
		json_object_array_add(m->kind == MAPPING_TYPE ? t : s, e);
	}
	json_object_object_add(o, "types", t);
	json_object_object_add(o, "statuses", s);
	json_object_object_add(o, "hierarchy", l->hierarchy ?
			       json_object_new_string(l->hierarchy) : NULL);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void print_text(const struct integration *in, const struct mapping_list *l,
		       int unmapped)
{
	size_t i, nun = 0;
	int kind;

	for (kind = MAPPING_TYPE; kind <= MAPPING_STATUS; kind++) {
		int header = 0;

		for (i = 0; i < l->n; i++) {
			const struct mapping_row *m = &l->v[i];

			if (m->kind != kind)
				continue;
			if (!header) {
				printf("%sintegration %" PRId64 " (%s): %s%s\n",
				       kind == MAPPING_STATUS ? "\n" : "", in->id,
				       in->plugin, unmapped ? "unmapped " : "",
				       kind == MAPPING_TYPE ? "work item types" : "statuses");
				if (kind == MAPPING_TYPE)
					printf("  %-28s %-12s %-8s %7s\n", "SOURCE TYPE",
					       "CANONICAL", "ORIGIN", "ITEMS");
				else
					printf("  %-28s %-12s %-8s %-14s %7s\n", "SOURCE STATUS",
					       "CATEGORY", "ORIGIN", "SOURCE CAT.", "ITEMS");
				header = 1;
			}
			if (kind == MAPPING_TYPE)
				printf("  %-28s %-12s %-8s %7" PRId64 "\n", m->source_name,
				       m->to, m->origin, m->items);
			else
				printf("  %-28s %-12s %-8s %-14s %7" PRId64 "\n",
				       m->source_name, m->to, m->origin,
				       m->source_category ? m->source_category : "-",
				       m->items);
			if (strcmp(m->to, "Unmapped") == 0)
				nun++;
		}
	}
	if (l->n == 0)
		printf("integration %" PRId64 " (%s): no %smappings%s\n", in->id,
		       in->plugin, unmapped ? "unmapped " : "", unmapped ? "" :
		       " yet (they appear with the first sync of work items)");
	if (!unmapped && l->hierarchy)
		printf("\nhierarchy: %s\n", l->hierarchy);
	if (nun)
		printf("\n%zu unmapped: map %s with `pulse-host mapping set "
		       "--integration %" PRId64 " --type NAME --to TYPE` or "
		       "`--status NAME --to CATEGORY`\n", nun, nun == 1 ? "it" : "them",
		       in->id);
}

static int cmd_list(struct cli *cli, int argc, char **argv)
{
	struct args a;
	struct integration in;
	struct mapping_list l;
	char err[1024];
	PGconn *c;
	int rc;

	if ((rc = parse(argc, argv, &a)) != 0)
		return rc == 1 ? 0 : rc;
	memset(&in, 0, sizeof(in));
	if (!(c = open_integration(cli, "list", a.integration, &in)))
		return 1;
	rc = 1;
	if (mapping_list(c, in.tenant_id, in.id, a.unmapped, &l, err, sizeof(err)) < 0) {
		fprintf(stderr, "mapping list: integration %" PRId64 ": %s\n", in.id, err);
		goto out;
	}
	if (a.json)
		print_json(&in, &l);
	else
		print_text(&in, &l, a.unmapped);
	mapping_list_free(&l);
	rc = 0;
out:
	integration_free(&in);
	PQfinish(c);
	return rc;
}

/* The audit row of a mapping change of integration in (name and to may
 * be NULL). 0 or -1 (said on stderr). */
static int mapping_audit(PGconn *c, const struct integration *in,
			 const char *cmd, const char *action, const char *kind,
			 const char *name, const char *to)
{
	json_object *d = json_object_new_object();
	int rc;

	json_object_object_add(d, "kind", json_object_new_string(kind));
	if (name)
		json_object_object_add(d, "name", json_object_new_string(name));
	if (to)
		json_object_object_add(d, "to", json_object_new_string(to));
	rc = cli_audit(c, in->tenant_id, cmd, action, "integration", in->id, d);
	json_object_put(d);
	return rc;
}

static int cmd_set(struct cli *cli, int argc, char **argv)
{
	struct args a;
	struct integration in;
	char err[1024], name[512];
	PGconn *c;
	int rc, kind, known = 0, updated = 0;

	if ((rc = parse(argc, argv, &a)) != 0)
		return rc == 1 ? 0 : rc;
	if (!a.type == !a.status || !a.to) {
		fprintf(stderr, "usage: pulse-host mapping set --integration ID "
			"(--type NAME | --status NAME) --to VALUE\n");
		return EXIT_USAGE;
	}
	kind = a.type ? MAPPING_TYPE : MAPPING_STATUS;
	if (!mapping_canonical(kind, a.to)) {
		fprintf(stderr, "mapping set: '%s' is not a %s; use one of %s\n", a.to,
			kind == MAPPING_TYPE ? "canonical type" : "status category",
			mapping_values(kind));
		return EXIT_USAGE;
	}
	memset(&in, 0, sizeof(in));
	if (!(c = open_integration(cli, "set", a.integration, &in)))
		return 1;
	rc = 1;
	if (mapping_set(c, in.tenant_id, in.id, kind, a.type ? a.type : a.status,
			a.to, name, sizeof(name), &known, &updated, err,
			sizeof(err)) < 0) {
		fprintf(stderr, "mapping set: integration %" PRId64 ": %s\n", in.id, err);
		goto out;
	}
	if (mapping_audit(c, &in, "mapping set", "mapping.set",
			  kind == MAPPING_TYPE ? "type" : "status", name,
			  mapping_canonical(kind, a.to)) < 0)
		goto out;
	printf("integration %" PRId64 ": %s \"%s\" -> %s (cli); %d work item%s "
	       "recomputed\n", in.id, kind == MAPPING_TYPE ? "type" : "status",
	       name, mapping_canonical(kind, a.to), updated, updated == 1 ? "" : "s");
	if (!known)
		fprintf(stderr, "mapping set: note: integration %" PRId64 " has not "
			"seen a %s named \"%s\" yet; the mapping applies once it "
			"does\n", in.id, kind == MAPPING_TYPE ? "type" : "status",
			a.type ? a.type : a.status);
	rc = 0;
out:
	integration_free(&in);
	PQfinish(c);
	return rc;
}

static int cmd_reset(struct cli *cli, int argc, char **argv)
{
	struct args a;
	struct integration in;
	char err[1024];
	PGconn *c;
	int rc, kind = 0, removed = 0, updated = 0;

	if ((rc = parse(argc, argv, &a)) != 0)
		return rc == 1 ? 0 : rc;
	if ((a.type != NULL) + (a.status != NULL) + a.types + a.statuses > 1 || a.to) {
		fprintf(stderr, "usage: pulse-host mapping reset --integration ID "
			"[--type NAME | --status NAME | --types | --statuses]\n");
		return EXIT_USAGE;
	}
	if (a.type || a.types)
		kind = MAPPING_TYPE;
	if (a.status || a.statuses)
		kind = MAPPING_STATUS;
	memset(&in, 0, sizeof(in));
	if (!(c = open_integration(cli, "reset", a.integration, &in)))
		return 1;
	rc = 1;
	if (mapping_reset(c, in.tenant_id, in.id, kind, a.type ? a.type : a.status,
			  &removed, &updated, err, sizeof(err)) < 0) {
		fprintf(stderr, "mapping reset: integration %" PRId64 ": %s\n", in.id, err);
		goto out;
	}
	if (mapping_audit(c, &in, "mapping reset", "mapping.reset",
			  kind == MAPPING_TYPE ? "type" : kind ? "status" : "all",
			  a.type ? a.type : a.status, NULL) < 0)
		goto out;
	printf("integration %" PRId64 ": %d override%s removed; %d work item%s "
	       "recomputed\n", in.id, removed, removed == 1 ? "" : "s", updated,
	       updated == 1 ? "" : "s");
	rc = 0;
out:
	integration_free(&in);
	PQfinish(c);
	return rc;
}

static int cmd_recompute(struct cli *cli, int argc, char **argv)
{
	struct args a;
	struct integration in;
	char err[1024];
	PGconn *c;
	int rc, changed = 0, updated = 0;

	if ((rc = parse(argc, argv, &a)) != 0)
		return rc == 1 ? 0 : rc;
	memset(&in, 0, sizeof(in));
	if (!(c = open_integration(cli, "recompute", a.integration, &in)))
		return 1;
	rc = 1;
	if (mapping_refresh(c, in.tenant_id, in.id, 1, &changed, &updated, err,
			    sizeof(err)) < 0) {
		fprintf(stderr, "mapping recompute: integration %" PRId64 ": %s\n",
			in.id, err);
		goto out;
	}
	if (mapping_audit(c, &in, "mapping recompute", "mapping.recompute",
			  "all", NULL, NULL) < 0)
		goto out;
	printf("integration %" PRId64 ": %d mapping%s added or changed; %d work "
	       "item%s recomputed\n", in.id, changed, changed == 1 ? "" : "s",
	       updated, updated == 1 ? "" : "s");
	rc = 0;
out:
	integration_free(&in);
	PQfinish(c);
	return rc;
}

int cmd_mapping(struct cli *cli, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{"list", cmd_list, "mappings of an integration (--unmapped, --json)"},
		{"set", cmd_set, "map a type or status: --type|--status NAME --to VALUE"},
		{"reset", cmd_reset, "drop `set` overrides"},
		{"recompute", cmd_recompute, "apply mappings, recompute work item metrics"},
		{NULL, NULL, NULL},
	};

	return cli_dispatch(cli, cmds, "pulse-host mapping", mapping_usage,
			    argc - 1, argv + 1);
}

/* cmd_ai_health: `pulse-host ai health --tenant T [--json]`: per AI or
 * Embedding integration, its recent error rate and p95 latency and its
 * open anomalies (checked first, so a jump is recorded now). Cooldowns
 * live in the daemon's memory: GET /api/v1/ai/health shows those. */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "ai/route_report.h"
#include "cli/cli.h"
#include "cli/cli_ai.h"

static const char ai_health_usage[] =
	"usage: pulse-host ai health --tenant T [--json]\n"
	"\n"
	"Per AI/Embedding integration: calls, errors, error rate and p95\n"
	"latency of the last 15 minutes, and open anomalies (an error rate or\n"
	"p95 that jumped against the 24 hours before; docs/ai.md). Running it\n"
	"checks for anomalies first: a new one is recorded and logged (WARN).\n"
	"--json prints the object GET /api/v1/ai/health returns.\n"
	"\n"
	"Example: pulse-host ai health --tenant acme\n";

static const char *str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ?
	       json_object_get_string(v) : "-";
}

static void print_text(json_object *o)
{
	json_object *list = json_object_object_get(o, "providers");

	printf("%-5s %-20s %-14s %7s %6s %7s %7s  %s\n", "ID", "NAME", "PLUGIN",
	       "CALLS", "ERR%", "P95 MS", "ANOMAL", "COOLDOWN");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *p = json_object_array_get_idx(list, i);
		json_object *rec = json_object_object_get(p, "recent");
		json_object *cool = json_object_object_get(p, "cooldown");
		json_object *er = json_object_object_get(rec, "error_rate");

		printf("%-5s %-20.20s %-14.14s %7s ", str(p, "integration_id"),
		       str(p, "name"), str(p, "plugin"), str(rec, "calls"));
		if (er)
			printf("%5.1f%% ", 100 * json_object_get_double(er));
		else
			printf("%6s ", "-");
		printf("%7s %7zu  %s\n", str(rec, "p95_ms"),
		       json_object_array_length(json_object_object_get(p, "anomalies")),
		       json_object_get_boolean(json_object_object_get(cool, "cooling")) ?
		       "cooling" : "-");
	}
	list = json_object_object_get(o, "anomalies");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *a = json_object_array_get_idx(list, i);

		printf("anomaly: integration %s model %s: %s %s -> %s (%s calls) "
		       "at %s\n", str(a, "integration_id"), str(a, "model"),
		       str(a, "metric"), str(a, "baseline"), str(a, "observed"),
		       str(a, "window_calls"), str(a, "detected_at"));
	}
}

int cmd_ai_health(struct cli *cli, int argc, char **argv)
{
	const char *tenant = NULL;
	struct cli_ai ai;
	json_object *o;
	char err[1024];
	int json = 0, rc;

	for (int i = 1; i < argc; i++) {
		if ((rc = cli_opt_value("ai health", argc, argv, &i, "--tenant",
					&tenant)) != 0) {
			if (rc < 0)
				return EXIT_USAGE;
		} else if (cli_is_help(argv[i])) {
			fputs(ai_health_usage, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else {
			fprintf(stderr, "ai health: unknown argument '%s'\n%s",
				argv[i], ai_health_usage);
			return EXIT_USAGE;
		}
	}
	if (!tenant) {
		fprintf(stderr, "ai health: --tenant is required\n%s", ai_health_usage);
		return EXIT_USAGE;
	}
	if (cli_ai_open(&cli->conf, &cli->ld, "ai health", tenant, &ai) < 0)
		return 1;
	o = ai_health_json(ai.db, ai.tenant, err, sizeof(err));
	cli_ai_close(&ai);
	if (!o) {
		fprintf(stderr, "ai health: %s\n", err);
		return 1;
	}
	if (json)
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	else
		print_text(o);
	json_object_put(o);
	return 0;
}

/* cmd_people: `pulse-host people resolve|list|link|unlink|unmatched|config`
 * (host/people, docs/people.md). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "db/db.h"
#include "model/tenant.h"
#include "people/people.h"

static const char people_usage[] =
	"usage: pulse-host people resolve   --tenant T [--json]\n"
	"       pulse-host people list      --tenant T [--user U] [--json]\n"
	"       pulse-host people link      --tenant T --user U (--github LOGIN | --jira ACCOUNT_ID)\n"
	"       pulse-host people unlink    --tenant T (--github LOGIN | --jira ACCOUNT_ID)\n"
	"       pulse-host people unmatched --tenant T [--json]\n"
	"       pulse-host people config    --tenant T [--github-attribute A] [--jira-attribute A]\n"
	"\n"
	"A person is a directory user (AD and Entra copies with the same\n"
	"immutable id are one person) linked to the GitHub logins and Jira\n"
	"account ids they use. Links are made, in this order of precedence:\n"
	"  manual     `people link`; always wins and survives every resolve\n"
	"  attribute  a directory attribute holds the login / account id\n"
	"             (`people config --github-attribute employeeGithub`)\n"
	"  email      the account's e-mail (where the source gives it) equals\n"
	"             the directory user's mail, case-insensitive\n"
	"  commit_email  a GitHub commit's author e-mail equals one of the\n"
	"             user's addresses (mail, UPN, SMTP proxy addresses); an\n"
	"             address more than one login used links neither (a conflict)\n"
	"Only exact, unambiguous matches are linked; the rest is listed by\n"
	"`people unmatched`.\n"
	"\n"
	"  resolve     recompute the automatic links (also runs after every\n"
	"              run of an ad, entra, github or jira integration); reports\n"
	"              as conflicts the commit e-mails used by more than one\n"
	"              GitHub login (email_conflicts in --json)\n"
	"  list        people with their links (--user: the person of one user)\n"
	"  link        link an account to the person of directory user U\n"
	"              (U: external id, principal name, mail or account name)\n"
	"  unlink      remove an account's link (an automatic one comes back on\n"
	"              the next resolve; link the account by hand to move it)\n"
	"  unmatched   GitHub and Jira accounts with no person, directory users\n"
	"              with no GitHub and no Jira link, and commit e-mails of a\n"
	"              directory user used by two GitHub logins (not linked)\n"
	"  config      the attribute names (a directory_users column such as\n"
	"              account_name or employee_id, or a key of its attributes);\n"
	"              \"\" clears one\n"
	"\n"
	"Example:\n"
	"  pulse-host people link --tenant acme --user ada@acme.example --github ada-l\n"
	"  pulse-host dora --tenant acme --team Platform\n"
	"See docs/people.md.\n";

struct opts {
	const char *tenant, *user, *github, *jira, *gattr, *jattr;
	int json;
};

/* Parse argv[1..]; 0, or an exit code (help printed, usage error). */
static int parse(const char *sub, int argc, char **argv, struct opts *o, int *done)
{
	int i, k;

	memset(o, 0, sizeof(*o));
	*done = 0;
	for (i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("%s", people_usage);
			*done = 1;
			return 0;
		}
		if (strcmp(argv[i], "--json") == 0) {
			o->json = 1;
			continue;
		}
		if ((k = cli_opt_value("people", argc, argv, &i, "--tenant", &o->tenant)) ||
		    (k = cli_opt_value("people", argc, argv, &i, "--user", &o->user)) ||
		    (k = cli_opt_value("people", argc, argv, &i, "--github", &o->github)) ||
		    (k = cli_opt_value("people", argc, argv, &i, "--jira", &o->jira)) ||
		    (k = cli_opt_value("people", argc, argv, &i, "--github-attribute", &o->gattr)) ||
		    (k = cli_opt_value("people", argc, argv, &i, "--jira-attribute", &o->jattr))) {
			if (k < 0)
				return EXIT_USAGE;
			continue;
		}
		fprintf(stderr, "people %s: unknown argument '%s' (try --help)\n", sub, argv[i]);
		return EXIT_USAGE;
	}
	if (!o->tenant) {
		fprintf(stderr, "people %s: --tenant is required (try --help)\n", sub);
		return EXIT_USAGE;
	}
	return 0;
}

static PGconn *connect_tenant(struct cli *cli, const char *tenant, int64_t *id)
{
	char err[1024];
	PGconn *c;

	if (!cli->conf.database_url || !*cli->conf.database_url) {
		fprintf(stderr, "people: no database configured; set database_url in "
			"%s or PULSE_HOST_DATABASE_URL\n",
			cli->conf.path ? cli->conf.path : conf_default_path());
		return NULL;
	}
	c = db_connect_tenant(cli->conf.database_url, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "people: %s\n", err);
		return NULL;
	}
	if (tenant_resolve(c, tenant, id, err, sizeof(err)) < 0) {
		fprintf(stderr, "people: %s\n", err);
		PQfinish(c);
		return NULL;
	}
	return c;
}

static void print_json(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static const char *s_or(struct json_object *o, const char *k, const char *dflt)
{
	struct json_object *v = json_object_object_get(o, k);

	return v && json_object_get_type(v) == json_type_string ?
	       json_object_get_string(v) : dflt;
}

static void print_list(struct json_object *o)
{
	struct json_object *ps = json_object_object_get(o, "people"), *p, *ls, *l;
	size_t i, j, n = json_object_array_length(ps);

	if (n == 0)
		printf("no people yet: load a directory (ad or entra integration) "
		       "and run `pulse-host people resolve`\n");
	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(ps, i);
		printf("%" PRId64 "  %s  <%s>\n",
		       json_object_get_int64(json_object_object_get(p, "id")),
		       s_or(p, "display_name", "(no name)"), s_or(p, "mail", ""));
		ls = json_object_object_get(p, "links");
		for (j = 0; ls && j < json_object_array_length(ls); j++) {
			l = json_object_array_get_idx(ls, j);
			printf("    %-10s %-40s %s\n", s_or(l, "kind", ""),
			       s_or(l, "account", ""), s_or(l, "method", ""));
		}
	}
}

static void print_unmatched(struct json_object *o)
{
	static const char *const kinds[] = {"github", "jira", "directory"};
	struct json_object *a, *e;
	size_t i, j;

	for (i = 0; i < 3; i++) {
		a = json_object_object_get(o, kinds[i]);
		printf("%s: %zu unmatched\n", kinds[i], json_object_array_length(a));
		for (j = 0; j < json_object_array_length(a); j++) {
			e = json_object_array_get_idx(a, j);
			if (i < 2)
				printf("    %-40s %s\n", s_or(e, "account", ""),
				       s_or(e, "email", ""));
			else
				printf("    %-40s %s\n", s_or(e, "principal_name",
				       s_or(e, "external_id", "")), s_or(e, "mail", ""));
		}
	}
	a = json_object_object_get(o, "github_email_conflicts");
	if (!json_object_array_length(a))
		return;
	printf("commit e-mails used by more than one GitHub login (not linked): %zu\n",
	       json_object_array_length(a));
	for (j = 0; j < json_object_array_length(a); j++) {
		struct json_object *ls;
		size_t k;

		e = json_object_array_get_idx(a, j);
		ls = json_object_object_get(e, "logins");
		printf("    %-40s", s_or(e, "email", ""));
		for (k = 0; k < json_object_array_length(ls); k++)
			printf(" %s", json_object_get_string(json_object_array_get_idx(ls, k)));
		printf("\n");
	}
}

int cmd_people(struct cli *cli, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	struct json_object *o = NULL;
	struct people_counts n;
	struct opts op;
	char err[1024];
	int64_t tid;
	int rc, done, usage = 0, removed = 0;
	PGconn *c = NULL;

	if (!sub || cli_is_help(sub)) {
		fprintf(sub ? stdout : stderr, "%s", people_usage);
		return sub ? 0 : EXIT_USAGE;
	}
	if (strcmp(sub, "resolve") && strcmp(sub, "list") && strcmp(sub, "link") &&
	    strcmp(sub, "unlink") && strcmp(sub, "unmatched") && strcmp(sub, "config")) {
		fprintf(stderr, "people: unknown subcommand '%s' (try --help)\n", sub);
		return EXIT_USAGE;
	}
	rc = parse(sub, argc - 1, argv + 1, &op, &done);
	if (rc || done)
		return rc;
	if ((strcmp(sub, "link") == 0 || strcmp(sub, "unlink") == 0) &&
	    (!op.github == !op.jira || (strcmp(sub, "link") == 0 && !op.user))) {
		fprintf(stderr, "people %s: give %sexactly one of --github LOGIN and "
			"--jira ACCOUNT_ID (try --help)\n", sub,
			strcmp(sub, "link") == 0 ? "--user U and " : "");
		return EXIT_USAGE;
	}
	if (strcmp(sub, "config") == 0 && !op.gattr && !op.jattr) {
		fprintf(stderr, "people config: give --github-attribute and/or "
			"--jira-attribute (\"\" clears one; try --help)\n");
		return EXIT_USAGE;
	}
	c = connect_tenant(cli, op.tenant, &tid);
	if (!c)
		return 1;
	rc = 1;
	if (strcmp(sub, "resolve") == 0) {
		if (people_resolve(c, tid, &n, err, sizeof(err)) < 0)
			goto fail;
		if (op.json) {
			o = json_object_new_object();
			json_object_object_add(o, "people_added", json_object_new_int64(n.people_added));
			json_object_object_add(o, "people_removed", json_object_new_int64(n.people_removed));
			json_object_object_add(o, "links_added", json_object_new_int64(n.links_added));
			json_object_object_add(o, "links_removed", json_object_new_int64(n.links_removed));
			json_object_object_add(o, "accounts", json_object_new_int64(n.accounts));
			json_object_object_add(o, "email_conflicts",
					       json_object_new_int64(n.email_conflicts));
			print_json(o);
		} else {
			printf("people: %" PRId64 " added, %" PRId64 " removed; links: %"
			       PRId64 " added, %" PRId64 " removed; %" PRId64
			       " GitHub/Jira accounts known\n", n.people_added,
			       n.people_removed, n.links_added, n.links_removed, n.accounts);
			if (n.email_conflicts)
				printf("conflicts: %" PRId64 " commit e-mail%s of directory "
				       "users used by more than one GitHub login, so "
				       "linked nobody; see `pulse-host people unmatched "
				       "--tenant %s`\n", n.email_conflicts,
				       n.email_conflicts == 1 ? "" : "s", op.tenant);
		}
	} else if (strcmp(sub, "list") == 0 || strcmp(sub, "unmatched") == 0) {
		o = strcmp(sub, "list") == 0 ?
		    people_list_json(c, tid, op.user, err, sizeof(err)) :
		    people_unmatched_json(c, tid, err, sizeof(err));
		if (!o)
			goto fail;
		if (op.json)
			print_json(o);
		else if (strcmp(sub, "list") == 0)
			print_list(o);
		else
			print_unmatched(o);
	} else if (strcmp(sub, "link") == 0) {
		if (people_link(c, tid, op.user, op.github ? "github" : "jira",
				op.github ? op.github : op.jira, &usage, err,
				sizeof(err)) < 0)
			goto fail;
		printf("%s %s linked to %s (manual)\n", op.github ? "GitHub login" :
		       "Jira account", op.github ? op.github : op.jira, op.user);
	} else if (strcmp(sub, "unlink") == 0) {
		if (people_unlink(c, tid, op.github ? "github" : "jira",
				  op.github ? op.github : op.jira, &removed, err,
				  sizeof(err)) < 0)
			goto fail;
		if (!removed) {
			fprintf(stderr, "people unlink: %s is not linked to anyone\n",
				op.github ? op.github : op.jira);
			goto out;
		}
		printf("%s unlinked\n", op.github ? op.github : op.jira);
	} else {
		if (people_set_attributes(c, tid, op.gattr, op.jattr, err, sizeof(err)) < 0)
			goto fail;
		printf("people config saved; run `pulse-host people resolve --tenant %s` "
		       "to apply it\n", op.tenant);
	}
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "%s\n", err);
	rc = usage ? EXIT_USAGE : 1;
out:
	json_object_put(o);
	PQfinish(c);
	return rc;
}

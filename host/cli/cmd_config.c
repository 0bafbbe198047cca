/* cmd_config: `pulse-host config check [FILE]` and `config show`. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "base/crypto.h"

static int config_check(struct cli *cli, int argc, char **argv)
{
	struct conf c;
	const char *path = argc > 1 ? argv[1] : cli->conf_path;
	char err[1024];
	int rc;

	if (argc > 2 || (argc == 2 && cli_is_help(argv[1]))) {
		printf("usage: pulse-host config check [FILE]\n\n"
		       "Validates FILE (default: --config, else %s):\n"
		       "syntax, unknown keys, types, value ranges, the listen\n"
		       "address and the key files' owner and mode. Prints 'ok' or\n"
		       "FILE:LINE: what is wrong. Exit status 0 when valid.\n",
		       conf_default_path());
		return argc == 2 ? 0 : EXIT_USAGE;
	}
	if (!path)
		path = conf_default_path();
	rc = conf_load(path, &c, err, sizeof(err));
	/* What `run` checks before it serves, short of the database. */
	if (rc == 0 && (crypto_key_file_check(c.key_file, err, sizeof(err)) < 0 ||
			crypto_key_file_check(c.jwt_key_file, err,
					      sizeof(err)) < 0))
		rc = -1;
	if (rc < 0)
		fprintf(stderr, "config check: %s\n", err);
	else
		printf("%s: ok\n", path);
	conf_free(&c);
	return rc < 0 ? 1 : 0;
}

static int config_show(struct cli *cli, int argc, char **argv)
{
	struct conf c;
	char err[1024];
	int rc;

	if (argc > 1) {
		printf("usage: pulse-host config show\n\n"
		       "Prints the effective configuration after defaults and the\n"
		       "PULSE_HOST_* environment overrides (passwords masked).\n");
		return cli_is_help(argv[1]) ? 0 : EXIT_USAGE;
	}
	rc = conf_load(cli->conf_path, &c, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "config show: %s\n", err);
	else
		conf_print(&c);
	conf_free(&c);
	return rc < 0 ? 1 : 0;
}

int cmd_config(struct cli *cli, int argc, char **argv)
{
	static const struct cli_cmd sub[] = {
		{"check", config_check, "validate a configuration file"},
		{"show", config_show, "print the effective configuration"},
		{NULL, NULL, NULL},
	};

	return cli_dispatch(cli, sub, "pulse-host config",
			    "usage: pulse-host config check [FILE] | show\n",
			    argc - 1, argv + 1);
}

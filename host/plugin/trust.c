/* trust: ownership and permission checks of plugin files (see trust.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/trust.h"

static int trusted;

void plugin_trust_set(int on)
{
	trusted = on;
}

static int env_trusted(void)
{
	const char *v = getenv("PULSE_HOST_TRUST_PLUGIN_DIRS");

	return v && strcmp(v, "1") == 0;
}

/* Owned by us or root and not writable by group or others. */
static int check_one(const char *what, const char *path, char *why,
		     size_t whylen)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		snprintf(why, whylen, "cannot stat %s %s: %s", what, path,
			 strerror(errno));
		return -1;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(why, whylen, "%s %s is owned by uid %ld, not by this "
			 "user or root; fix the owner, or trust the plugin "
			 "directories (trust_plugin_dirs = 1)", what, path,
			 (long)st.st_uid);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, whylen, "%s %s is writable by group or others "
			 "(mode %04o), so anyone could replace the code the "
			 "daemon runs; run `chmod go-w %s`, or trust the plugin "
			 "directories (trust_plugin_dirs = 1)", what, path,
			 (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	return 0;
}

int plugin_trust_check(const char *path, char *why, size_t whylen)
{
	const char *slash;
	char dir[4096];

	if (trusted || env_trusted())
		return 0;
	slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (check_one("plugin directory", dir, why, whylen) < 0)
		return -1;
	return check_one("plugin file", path, why, whylen);
}

/* conf: read and validate pulse-host.conf (libconfig). */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/conf.h"
#include "server/auth_passwd.h"
#include "base/log.h"

const char *const conf_roles[] = {
	"server", "orchestrator", "extract", "transform", "load", "vectorize",
	NULL,
};

enum ckind { C_STR, C_INT, C_LIST, C_GROUP };

/* Every key the file may hold; anything else is a typo we report. */
static const struct {
	const char *path;
	enum ckind kind;
} conf_keys[] = {
	{"database_url", C_STR},   {"broker_url", C_STR},
	{"plugin_dirs", C_LIST},   {"listen", C_STR},
	{"key_file", C_STR},       {"log_level", C_STR},
	{"jwt_key_file", C_STR},
	{"worker_roles", C_LIST},  {"http", C_GROUP},
	{"http.ca_file", C_STR},   {"http.user_agent", C_STR},
	{"http.timeout_seconds", C_INT}, {"http.max_retries", C_INT},
	{"http.allow_hosts", C_LIST},
	{"jobs", C_GROUP},         {"jobs.max_attempts", C_INT},
	{"jobs.stale_seconds", C_INT},
	{"jobs.max_running", C_INT}, {"jobs.heartbeat_timeout_seconds", C_INT},
	{"jobs.stop_grace_seconds", C_INT}, {"jobs.rlimit_as_mb", C_INT},
	{"jobs.rlimit_cpu_s", C_INT},
	{"jwt_max_lifetime_seconds", C_INT}, {"trust_plugin_dirs", C_INT},
	{"database", C_GROUP},
	{"database.statement_timeout_ms", C_INT},
	{"database.lock_timeout_ms", C_INT},
	{"housekeeping", C_GROUP},
	{"housekeeping.interval_seconds", C_INT},
	{"housekeeping.completed_days", C_INT},
	{"housekeeping.failed_days", C_INT},
	{"housekeeping.history_days", C_INT},
	{"housekeeping.months_ahead", C_INT},
	{"housekeeping.batch_rows", C_INT},
	{"housekeeping.usage_days", C_INT},
	{"housekeeping.analyze_min_rows", C_INT},
	{"analytics_database_url", C_STR},
	{"ask", C_GROUP},          {"ask.timeout_ms", C_INT},
	{"ask.max_rows", C_INT},   {"ask.max_bytes", C_INT},
	{"ask.max_cost", C_INT},
	{"auth", C_GROUP},
	{"auth.session_idle_seconds", C_INT},
	{"auth.session_absolute_seconds", C_INT},
	{"auth.lockout_attempts", C_INT},
	{"auth.lockout_seconds", C_INT},
	{"auth.lockout_window_seconds", C_INT},
	{"auth.address_attempts", C_INT},
	{"auth.min_password_length", C_INT},
	{"auth.argon2_iterations", C_INT},
	{"auth.argon2_memory_kib", C_INT},
	{"auth.cookie_secure", C_INT},
	{"auth.viewer_recheck_seconds", C_INT},
	{"housekeeping.audit_days", C_INT},
	{"metrics", C_GROUP},      {"metrics.token_file", C_STR},
	{NULL, C_STR},
};

/* The range of every integer key, checked as int64 so a huge value is
 * refused, never wrapped into an int. */
static const struct {
	const char *path;
	long long min, max;
} conf_ranges[] = {
	{"http.timeout_seconds", 1, 3600},
	{"http.max_retries", 0, 100},
	{"jobs.max_attempts", 1, 1000},
	{"jobs.stale_seconds", 1, 7 * 86400},
	{"jobs.max_running", 1, 4096},
	{"jobs.heartbeat_timeout_seconds", 1, 86400},
	{"jobs.stop_grace_seconds", 1, 3600},
	/* 0 = unlimited; a job process needs some 100 MB to start at all */
	{"jobs.rlimit_as_mb", 0, 4 * 1024 * 1024},
	{"jobs.rlimit_cpu_s", 0, 31 * 86400},
	{"jwt_max_lifetime_seconds", 60, 366 * 86400},
	{"trust_plugin_dirs", 0, 1},
	{"database.statement_timeout_ms", 100, 3600 * 1000},
	{"database.lock_timeout_ms", 100, 600 * 1000},
	{"housekeeping.interval_seconds", 0, 7 * 86400},
	{"housekeeping.completed_days", 1, 36500},
	{"housekeeping.failed_days", 1, 36500},
	{"housekeeping.history_days", 1, 36500},
	{"housekeeping.months_ahead", 1, 24},
	{"housekeeping.batch_rows", 100, 1000000},
	{"housekeeping.usage_days", 1, 36500},
	{"housekeeping.analyze_min_rows", 1, 2000000000},
	{"ask.timeout_ms", 10, 600000},
	{"ask.max_rows", 1, 100000},
	{"ask.max_bytes", 1024, 256 * 1024 * 1024},
	{"ask.max_cost", 1, 2000000000},
	{"auth.session_idle_seconds", 1, 2592000},
	{"auth.session_absolute_seconds", 1, 31622400},
	{"auth.lockout_attempts", 1, 1000},
	{"auth.lockout_seconds", 1, 86400},
	{"auth.lockout_window_seconds", 1, 86400},
	{"auth.address_attempts", 1, 1000000},
	{"auth.min_password_length", 8, 1024},
	{"auth.argon2_iterations", 1, 100},
	{"auth.argon2_memory_kib", 8192, 4194304},
	{"auth.cookie_secure", 0, 1},
	{"auth.viewer_recheck_seconds", 1, 3600},
	{"housekeeping.audit_days", 1, 36500},
	{NULL, 0, 0},
};

/* The integer literal written for setting `name` on `line` of file, as
 * written: libconfig 1.5 silently truncates a decimal beyond int to 32
 * bits (99999999999 reads as 1215752191). 1 and *v, or 0 if not found. */
static int source_int(const char *file, int line, const char *name,
		      long long *v)
{
	FILE *f = fopen(file, "r");
	char buf[1024], *p;
	size_t n = strlen(name);
	int i, found = 0;

	if (!f)
		return 0;
	for (i = 1; fgets(buf, sizeof(buf), f); i++) {
		if (i != line)
			continue;
		for (p = strstr(buf, name); p; p = strstr(p + 1, name)) {
			char *q = p + n, *end;

			if (p > buf && (isalnum((unsigned char)p[-1]) ||
					p[-1] == '_'))
				continue;
			q += strspn(q, " \t");
			if (*q != '=' && *q != ':')
				continue;
			q++;
			q += strspn(q, " \t");
			errno = 0;
			/* libconfig reads "010" as ten, not as octal: base 10
			 * unless hex (found by tests/fuzz/fuzz-conf: 0000010000
			 * passed the 4096 limit as octal 4096). */
			*v = strtoll(q, &end, (q[0] == '0' && (q[1] == 'x' ||
					q[1] == 'X')) || ((q[0] == '-' || q[0] == '+') &&
					q[1] == '0' && (q[2] == 'x' || q[2] == 'X')) ? 16 : 10);
			if (errno == ERANGE)
				*v = *q == '-' ? LLONG_MIN : LLONG_MAX;
			found = end != q;
			break;
		}
		break;
	}
	fclose(f);
	return found;
}

/* An integer setting outside its declared range: -1 with err. Only a
 * setting with a declared range is looked up in the file again. */
static int check_range(const config_setting_t *s, const char *path,
		       const char *file, char *err, size_t errlen)
{
	long long v, raw;
	int i;

	for (i = 0; conf_ranges[i].path; i++)
		if (strcmp(conf_ranges[i].path, path) == 0)
			break;
	if (!conf_ranges[i].path)
		return 0;
	v = config_setting_get_int64(s);
	if (source_int(file, config_setting_source_line(s),
		       config_setting_name(s), &raw))
		v = raw;
	if (v < conf_ranges[i].min || v > conf_ranges[i].max) {
		snprintf(err, errlen, "%s:%d: '%s' is %lld; it must be "
			 "between %lld and %lld", file,
			 config_setting_source_line(s), path, v,
			 conf_ranges[i].min, conf_ranges[i].max);
		return -1;
	}
	return 0;
}

const char *conf_default_path(void)
{
	return SYSCONFDIR "/pulse-host/pulse-host.conf";
}

static char **list_dup(const char *const *src)
{
	size_t n = 0, i;
	char **v;

	while (src && src[n])
		n++;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (i = 0; i < n; i++)
		v[i] = strdup(src[i]);
	return v;
}

static void list_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
}

static int conf_defaults(struct conf *c)
{
	static const char *const dirs[] = {PKGLIBDIR "/plugins", NULL};
	static const char *const roles[] = {
		"server", "orchestrator", "extract", "transform", "load",
		"vectorize", NULL,
	};

	memset(c, 0, sizeof(*c));
	c->database_url = strdup("postgresql:///pulse_host");
	c->broker_url = strdup("");
	c->plugin_dirs = list_dup(dirs);
	c->listen = strdup("127.0.0.1:8470");
	c->key_file = strdup(LOCALSTATEDIR "/lib/pulse-host/secret.key");
	c->jwt_key_file = strdup(LOCALSTATEDIR "/lib/pulse-host/jwt.key");
	c->log_level = strdup("info");
	c->worker_roles = list_dup(roles);
	c->http_ca_file = strdup("");
	c->http_user_agent = strdup("pulse-host/" PACKAGE_VERSION);
	c->http_timeout_s = 60;
	c->http_max_retries = 5;
	c->http_allow_hosts = list_dup(NULL);
	c->jobs_max_attempts = 5;
	c->jobs_stale_s = 300;
	c->hk_interval_s = 3600;
	c->hk_completed_days = 30;
	c->hk_failed_days = 90;
	c->hk_history_days = 90;
	c->hk_months_ahead = 3;
	c->hk_batch_rows = 10000;
	c->hk_usage_days = 365;
	c->hk_analyze_min_rows = 10000;
	c->jobs_max_running = 4;
	c->db_statement_timeout_ms = CONF_DEFAULT_STATEMENT_TIMEOUT_MS;
	c->db_lock_timeout_ms = CONF_DEFAULT_LOCK_TIMEOUT_MS;
	c->jobs_heartbeat_timeout_s = 60;
	c->jobs_stop_grace_s = 10;
	c->jobs_rlimit_as_mb = 0;
	c->jobs_rlimit_cpu_s = 0;
	c->jwt_max_lifetime_s = 30 * 86400;
	c->trust_plugin_dirs = 0;
	c->ask_timeout_ms = 5000;
	c->ask_max_rows = 1000;
	c->ask_max_bytes = 1024 * 1024;
	c->ask_max_cost = 1000000;
	c->auth_session_idle_s = 1800;
	c->auth_session_abs_s = 43200;
	c->auth_lockout_attempts = 5;
	c->auth_lockout_s = 300;
	c->auth_lockout_window_s = 900;
	c->auth_address_attempts = 50;
	c->auth_min_password_length = 12;
	c->auth_argon2_t = PASSWD_DEFAULT_T;
	c->auth_argon2_m_kib = PASSWD_DEFAULT_M_KIB;
	c->auth_cookie_secure = 0;
	c->auth_viewer_recheck_s = 10;
	c->hk_audit_days = 365;
	return c->database_url && c->plugin_dirs && c->worker_roles &&
		c->http_allow_hosts ? 0 : -1;
}

static const char *kind_name(enum ckind k)
{
	switch (k) {
	case C_STR: return "a string";
	case C_INT: return "an integer";
	case C_LIST: return "a list of strings, e.g. [\"a\", \"b\"]";
	case C_GROUP: return "a group { ... }";
	}
	return "?";
}

static int kind_matches(const config_setting_t *s, enum ckind k)
{
	int t = config_setting_type(s);

	switch (k) {
	case C_STR: return t == CONFIG_TYPE_STRING;
	case C_INT: return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
	case C_LIST: return t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST;
	case C_GROUP: return t == CONFIG_TYPE_GROUP;
	}
	return 0;
}

/* Check every setting under `group` against conf_keys. */
static int check_group(const config_setting_t *group, const char *prefix,
		       const char *file, char *err, size_t errlen)
{
	int i, n = config_setting_length(group);

	for (i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		char path[128];
		int k, found = -1;

		snprintf(path, sizeof(path), "%s%s", prefix,
			 config_setting_name(s));
		for (k = 0; conf_keys[k].path; k++)
			if (strcmp(conf_keys[k].path, path) == 0)
				found = k;
		if (found < 0) {
			snprintf(err, errlen,
				 "%s:%d: unknown setting '%s'; see the "
				 "commented default file for valid keys",
				 file, config_setting_source_line(s), path);
			return -1;
		}
		if (!kind_matches(s, conf_keys[found].kind)) {
			snprintf(err, errlen, "%s:%d: '%s' must be %s", file,
				 config_setting_source_line(s), path,
				 kind_name(conf_keys[found].kind));
			return -1;
		}
		if (conf_keys[found].kind == C_INT &&
		    check_range(s, path, file, err, errlen) < 0)
			return -1;
		if (conf_keys[found].kind == C_LIST) {
			int j, m = config_setting_length(s);

			for (j = 0; j < m; j++) {
				config_setting_t *e =
					config_setting_get_elem(s, (unsigned)j);
				if (config_setting_type(e) != CONFIG_TYPE_STRING) {
					snprintf(err, errlen,
						 "%s:%d: '%s' element %d must be a string",
						 file, config_setting_source_line(s),
						 path, j + 1);
					return -1;
				}
			}
		}
		if (conf_keys[found].kind == C_GROUP) {
			char sub[130];

			snprintf(sub, sizeof(sub), "%s.", path);
			if (check_group(s, sub, file, err, errlen) < 0)
				return -1;
		}
	}
	return 0;
}

static char **read_list(const config_setting_t *s)
{
	int i, n = config_setting_length(s);
	char **v = calloc((size_t)n + 1, sizeof(*v));

	for (i = 0; v && i < n; i++)
		v[i] = strdup(config_setting_get_string_elem(s, i));
	return v;
}

static int check_values(struct conf *c, const config_t *cfg, const char *file,
			char *err, size_t errlen)
{
	size_t i;
	int j, ok;

	if (log_parse_level(c->log_level) < 0) {
		config_setting_t *s = config_lookup(cfg, "log_level");

		snprintf(err, errlen,
			 "%s:%d: log_level '%s' is not one of error, warn, info, debug",
			 file, s ? config_setting_source_line(s) : 0, c->log_level);
		return -1;
	}
	for (i = 0; c->worker_roles[i]; i++) {
		ok = 0;
		for (j = 0; conf_roles[j]; j++)
			if (strcmp(conf_roles[j], c->worker_roles[i]) == 0)
				ok = 1;
		if (!ok) {
			config_setting_t *s = config_lookup(cfg, "worker_roles");

			snprintf(err, errlen,
				 "%s:%d: worker_roles has unknown role '%s'; valid "
				 "roles: server, orchestrator, extract, transform, "
				 "load, vectorize",
				 file, s ? config_setting_source_line(s) : 0,
				 c->worker_roles[i]);
			return -1;
		}
	}
	/* Integer ranges are checked with the key types (check_group). */
	if (c->db_lock_timeout_ms > c->db_statement_timeout_ms) {
		config_setting_t *s = config_lookup(cfg, "database.lock_timeout_ms");

		/* A lock wait is part of a statement: a longer lock timeout
		 * would never fire. Name the key the file sets. */
		if (!s)
			s = config_lookup(cfg, "database.statement_timeout_ms");
		snprintf(err, errlen, "%s:%d: database.%s: lock_timeout_ms (%d) "
			 "must not exceed statement_timeout_ms (%d)", file,
			 s ? config_setting_source_line(s) : 0,
			 s && strcmp(config_setting_name(s), "lock_timeout_ms") == 0 ?
			 "lock_timeout_ms" : "statement_timeout_ms",
			 c->db_lock_timeout_ms, c->db_statement_timeout_ms);
		return -1;
	}
	{
		char host[128], e[256];
		int port;

		if (conf_parse_listen(c->listen, host, sizeof(host), &port, e,
				      sizeof(e)) < 0) {
			config_setting_t *s = config_lookup(cfg, "listen");

			snprintf(err, errlen, "%s:%d: %s", file,
				 s ? config_setting_source_line(s) : 0, e);
			return -1;
		}
	}
	return 0;
}

/* Nothing but white space? (A file of comments is a deliberate choice
 * of the defaults, like the shipped one; an empty one is an accident.) */
static int file_blank(const char *file)
{
	FILE *f = fopen(file, "r");
	int ch, blank = 1;

	if (!f)
		return 0;
	while (blank && (ch = getc(f)) != EOF)
		blank = isspace(ch) != 0;
	fclose(f);
	return blank;
}

int conf_load(const char *path, struct conf *c, char *err, size_t errlen)
{
	return conf_load_ex(path, CONF_ALLOW_EMPTY, c, err, errlen);
}

int conf_load_ex(const char *path, int flags, struct conf *c, char *err,
		 size_t errlen)
{
	config_t cfg;
	config_setting_t *s;
	const char *file = path ? path : conf_default_path();
	const char *v;
	int iv, rc = -1;

	config_init(&cfg);
	if (conf_defaults(c) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (!path && access(file, F_OK) != 0) {
		rc = 0; /* no installed file: built-in defaults */
		goto env;
	}
	if (access(file, R_OK) != 0) {
		snprintf(err, errlen,
			 "%s: cannot read configuration file (%s); pass an "
			 "existing file with --config",
			 file, strerror(errno));
		goto out;
	}
	if (config_read_file(&cfg, file) != CONFIG_TRUE) {
		snprintf(err, errlen, "%s:%d: %s",
			 config_error_file(&cfg) ? config_error_file(&cfg) : file,
			 config_error_line(&cfg), config_error_text(&cfg));
		goto out;
	}
	c->path = strdup(file);
	if (!(flags & CONF_ALLOW_EMPTY) && file_blank(file)) {
		snprintf(err, errlen, "%s: the file is empty (truncated while "
			 "being written?); refusing it rather than running on "
			 "built-in defaults", file);
		goto out;
	}
	if (check_group(config_root_setting(&cfg), "", file, err, errlen) < 0)
		goto out;
	if (config_lookup_string(&cfg, "database_url", &v))
		set_str(&c->database_url, v);
	if (config_lookup_string(&cfg, "broker_url", &v))
		set_str(&c->broker_url, v);
	if (config_lookup_string(&cfg, "listen", &v))
		set_str(&c->listen, v);
	if (config_lookup_string(&cfg, "key_file", &v))
		set_str(&c->key_file, v);
	if (config_lookup_string(&cfg, "log_level", &v))
		set_str(&c->log_level, v);
	if (config_lookup_string(&cfg, "jwt_key_file", &v))
		set_str(&c->jwt_key_file, v);
	if (config_lookup_string(&cfg, "metrics.token_file", &v))
		set_str(&c->metrics_token_file, v);
	if (config_lookup_string(&cfg, "http.ca_file", &v))
		set_str(&c->http_ca_file, v);
	if (config_lookup_string(&cfg, "http.user_agent", &v))
		set_str(&c->http_user_agent, v);
	if (config_lookup_int(&cfg, "http.timeout_seconds", &iv))
		c->http_timeout_s = iv;
	if (config_lookup_int(&cfg, "http.max_retries", &iv))
		c->http_max_retries = iv;
	if (config_lookup_int(&cfg, "jobs.max_attempts", &iv))
		c->jobs_max_attempts = iv;
	if (config_lookup_int(&cfg, "jobs.stale_seconds", &iv))
		c->jobs_stale_s = iv;
	if (config_lookup_int(&cfg, "jobs.max_running", &iv))
		c->jobs_max_running = iv;
	if (config_lookup_int(&cfg, "jobs.heartbeat_timeout_seconds", &iv))
		c->jobs_heartbeat_timeout_s = iv;
	if (config_lookup_int(&cfg, "jobs.stop_grace_seconds", &iv))
		c->jobs_stop_grace_s = iv;
	if (config_lookup_int(&cfg, "jobs.rlimit_as_mb", &iv))
		c->jobs_rlimit_as_mb = iv;
	if (config_lookup_int(&cfg, "jobs.rlimit_cpu_s", &iv))
		c->jobs_rlimit_cpu_s = iv;
	if (config_lookup_int(&cfg, "jwt_max_lifetime_seconds", &iv))
		c->jwt_max_lifetime_s = iv;
	if (config_lookup_int(&cfg, "trust_plugin_dirs", &iv))
		c->trust_plugin_dirs = iv;
	if (config_lookup_int(&cfg, "database.statement_timeout_ms", &iv))
		c->db_statement_timeout_ms = iv;
	if (config_lookup_int(&cfg, "database.lock_timeout_ms", &iv))
		c->db_lock_timeout_ms = iv;
	if (config_lookup_int(&cfg, "housekeeping.interval_seconds", &iv))
		c->hk_interval_s = iv;
	if (config_lookup_int(&cfg, "housekeeping.completed_days", &iv))
		c->hk_completed_days = iv;
	if (config_lookup_int(&cfg, "housekeeping.failed_days", &iv))
		c->hk_failed_days = iv;
	if (config_lookup_int(&cfg, "housekeeping.history_days", &iv))
		c->hk_history_days = iv;
	if (config_lookup_int(&cfg, "housekeeping.months_ahead", &iv))
		c->hk_months_ahead = iv;
	if (config_lookup_int(&cfg, "housekeeping.batch_rows", &iv))
		c->hk_batch_rows = iv;
	if (config_lookup_int(&cfg, "housekeeping.usage_days", &iv))
		c->hk_usage_days = iv;
	if (config_lookup_int(&cfg, "housekeeping.analyze_min_rows", &iv))
		c->hk_analyze_min_rows = iv;
	if (config_lookup_string(&cfg, "analytics_database_url", &v))
		set_str(&c->analytics_database_url, v);
	if (config_lookup_int(&cfg, "ask.timeout_ms", &iv))
		c->ask_timeout_ms = iv;
	if (config_lookup_int(&cfg, "ask.max_rows", &iv))
		c->ask_max_rows = iv;
	if (config_lookup_int(&cfg, "ask.max_bytes", &iv))
		c->ask_max_bytes = iv;
	if (config_lookup_int(&cfg, "ask.max_cost", &iv))
		c->ask_max_cost = iv;
	if (config_lookup_int(&cfg, "auth.session_idle_seconds", &iv))
		c->auth_session_idle_s = iv;
	if (config_lookup_int(&cfg, "auth.session_absolute_seconds", &iv))
		c->auth_session_abs_s = iv;
	if (config_lookup_int(&cfg, "auth.lockout_attempts", &iv))
		c->auth_lockout_attempts = iv;
	if (config_lookup_int(&cfg, "auth.lockout_seconds", &iv))
		c->auth_lockout_s = iv;
	if (config_lookup_int(&cfg, "auth.lockout_window_seconds", &iv))
		c->auth_lockout_window_s = iv;
	if (config_lookup_int(&cfg, "auth.address_attempts", &iv))
		c->auth_address_attempts = iv;
	if (config_lookup_int(&cfg, "auth.min_password_length", &iv))
		c->auth_min_password_length = iv;
	if (config_lookup_int(&cfg, "auth.argon2_iterations", &iv))
		c->auth_argon2_t = iv;
	if (config_lookup_int(&cfg, "auth.argon2_memory_kib", &iv))
		c->auth_argon2_m_kib = iv;
	if (config_lookup_int(&cfg, "auth.cookie_secure", &iv))
		c->auth_cookie_secure = iv;
	if (config_lookup_int(&cfg, "auth.viewer_recheck_seconds", &iv))
		c->auth_viewer_recheck_s = iv;
	if (config_lookup_int(&cfg, "housekeeping.audit_days", &iv))
		c->hk_audit_days = iv;
	if ((s = config_lookup(&cfg, "plugin_dirs")) != NULL) {
		list_free(c->plugin_dirs);
		c->plugin_dirs = read_list(s);
	}
	if ((s = config_lookup(&cfg, "worker_roles")) != NULL) {
		list_free(c->worker_roles);
		c->worker_roles = read_list(s);
	}
	if ((s = config_lookup(&cfg, "http.allow_hosts")) != NULL) {
		list_free(c->http_allow_hosts);
		c->http_allow_hosts = read_list(s);
	}
	if (check_values(c, &cfg, file, err, errlen) < 0)
		goto out;
	rc = 0;
env:
	/* Pinned names: deployment tooling sets these. */
	if ((v = getenv("PULSE_HOST_DATABASE_URL")) != NULL && *v)
		set_str(&c->database_url, v);
	if ((v = getenv("PULSE_HOST_BROKER_URL")) != NULL)
		set_str(&c->broker_url, v);
out:
	config_destroy(&cfg);
	return rc;
}

int conf_add_plugin_dir(struct conf *c, const char *dir)
{
	size_t n = 0;
	char **v;

	while (c->plugin_dirs && c->plugin_dirs[n])
		n++;
	v = realloc(c->plugin_dirs, (n + 2) * sizeof(*v));
	if (!v)
		return -1;
	v[n] = strdup(dir);
	v[n + 1] = NULL;
	c->plugin_dirs = v;
	return v[n] ? 0 : -1;
}

int conf_has_role(const struct conf *c, const char *role)
{
	size_t i;

	for (i = 0; c->worker_roles && c->worker_roles[i]; i++)
		if (strcmp(c->worker_roles[i], role) == 0)
			return 1;
	return 0;
}

static void print_list(const char *name, char *const *v)
{
	size_t i;

	printf("%s = [", name);
	for (i = 0; v && v[i]; i++)
		printf("%s\"%s\"", i ? ", " : "", v[i]);
	printf("];\n");
}

static void print_url(const char *name, const char *url)
{
	char masked[2048];

	conf_mask_url(url, masked, sizeof(masked));
	printf("%s = \"%s\";", name, masked);
}

void conf_print(const struct conf *c)
{
	printf("# effective configuration (file: %s)\n",
	       c->path ? c->path : "none, built-in defaults");
	print_url("database_url", c->database_url);
	printf("\n");
	if (c->analytics_database_url) {
		print_url("analytics_database_url", c->analytics_database_url);
		printf("\n");
	}
	print_url("broker_url", c->broker_url);
	printf("%s\n", c->broker_url[0] ? "" : "  # in-process queue");
	print_list("plugin_dirs", c->plugin_dirs);
	printf("listen = \"%s\";\n", c->listen);
	printf("key_file = \"%s\";\n", c->key_file);
	printf("jwt_key_file = \"%s\";\n", c->jwt_key_file);
	printf("log_level = \"%s\";\n", c->log_level);
	print_list("worker_roles", c->worker_roles);
	printf("http = { ca_file = \"%s\"; user_agent = \"%s\"; "
	       "timeout_seconds = %d; max_retries = %d; };\n",
	       c->http_ca_file, c->http_user_agent, c->http_timeout_s,
	       c->http_max_retries);
	print_list("http.allow_hosts", c->http_allow_hosts);
	printf("jwt_max_lifetime_seconds = %d;\n", c->jwt_max_lifetime_s);
	printf("trust_plugin_dirs = %d;\n", c->trust_plugin_dirs);
	printf("database = { statement_timeout_ms = %d; lock_timeout_ms = %d; };\n",
	       c->db_statement_timeout_ms, c->db_lock_timeout_ms);
	printf("jobs = { max_attempts = %d; stale_seconds = %d; "
	       "max_running = %d; heartbeat_timeout_seconds = %d;\n"
	       "         stop_grace_seconds = %d; rlimit_as_mb = %d; "
	       "rlimit_cpu_s = %d; };\n",
	       c->jobs_max_attempts, c->jobs_stale_s, c->jobs_max_running,
	       c->jobs_heartbeat_timeout_s, c->jobs_stop_grace_s,
	       c->jobs_rlimit_as_mb, c->jobs_rlimit_cpu_s);
	printf("housekeeping = { interval_seconds = %d; completed_days = %d; "
	       "failed_days = %d; history_days = %d; months_ahead = %d; "
	       "batch_rows = %d;\n                 usage_days = %d; "
	       "analyze_min_rows = %d; };\n", c->hk_interval_s,
	       c->hk_completed_days, c->hk_failed_days, c->hk_history_days,
	       c->hk_months_ahead, c->hk_batch_rows, c->hk_usage_days,
	       c->hk_analyze_min_rows);
}

void conf_free(struct conf *c)
{
	free(c->path);
	free(c->database_url);
	free(c->analytics_database_url);
	free(c->broker_url);
	list_free(c->plugin_dirs);
	free(c->listen);
	free(c->key_file);
	free(c->jwt_key_file);
	free(c->log_level);
	list_free(c->worker_roles);
	free(c->http_ca_file);
	free(c->http_user_agent);
	list_free(c->http_allow_hosts);
	free(c->metrics_token_file);
	memset(c, 0, sizeof(*c));
}

int conf_parse_listen(const char *listen, char *host, size_t hostlen,
		      int *port, char *err, size_t errlen)
{
	const char *colon = listen ? strrchr(listen, ':') : NULL;
	const char *p;
	struct in_addr a;
	long v = 0;

	if (!colon || colon == listen) {
		snprintf(err, errlen, "listen '%s' must be HOST:PORT, e.g. "
			 "127.0.0.1:8470 (HOST an IPv4 address, 'localhost' or "
			 "'*')", listen ? listen : "");
		return -1;
	}
	if ((size_t)(colon - listen) >= hostlen) {
		snprintf(err, errlen, "listen '%s': the host part is too long",
			 listen);
		return -1;
	}
	/* A port is 1-5 digits: a service name or a sign is refused. */
	for (p = colon + 1; *p >= '0' && *p <= '9' && p - colon <= 6; p++)
		v = v * 10 + (*p - '0');
	if (p == colon + 1 || *p || v < 1 || v > 65535) {
		snprintf(err, errlen, "listen '%s': the port must be a number "
			 "from 1 to 65535", listen);
		return -1;
	}
	snprintf(host, hostlen, "%.*s", (int)(colon - listen), listen);
	if (strcmp(host, "*") != 0 && strcmp(host, "localhost") != 0 &&
	    inet_pton(AF_INET, host, &a) != 1) {
		snprintf(err, errlen, "listen '%s': the host must be an IPv4 "
			 "address, 'localhost' or '*' (all interfaces)", listen);
		return -1;
	}
	*port = (int)v;
	return 0;
}

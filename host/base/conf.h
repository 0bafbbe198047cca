/* conf: the daemon's libconfig file, with environment overrides. */
#ifndef PULSE_CONF_H
#define PULSE_CONF_H

#include <stddef.h>

struct conf {
	char *path;          /* the file read, or NULL for built-in defaults */
	char *database_url;
	char *broker_url;    /* "" = run queue stages in-process */
	char **plugin_dirs;  /* NULL-terminated */
	char *listen;        /* host:port of the HTTP/WebSocket server */
	char *key_file;      /* AES key for credentials at rest */
	char *jwt_key_file;  /* HS256 key of API tokens (created 0600) */
	char *log_level;
	char **worker_roles; /* NULL-terminated */
	char *http_ca_file;  /* "" = system store */
	char *http_user_agent;
	int http_timeout_s;
	int http_max_retries;
	/* Hosts that may be reached over plain http and on internal
	 * addresses (loopback, private, link-local); NULL-terminated. */
	char **http_allow_hosts;
	int jobs_max_attempts;
	int jobs_stale_s;    /* raw rows stuck this long are swept again */
	int jobs_max_running; /* jobs one daemon runs at once */
	int jobs_heartbeat_timeout_s; /* RUNNING without heartbeat: stuck */
	int jwt_max_lifetime_s; /* API tokens live at most this long */
	int trust_plugin_dirs; /* 1: skip the plugin file ownership check */
};

/* The default path: $(sysconfdir)/pulse-host/pulse-host.conf. */
const char *conf_default_path(void);

/*
 * Load `path` (or the default path when NULL; a missing default file
 * means built-in defaults, a missing explicit file is an error), then
 * apply PULSE_HOST_DATABASE_URL / PULSE_HOST_BROKER_URL. On error returns
 * -1 with "FILE:LINE: what is wrong" in err. `out` is owned by the caller;
 * release it with conf_free even after an error.
 */
int conf_load(const char *path, struct conf *out, char *err, size_t errlen);
/* conf_load with flags: without CONF_ALLOW_EMPTY a file of nothing but
 * white space is refused (a SIGHUP reload of a truncated file); comments
 * alone are fine. */
#define CONF_ALLOW_EMPTY 1
int conf_load_ex(const char *path, int flags, struct conf *out, char *err,
		 size_t errlen);

/* Split and check a listen address "HOST:PORT": HOST an IPv4 address,
 * "localhost" or "*", PORT 1-65535 in digits. 0 with host and *port set,
 * or -1 with err saying what is wrong. */
int conf_parse_listen(const char *listen, char *host, size_t hostlen,
		      int *port, char *err, size_t errlen);
void conf_free(struct conf *c);

/* Append dir to c->plugin_dirs (copied). */
int conf_add_plugin_dir(struct conf *c, const char *dir);

/* A database or broker URL for printing: every password form masked as
 * "***" (user:PASSWORD@ in a URL, ?password= and ?sslpassword= query
 * parameters, password= / sslpassword= in libpq key=value strings,
 * quoted or not). Truncated to outlen. */
void conf_mask_url(const char *url, char *out, size_t outlen);

/* Print the effective configuration (passwords masked). */
void conf_print(const struct conf *c);

/* Valid worker role names, NULL-terminated. */
extern const char *const conf_roles[];
int conf_has_role(const struct conf *c, const char *role);

#endif

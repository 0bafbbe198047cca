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
	int jobs_stop_grace_s; /* stop/pause: SIGTERM, this long, SIGKILL */
	int jobs_rlimit_as_mb; /* job process address space; 0 = unlimited */
	int jobs_rlimit_cpu_s; /* job process CPU seconds; 0 = unlimited */
	int jwt_max_lifetime_s; /* API tokens live at most this long */
	int trust_plugin_dirs; /* 1: skip the plugin file ownership check */
	int db_statement_timeout_ms; /* database.statement_timeout_ms */
	int db_lock_timeout_ms;      /* database.lock_timeout_ms */
	/* housekeeping (host/housekeeping/): 0 interval = the daemon never
	 * runs it; the days are the global retention windows. */
	int hk_interval_s;
	int hk_completed_days, hk_failed_days, hk_history_days;
	int hk_months_ahead;  /* raw partitions kept ready ahead of now */
	int hk_batch_rows;    /* rows per DELETE batch */
	int hk_usage_days;    /* ai_usage retention */
	int hk_analyze_min_rows; /* ANALYZE a table changed by this many */
	/* Read replica for DORA, search and `ask`; NULL: the primary. */
	char *analytics_database_url;
	/* `ask` (docs/ask.md): limits on one generated query. */
	int ask_timeout_ms;  /* statement_timeout */
	int ask_max_rows;    /* LIMIT wrapped around the query */
	int ask_max_bytes;   /* result size */
	long long ask_max_cost; /* EXPLAIN total cost refused above */
	/* sign-in and sessions (docs/auth.md) */
	int auth_session_idle_s, auth_session_abs_s;
	int auth_lockout_attempts, auth_lockout_s; /* per account */
	int auth_lockout_window_s;  /* failures counted within this */
	int auth_address_attempts;  /* per source address, same window */
	int auth_min_password_length;
	int auth_argon2_t, auth_argon2_m_kib;
	int auth_cookie_secure;     /* Secure cookies also without TLS here */
	int auth_viewer_recheck_s;  /* live viewers' sessions checked again */
	int hk_audit_days;          /* audit_events retention */
	/* GET /metrics: "" = loopback peers only; else a file whose first
	 * line is the bearer token scrapes must send (docs/operations.md). */
	char *metrics_token_file;
};

/* Defaults of database.statement_timeout_ms and lock_timeout_ms. */
#define CONF_DEFAULT_STATEMENT_TIMEOUT_MS 30000
#define CONF_DEFAULT_LOCK_TIMEOUT_MS 5000

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

/* log: structured logging with credential redaction. */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "base/log.h"

static int log_level = LOG_INFO;
static char log_process[32];
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

/* A fork while another thread writes a line would leave the child with
 * log_lock held and hang it at its first line: fork takes the lock. */
static void log_fork_lock(void)
{
	pthread_mutex_lock(&log_lock);
}

static void log_fork_unlock(void)
{
	pthread_mutex_unlock(&log_lock);
}

static void log_atfork(void)
{
	pthread_atfork(log_fork_lock, log_fork_unlock, log_fork_unlock);
}

static const char *const level_names[] = {"", "error", "warn", "info", "debug"};

void log_set_level(int level)
{
	if (level >= LOG_ERROR && level <= LOG_DEBUG)
		log_level = level;
}

int log_get_level(void)
{
	return log_level;
}

int log_parse_level(const char *name)
{
	int i;

	if (!name)
		return -1;
	for (i = LOG_ERROR; i <= LOG_DEBUG; i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return i;
	if (strcasecmp(name, "warning") == 0)
		return LOG_WARN;
	return -1;
}

void log_set_process(const char *name)
{
	snprintf(log_process, sizeof(log_process), "%s", name ? name : "");
}

/* Replace the value that follows `at` (up to a delimiter) with "***". */
static void mask_value(char *at)
{
	char *p = at, *end;

	while (*p == ' ' || *p == '"' || *p == '\'')
		p++;
	/* "Authorization: Bearer xyz": keep the scheme, mask what follows. */
	if (strncasecmp(p, "bearer ", 7) == 0 || strncasecmp(p, "basic ", 6) == 0 ||
	    strncasecmp(p, "token ", 6) == 0)
		p = strchr(p, ' ') + 1;
	if (!*p || strncmp(p, "***", 3) == 0)
		return;
	end = p;
	while (*end && !isspace((unsigned char)*end) && *end != '"' &&
	       *end != '\'' && *end != ',' && *end != '&' && *end != ';')
		end++;
	if (end - p < 3) {
		/* Too short to shrink; overwrite in place. */
		memset(p, '*', (size_t)(end - p));
		return;
	}
	memcpy(p, "***", 3);
	memmove(p + 3, end, strlen(end) + 1);
}

void log_redact(char *buf)
{
	static const char *const keys[] = {
		"authorization:", "authorization=", "bearer ", "basic ",
		"token=", "token\":", "password=", "password\":",
		"secret=", "secret\":", "api_key=", "api-key:", "apikey=",
		"x-api-key:", "api_token=", "api_token\":", NULL,
	};
	int i;

	for (i = 0; keys[i]; i++) {
		size_t klen = strlen(keys[i]);
		char *p = buf;

		while ((p = strcasestr(p, keys[i])) != NULL) {
			p += klen;
			/* "Authorization: Bearer x" was already handled by the
			 * first key; do not mask the word "Bearer" twice. */
			mask_value(p);
		}
	}
}

void log_vmsg(int level, const char *cat, const char *fmt, va_list ap)
{
	char line[8192];
	char ts[40];
	struct timeval tv;
	struct tm tm;

	if (level > log_level)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	vsnprintf(line, sizeof(line), fmt, ap);
	log_redact(line);
	pthread_once(&log_once, log_atfork);
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s.%03ldZ [%s] level=%s %s%s%s%s\n", ts,
		(long)(tv.tv_usec / 1000), cat ? cat : "HOST",
		level_names[level < 1 || level > 4 ? 1 : level],
		log_process[0] ? "proc=" : "", log_process,
		log_process[0] ? " " : "", line);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

void log_msg(int level, const char *cat, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, cat, fmt, ap);
	va_end(ap);
}

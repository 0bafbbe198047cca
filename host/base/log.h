/* log: structured key=value lines with a category prefix, to stderr. */
#ifndef PULSE_LOG_H
#define PULSE_LOG_H

#include <stdarg.h>

#define LOG_ERROR 1
#define LOG_WARN 2
#define LOG_INFO 3
#define LOG_DEBUG 4

void log_set_level(int level);
int log_get_level(void);
/* Returns the level for "error|warn|info|debug", or -1. */
int log_parse_level(const char *name);
/* Prefix every line with the process role, e.g. "worker-3"; NULL clears. */
void log_set_process(const char *name);

/* One line: "<time> [CAT] level=<lvl> <formatted text>". Anything that
 * looks like a credential (Authorization values, token=, password=) is
 * masked before the line is written, as a second line of defence: secrets
 * are never passed here in the first place. */
void log_msg(int level, const char *cat, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vmsg(int level, const char *cat, const char *fmt, va_list ap);

/* Mask credentials inside buf in place (exposed for tests). */
void log_redact(char *buf);

#define log_error(cat, ...) log_msg(LOG_ERROR, cat, __VA_ARGS__)
#define log_warn(cat, ...) log_msg(LOG_WARN, cat, __VA_ARGS__)
#define log_info(cat, ...) log_msg(LOG_INFO, cat, __VA_ARGS__)
#define log_debug(cat, ...) log_msg(LOG_DEBUG, cat, __VA_ARGS__)

#endif

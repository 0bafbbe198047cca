/* kit_fmt: small string building for URLs and request contexts. */
#ifndef PULSE_PLUGINS_KIT_FMT_H
#define PULSE_PLUGINS_KIT_FMT_H

/* malloc'ed printf; NULL when out of memory. The caller frees. */
char *kt_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

/* kit_fmt: small string building (see kit_fmt.h). */
#define _GNU_SOURCE 1 /* vasprintf */

#include <stdarg.h>
#include <stdio.h>

#include "kit_fmt.h"

char *kt_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

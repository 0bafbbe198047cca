/* pgv-check: the soft assertion the pgvectors test programs share
 * (pgv-tool.c, pgv-scroll.c): a failed CHECK prints where and why and
 * counts in `failures`; the program's exit status reports the count. */
#ifndef PULSE_TEST_PGV_CHECK_H
#define PULSE_TEST_PGV_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		failures++; \
	} \
} while (0)

#endif

/* failpoint: named crash points for the chaos suite (tests/chaos,
 * docs/testing.md). The environment variable PULSE_HOST_FAILPOINTS arms
 * them, e.g. "load.before_commit=3:kill,extract.page_stored=5:stop": at
 * the Nth hit of the point the process acts on itself. Unarmed (the
 * default, and always in production), a point is one branch on a flag
 * read once at start. */
#ifndef PULSE_FAILPOINT_H
#define PULSE_FAILPOINT_H

#include <stddef.h>

enum failpoint_action {
	FAILPOINT_KILL = 1, /* SIGKILL: a crash, nothing runs after it */
	FAILPOINT_ABORT,    /* abort(): a crash with a core */
	FAILPOINT_EXIT,     /* _exit(FAILPOINT_EXIT_CODE): no atexit, no flush */
	FAILPOINT_STOP      /* SIGSTOP: frozen at the point until SIGCONT */
};

#define FAILPOINT_EXIT_CODE 86
#define FAILPOINT_ENV "PULSE_HOST_FAILPOINTS"

/* Non-zero once some point is armed (read by FAILPOINT only). */
extern int failpoint_armed;

/* A crash point: does nothing unless armed. NAME is a string literal. */
#define FAILPOINT(name) \
	do { \
		if (__builtin_expect(failpoint_armed, 0)) \
			failpoint_hit(name); \
	} while (0)

/* Count a hit of name and act if its armed count is reached. */
void failpoint_hit(const char *name);

/* Arm the points of spec (the PULSE_HOST_FAILPOINTS syntax), replacing
 * any armed before; NULL or "" disarms all. Returns 0, or -1 with why
 * (nothing armed then). Done from the environment at start; tests call
 * it directly. */
int failpoint_arm(const char *spec, char *why, size_t whylen);

/* How often name was hit since it was armed (0 if not armed). */
unsigned long failpoint_hits(const char *name);

#endif

/* failpoint: named crash points armed from the environment (failpoint.h). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/failpoint.h"

#define FP_MAX 16
#define FP_NAME 64

struct fp {
	char name[FP_NAME];
	unsigned long at;   /* act at this hit (1 = the first) */
	unsigned long hits; /* atomic: workers may have threads */
	enum failpoint_action act;
};

int failpoint_armed;
static struct fp fps[FP_MAX];
static size_t nfps;

static int parse_action(const char *s, size_t n, enum failpoint_action *a)
{
	static const struct {
		const char *name;
		enum failpoint_action act;
	} acts[] = {{"kill", FAILPOINT_KILL}, {"abort", FAILPOINT_ABORT},
		    {"exit", FAILPOINT_EXIT}, {"stop", FAILPOINT_STOP}};
	size_t i;

	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (strlen(acts[i].name) == n && strncmp(s, acts[i].name, n) == 0) {
			*a = acts[i].act;
			return 0;
		}
	return -1;
}

/* One "name=N:action" of length len into f; -1 with why if malformed. */
static int parse_one(const char *s, size_t len, struct fp *f, char *why,
		     size_t whylen)
{
	const char *eq = memchr(s, '=', len), *colon, *end = s + len;
	char num[24], *stop;
	size_t nl;

	memset(f, 0, sizeof(*f));
	colon = eq ? memchr(eq, ':', (size_t)(end - eq)) : NULL;
	if (!eq || !colon || eq == s) {
		snprintf(why, whylen, "'%.*s' is not NAME=N:ACTION", (int)len, s);
		return -1;
	}
	if ((size_t)(eq - s) >= sizeof(f->name)) {
		snprintf(why, whylen, "point name '%.*s' is too long", (int)(eq - s), s);
		return -1;
	}
	memcpy(f->name, s, (size_t)(eq - s));
	nl = (size_t)(colon - eq - 1);
	if (nl == 0 || nl >= sizeof(num)) {
		snprintf(why, whylen, "'%.*s': the hit count N must be 1 or more",
			 (int)len, s);
		return -1;
	}
	memcpy(num, eq + 1, nl);
	num[nl] = '\0';
	errno = 0;
	f->at = strtoul(num, &stop, 10);
	if (errno || *stop || f->at == 0 || num[0] == '-') {
		snprintf(why, whylen, "'%.*s': the hit count N must be 1 or more",
			 (int)len, s);
		return -1;
	}
	if (parse_action(colon + 1, (size_t)(end - colon - 1), &f->act) < 0) {
		snprintf(why, whylen, "'%.*s': the action must be kill, abort, "
			 "exit or stop", (int)len, s);
		return -1;
	}
	return 0;
}

int failpoint_arm(const char *spec, char *why, size_t whylen)
{
	struct fp next[FP_MAX];
	size_t n = 0, len;
	const char *s = spec, *comma;

	failpoint_armed = 0;
	nfps = 0;
	if (!spec)
		return 0;
	while (*s) {
		comma = strchr(s, ',');
		len = comma ? (size_t)(comma - s) : strlen(s);
		if (len > 0) {
			if (n == FP_MAX) {
				snprintf(why, whylen, "more than %d points armed", FP_MAX);
				return -1;
			}
			if (parse_one(s, len, &next[n], why, whylen) < 0)
				return -1;
			n++;
		}
		s += len + (comma ? 1 : 0);
	}
	memcpy(fps, next, n * sizeof(*fps));
	nfps = n;
	failpoint_armed = n > 0;
	return 0;
}

unsigned long failpoint_hits(const char *name)
{
	size_t i;

	for (i = 0; i < nfps; i++)
		if (strcmp(fps[i].name, name) == 0)
			return __atomic_load_n(&fps[i].hits, __ATOMIC_SEQ_CST);
	return 0;
}

/* Say which point fired, with write(2) only: a SIGKILL follows, and
 * stdio buffers would be lost with the process. */
static void announce(const struct fp *f)
{
	char line[160];
	int n = snprintf(line, sizeof(line), "failpoint: %s hit %lu: %s pid=%ld\n",
			 f->name, f->at, f->act == FAILPOINT_KILL ? "kill" :
			 f->act == FAILPOINT_ABORT ? "abort" :
			 f->act == FAILPOINT_EXIT ? "exit" : "stop", (long)getpid());

	if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
		(void)0; /* nowhere else to say it */
}

void failpoint_hit(const char *name)
{
	size_t i;

	for (i = 0; i < nfps; i++) {
		struct fp *f = &fps[i];

		if (strcmp(f->name, name) != 0)
			continue;
		if (__atomic_add_fetch(&f->hits, 1, __ATOMIC_SEQ_CST) != f->at)
			continue;
		announce(f);
		switch (f->act) {
		case FAILPOINT_KILL:
			kill(getpid(), SIGKILL);
			break;
		case FAILPOINT_ABORT:
			abort();
		case FAILPOINT_EXIT:
			_exit(FAILPOINT_EXIT_CODE);
		case FAILPOINT_STOP:
			/* the whole process stops; SIGCONT goes on from here */
			kill(getpid(), SIGSTOP);
			break;
		}
	}
}

/* Armed from the environment before main(), so every process (CLI,
 * daemon, workers, job processes) reads it the same way with no call
 * in main. A bad spec is fatal: a chaos trial must not run unarmed. */
__attribute__((constructor)) static void failpoint_from_env(void)
{
	const char *spec = getenv(FAILPOINT_ENV);
	char why[256];

	if (!spec || !*spec)
		return;
	if (failpoint_arm(spec, why, sizeof(why)) < 0) {
		fprintf(stderr, "pulse-host: %s: %s (docs/testing.md, failpoints)\n",
			FAILPOINT_ENV, why);
		_exit(2);
	}
}

/* bench-ask-guard: SQL guard throughput (parse + walk) over the SQL lines
 * on stdin, beside a bare pg_query_parse of the same lines (the baseline:
 * what the walk adds to parsing). Prints queries/s for both. */
#include "config.h"

#include <pg_query.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ai/sqlguard.h"

#define MAX_LINES 4096

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static char *lines[MAX_LINES];
	char buf[65536];
	int n = 0, i, rounds = argc > 1 ? atoi(argv[1]) : 20, r, refused = 0;
	double t0, t_parse, t_guard;
	struct sqlguard_verdict v;

	while (n < MAX_LINES && fgets(buf, sizeof(buf), stdin)) {
		buf[strcspn(buf, "\n")] = '\0';
		if (*buf && !(lines[n++] = strdup(buf)))
			return 1;
	}
	if (!n || rounds < 1) {
		fprintf(stderr, "usage: bench-ask-guard [ROUNDS] < sql-lines\n");
		return 2;
	}
	t0 = now_s();
	for (r = 0; r < rounds; r++)
		for (i = 0; i < n; i++) {
			PgQueryParseResult p = pg_query_parse(lines[i]);

			pg_query_free_parse_result(p);
		}
	t_parse = now_s() - t0;
	t0 = now_s();
	for (r = 0; r < rounds; r++)
		for (i = 0; i < n; i++)
			refused += sqlguard_check(lines[i], &v) < 0;
	t_guard = now_s() - t0;
	printf("guard: %d statements x %d rounds: %.0f queries/s (parse + walk + "
	       "fingerprint; %d refused per round)\n", n, rounds,
	       n * rounds / t_guard, refused / rounds);
	printf("baseline: bare pg_query_parse of the same: %.0f queries/s\n",
	       n * rounds / t_parse);
	for (i = 0; i < n; i++)
		free(lines[i]);
	return 0;
}

/* bench-passwd: the cost of one Argon2id password hash (host/server/
 * auth_passwd.c) at the default parameters and at a few others, beside a
 * baseline measured in the same run: one SHA-256 of the same password
 * (what an unsalted fast hash would cost an attacker per guess). Prints
 * the median of N runs in ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gcrypt.h>

#include "base/crypto.h"
#include "server/auth_passwd.h"

static double clock_ms(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

/* CPU time of this process: on a shared, loaded host the wall time
 * mostly measures the other processes. */
static double cpu_ms(void)
{
	return clock_ms(CLOCK_PROCESS_CPUTIME_ID);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_hash(const struct passwd_params *pp, int n,
			  double *cpu_median)
{
	double *t = calloc((size_t)n, sizeof(*t)), *c = calloc((size_t)n,
			   sizeof(*c)), m;
	char err[256];
	int i;

	for (i = 0; i < n; i++) {
		double s = now_ms(), sc = cpu_ms();
		char *h = passwd_hash("plum-kettle-orbit-9", pp, err, sizeof(err));

		t[i] = now_ms() - s;
		c[i] = cpu_ms() - sc;
		if (!h) {
			fprintf(stderr, "bench-passwd: %s\n", err);
			exit(1);
		}
		free(h);
	}
	qsort(t, (size_t)n, sizeof(*t), cmp);
	qsort(c, (size_t)n, sizeof(*c), cmp);
	m = t[n / 2];
	*cpu_median = c[n / 2];
	free(t);
	free(c);
	return m;
}

int main(int argc, char **argv)
{
	static const struct passwd_params sets[] = {
		{PASSWD_DEFAULT_T, PASSWD_DEFAULT_M_KIB, 1},
		{1, 32768, 1}, {2, 65536, 1}, {1, 8192, 1},
	};
	int n = argc > 1 ? atoi(argv[1]) : 9, i;
	unsigned char d[32];
	char err[256];
	double s, base;

	if (crypto_init(err, sizeof(err)) < 0 || n < 1) {
		fprintf(stderr, "bench-passwd: %s\n", n < 1 ? "N >= 1" : err);
		return 1;
	}
	s = now_ms();
	for (i = 0; i < 100000; i++)
		gcry_md_hash_buffer(GCRY_MD_SHA256, d, "plum-kettle-orbit-9", 19);
	base = (now_ms() - s) / 100000;
	printf("baseline sha256 (same run): %.6f ms per hash\n", base);
	for (i = 0; i < (int)(sizeof(sets) / sizeof(sets[0])); i++) {
		double cpu, m = median_hash(&sets[i], n, &cpu);

		printf("argon2id t=%lu m=%lu KiB p=%lu%s: median %.1f ms wall, "
		       "%.1f ms CPU, of %d (%.0fx the baseline)\n",
		       sets[i].t_cost, sets[i].m_kib, sets[i].lanes, i == 0 ?
		       " (default)" : "", m, cpu, n, m / base);
	}
	return 0;
}

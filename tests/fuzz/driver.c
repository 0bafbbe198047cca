/*
 * driver: replays a corpus through LLVMFuzzerTestOneInput without
 * libFuzzer, so `make check` (GCC, and the sanitizer build) runs every
 * committed input. Usage: fuzz-TARGET [DIR|FILE]...; with no argument the
 * target's committed corpus (FUZZ_CORPUS, set at build time). An empty
 * or missing corpus is a failure, never a silent pass.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Run one file; 0, or -1 if it cannot be read. */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long n;
	int rc = -1;

	if (!f) {
		fprintf(stderr, "fuzz driver: cannot open %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) < 0)
		goto out;
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		goto out;
	/* An exact-size copy, so ASan sees any read past the input. */
	{
		unsigned char *exact = malloc(n ? (size_t)n : 1);

		if (!exact)
			goto out;
		memcpy(exact, buf, (size_t)n);
		LLVMFuzzerTestOneInput(exact, (size_t)n);
		free(exact);
	}
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "fuzz driver: cannot read %s\n", path);
	free(buf);
	fclose(f);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run every regular file of dir in name order; the number run, or -1. */
static int run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL, path[4096];
	size_t n = 0, i;
	int ran = 0;

	if (!d) {
		fprintf(stderr, "fuzz driver: cannot open corpus %s: %s\n", dir,
			strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		char **v;

		if (e->d_name[0] == '.')
			continue;
		v = realloc(names, (n + 1) * sizeof(*v));
		if (!v)
			break;
		names = v;
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (ran >= 0 && run_file(path) == 0)
			ran++;
		else
			ran = -1;
		free(names[i]);
	}
	free(names);
	return ran;
}

int main(int argc, char **argv)
{
	const char *deflt[] = {FUZZ_CORPUS};
	const char *const *args = argc > 1 ? (const char *const *)argv + 1 : deflt;
	int nargs = argc > 1 ? argc - 1 : 1, i, total = 0;

	for (i = 0; i < nargs; i++) {
		struct stat st;
		int n;

		if (stat(args[i], &st) == 0 && S_ISDIR(st.st_mode))
			n = run_dir(args[i]);
		else
			n = run_file(args[i]) == 0 ? 1 : -1;
		if (n < 0)
			return 99;
		total += n;
	}
	if (total == 0) {
		fprintf(stderr, "fuzz driver: no inputs found; the corpus must not "
			"be empty\n");
		return 99;
	}
	printf("fuzz driver: %d inputs ran without a crash\n", total);
	return 0;
}

/*
 * embed-tool: drives the embed-local internals for the parity tests and
 * the benchmark. Texts come on stdin as JSON strings, one per line (so
 * they may hold newlines and control characters).
 *
 *   embed-tool tokenize VOCAB MAX_TOKENS     one line of ids per text
 *   embed-tool embed DIR MAX_TOKENS BATCH [THREADS]
 *                                            one line of floats per text
 *   embed-tool check DIR                     "ok", or the loader's error
 *   embed-tool bench DIR MAX_TOKENS BATCH SECONDS [THREADS]
 *                                            embeds the texts in batches
 *                                            for about SECONDS; prints
 *                                            figures as key=value
 * THREADS (default 1) is the forward pass's team size.
 *   embed-tool sgemm N SECONDS               GFLOP/s of N x N x N sgemm
 *   embed-tool fma SECONDS THREADS           the cores' measured FP32 peak
 */
#include "embed.h"
#include "fma-peak.h"

#include <cblas.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct texts {
	char **s;
	size_t *len;
	size_t n;
} texts;

static void texts_free(texts *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	free(t->len);
}

/* Reads JSON-string lines from stdin into t (owned by the caller). */
static int texts_read(texts *t)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	int rc = -1;
	memset(t, 0, sizeof *t);
	while ((got = getline(&line, &cap, stdin)) > 0) {
		json_object *o = json_tokener_parse(line);
		if (!o || !json_object_is_type(o, json_type_string)) {
			fprintf(stderr, "embed-tool: line %zu is not a JSON string\n",
				t->n + 1);
			json_object_put(o);
			goto out;
		}
		char **s = realloc(t->s, (t->n + 1) * sizeof *s);
		size_t *l = s ? realloc(t->len, (t->n + 1) * sizeof *l) : NULL;
		if (s)
			t->s = s;
		if (l)
			t->len = l;
		if (!s || !l) {
			json_object_put(o);
			goto out;
		}
		t->len[t->n] = (size_t)json_object_get_string_len(o);
		t->s[t->n] = malloc(t->len[t->n] + 1);
		if (t->s[t->n])
			memcpy(t->s[t->n], json_object_get_string(o), t->len[t->n] + 1);
		json_object_put(o);
		if (!t->s[t->n])
			goto out;
		t->n++;
	}
	rc = 0;
out:
	free(line);
	return rc;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU seconds of the whole process (all threads) or, with thread set,
 * of the calling thread. */
static double cpu_now(int thread)
{
	struct timespec ts;
	if (thread) {
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
		return ts.tv_sec + ts.tv_nsec * 1e-9;
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

static int cmd_tokenize(const char *vocab, int max)
{
	char err[512];
	emb_vocab *v = NULL;
	texts t;
	int rc = 1;
	int32_t *ids = malloc((size_t)max * sizeof *ids);
	if (!ids || texts_read(&t) < 0)
		goto out;
	if (emb_vocab_load(vocab, &v, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		goto out_t;
	}
	for (size_t i = 0; i < t.n; i++) {
		int n = emb_tokenize(v, t.s[i], t.len[i], max, ids, NULL, err, sizeof err);
		if (n < 0) {
			fprintf(stderr, "%s\n", err);
			goto out_t;
		}
		for (int k = 0; k < n; k++)
			printf(k ? " %d" : "%d", ids[k]);
		putchar('\n');
	}
	rc = 0;
out_t:
	texts_free(&t);
out:
	emb_vocab_free(v);
	free(ids);
	return rc;
}

/* The model and vocab of a directory, as the plugin opens them. */
static int open_dir(const char *dir, emb_model **m, emb_vocab **v,
		    char *err, size_t errlen)
{
	char path[PATH_MAX];
	if (emb_model_load(dir, m, err, errlen) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/vocab.txt", dir);
	if (emb_vocab_load(path, v, err, errlen) < 0 ||
	    emb_check_vocab(*m, *v, path, err, errlen) < 0)
		return -1;
	return 0;
}

/* Tokenizes and embeds texts [from, from + n); adds times to *tt, *prof. */
static int run_batch(const emb_model *m, const emb_vocab *v, const texts *t,
		     size_t from, int n, int max, float *out, double *tt,
		     emb_prof *prof, long *tokens)
{
	char err[512];
	int rc = -1;
	int32_t **ids = calloc((size_t)n, sizeof *ids);
	int *len = calloc((size_t)n, sizeof *len);
	double t0 = now();
	if (!ids || !len)
		goto out;
	for (int i = 0; i < n; i++) {
		ids[i] = malloc((size_t)max * sizeof **ids);
		if (!ids[i])
			goto out;
		len[i] = emb_tokenize(v, t->s[from + i], t->len[from + i], max,
				      ids[i], NULL, err, sizeof err);
		if (len[i] < 0)
			goto fail;
		*tokens += len[i];
	}
	*tt += now() - t0;
	if (emb_forward_prof(m, (const int32_t *const *)ids, len, n, out, prof,
			     err, sizeof err) < 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "%s\n", err);
out:
	for (int i = 0; ids && i < n; i++)
		free(ids[i]);
	free(ids);
	free(len);
	return rc;
}

static int cmd_embed(const char *dir, int max, int batch, double seconds,
		     int threads)
{
	char err[512];
	emb_model *m = NULL;
	emb_vocab *v = NULL;
	float *out = NULL;
	texts t = { 0 };
	int rc = 1;
	if (texts_read(&t) < 0)
		goto out;
	if (open_dir(dir, &m, &v, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	emb_model_set_threads(m, threads);
	int h = m->cfg.hidden;
	out = malloc((size_t)batch * h * sizeof *out);
	if (!out)
		goto out;
	emb_prof prof = { 0 };
	double ttok = 0, t0 = now(), c0 = cpu_now(0), elapsed = 0;
	long tokens = 0, done = 0;
	do {
		for (size_t i = 0; i < t.n; i += (size_t)batch) {
			int n = t.n - i < (size_t)batch ? (int)(t.n - i) : batch;
			if (seconds > 0 && done && now() - t0 >= seconds)
				break;	/* timed runs stop between batches */
			if (run_batch(m, v, &t, i, n, max, out, &ttok,
				      seconds > 0 ? &prof : NULL, &tokens) < 0)
				goto out;
			done += n;
			for (int k = 0; seconds <= 0 && k < n; k++) {
				for (int j = 0; j < h; j++)
					printf(j ? " %.9g" : "%.9g", out[(size_t)k * h + j]);
				putchar('\n');
			}
		}
		elapsed = now() - t0;
	} while (seconds > 0 && elapsed < seconds);
	double cpu = cpu_now(0) - c0;
	if (seconds > 0) {
		double flops = 0;
		for (size_t i = 0; i < t.n; i++) {
			int32_t *ids = malloc((size_t)max * sizeof *ids);
			int n = ids ? emb_tokenize(v, t.s[i], t.len[i], max, ids,
						   NULL, err, sizeof err) : -1;
			free(ids);
			flops += emb_forward_flops(&m->cfg, n > 0 ? n : 0);
		}
		flops *= (double)done / (double)t.n;
		/* cpu_s: every thread's CPU time; on a loaded machine
		 * emb_per_cpu_s * threads is what an idle one would give,
		 * as long as no thread spins while it waits (ours sleep) */
		printf("embeddings=%ld seconds=%.3f emb_per_s=%.1f tokens_per_s=%.0f "
		       "gflops=%.2f cpu_s=%.3f emb_per_cpu_s=%.1f gflops_per_cpu_s=%.2f "
		       "tokenize_s=%.3f linear_s=%.3f attention_s=%.3f softmax_s=%.3f "
		       "other_s=%.3f sync_s=%.3f\n", done, elapsed, done / elapsed,
		       tokens / elapsed, flops / elapsed / 1e9, cpu, done / cpu,
		       flops / cpu / 1e9, ttok, prof.linear, prof.attention,
		       prof.softmax, prof.other, prof.sync);
	}
	rc = 0;
out:
	free(out);
	texts_free(&t);
	emb_model_free(m);
	emb_vocab_free(v);
	return rc;
}

static int cmd_check(const char *dir)
{
	char err[1024];
	emb_model *m = NULL;
	emb_vocab *v = NULL;
	int rc = open_dir(dir, &m, &v, err, sizeof err);
	if (rc < 0)
		printf("%s\n", err);
	else
		printf("ok\n");
	emb_model_free(m);
	emb_vocab_free(v);
	return rc < 0 ? 1 : 0;
}

/* The practical peak: a large square sgemm, as fast as OpenBLAS goes;
 * gflops on OpenBLAS's threads (wall time), then gflops_1cpu on one
 * thread per CPU second of it (what one idle core gives). */
static int cmd_sgemm(int n, double seconds)
{
	size_t nn = (size_t)n * (size_t)n;
	float *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b);
	float *c = malloc(nn * sizeof *c);
	int rc = 1, reps = 0;
	if (!a || !b || !c)
		goto out;
	for (size_t i = 0; i < nn; i++) {
		a[i] = (float)(i % 7) * 0.1f;
		b[i] = (float)(i % 5) * 0.1f;
	}
	int threads = openblas_get_num_threads();
	double t0 = now(), el;
	do {
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f,
			    a, n, b, n, 0.0f, c, n);
		reps++;
		el = now() - t0;
	} while (el < seconds);
	double wall = 2.0 * n * n * (double)n * reps / el / 1e9;
	openblas_set_num_threads(1);
	reps = 0;
	t0 = cpu_now(1);
	do {
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f,
			    a, n, b, n, 0.0f, c, n);
		reps++;
		el = cpu_now(1) - t0;
	} while (el < seconds);
	printf("gflops=%.2f gflops_1cpu=%.2f core=%s threads=%d\n", wall,
	       2.0 * n * n * (double)n * reps / el / 1e9, openblas_get_corename(),
	       threads);
	rc = 0;
out:
	free(a);
	free(b);
	free(c);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "tokenize") == 0)
		return cmd_tokenize(argv[2], atoi(argv[3]));
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "embed") == 0)
		return cmd_embed(argv[2], atoi(argv[3]), atoi(argv[4]), 0,
				 argc == 6 ? atoi(argv[5]) : 1);
	if ((argc == 6 || argc == 7) && strcmp(argv[1], "bench") == 0)
		return cmd_embed(argv[2], atoi(argv[3]), atoi(argv[4]), atof(argv[5]),
				 argc == 7 ? atoi(argv[6]) : 1);
	if (argc == 4 && strcmp(argv[1], "sgemm") == 0)
		return cmd_sgemm(atoi(argv[2]), atof(argv[3]));
	if (argc == 3 && strcmp(argv[1], "check") == 0)
		return cmd_check(argv[2]);
	if (argc == 4 && strcmp(argv[1], "fma") == 0) {
		double g;
		if (atoi(argv[3]) < 1 || atoi(argv[3]) > FMA_PEAK_MAX_THREADS) {
			fprintf(stderr, "embed-tool: fma: THREADS is %s; give 1 to %d\n",
				argv[3], FMA_PEAK_MAX_THREADS);
			return 2;
		}
		if (fma_peak(atof(argv[2]), atoi(argv[3]), &g) != 0) {
			fprintf(stderr, "embed-tool: fma: could not start %s threads\n", argv[3]);
			return 1;
		}
		printf("gflops=%.2f threads=%d\n", g, atoi(argv[3]));
		return 0;
	}
	fprintf(stderr, "usage: embed-tool tokenize VOCAB MAX | embed DIR MAX BATCH [THREADS] | "
		"check DIR | bench DIR MAX BATCH SECONDS [THREADS] | sgemm N SECONDS | "
		"fma SECONDS THREADS\n");
	return 2;
}

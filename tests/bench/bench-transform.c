/*
 * bench-transform: time transform + load of an integration's pending raw
 * rows through the real pipeline (the code `job run` and the workers use),
 * and print records/s and peak RSS. Used by tests/bench/pipeline-bench.sh.
 *
 * usage: bench-transform [-c CONF] [-p PLUGIN_DIR] [-b BATCH] INTEGRATION_ID
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/conf.h"
#include "db/db.h"
#include "model/integration.h"
#include "plugin/loader.h"
#include "base/log.h"
#include "pipeline/pipeline.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *conf_path = NULL, *pdir = NULL;
	struct conf conf;
	struct loader ld;
	struct integration in;
	struct pipeline *p = NULL;
	struct pipeline_result *res = NULL;
	const struct pipeline_count *cnt;
	struct rusage ru;
	PGconn *c = NULL;
	PGresult *r = NULL;
	char err[1024], ten[24], integ[24];
	const char *params[2];
	size_t batch = 64, i, n, ncnt, failed = 0;
	uint64_t records = 0;
	double t0, secs;
	int o, rc = 1;

	memset(&conf, 0, sizeof(conf));
	memset(&ld, 0, sizeof(ld));
	memset(&in, 0, sizeof(in));
	while ((o = getopt(argc, argv, "c:p:b:")) != -1) {
		switch (o) {
		case 'c': conf_path = optarg; break;
		case 'p': pdir = optarg; break;
		case 'b': batch = (size_t)strtoul(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || batch == 0)
		goto usage;
	log_set_level(LOG_WARN);
	if (conf_load(conf_path, &conf, err, sizeof(err)) < 0 ||
	    (pdir && conf_add_plugin_dir(&conf, pdir) < 0))
		goto fail;
	loader_scan(&ld, conf.plugin_dirs);
	if (!(c = db_connect(conf.database_url, err, sizeof(err))) ||
	    integration_get(c, strtoll(argv[optind], NULL, 10), &in, err,
			    sizeof(err)) != 0 ||
	    db_tenant_begin(c, in.tenant_id, err, sizeof(err)) < 0)
		goto fail;
	params[0] = db_i64(ten, in.tenant_id);
	params[1] = db_i64(integ, in.id);
	if (!(r = db_query(c, err, sizeof(err), "SELECT id FROM raw_extraction_data"
			   " WHERE tenant_id = $1 AND integration_id = $2"
			   " AND status = 'pending' ORDER BY id", 2, params)))
		goto fail;
	db_commit(c, err, sizeof(err));
	n = (size_t)PQntuples(r);
	if (!(p = pipeline_new(&conf, &ld, err, sizeof(err))) ||
	    !(res = calloc(batch, sizeof(*res))))
		goto fail;
	t0 = now_s();
	for (i = 0; i < n; i += batch) {
		size_t k = n - i < batch ? n - i : batch, j;
		int64_t ids[4096];

		if (k > 4096)
			k = 4096;
		for (j = 0; j < k; j++)
			ids[j] = db_int64(r, (int)(i + j), 0);
		pipeline_process_many(p, in.tenant_id, ids, k, res);
		for (j = 0; j < k; j++)
			failed += res[j].outcome != PIPE_DONE;
	}
	secs = now_s() - t0;
	cnt = pipeline_counts(p, &ncnt);
	for (i = 0; i < ncnt; i++)
		records += cnt[i].records;
	getrusage(RUSAGE_SELF, &ru);
	printf("raw_rows=%zu failed=%zu records=%" PRIu64 " seconds=%.3f "
	       "records_per_s=%.0f peak_rss_kb=%ld batch=%zu\n", n, failed,
	       records, secs, secs > 0 ? (double)records / secs : 0.0,
	       ru.ru_maxrss, batch);
	rc = failed ? 1 : 0;
	goto out;
usage:
	fprintf(stderr, "usage: bench-transform [-c CONF] [-p PLUGIN_DIR] "
		"[-b BATCH] INTEGRATION_ID\n");
	rc = 2;
	goto out;
fail:
	fprintf(stderr, "bench-transform: %s\n", err);
out:
	free(res);
	pipeline_free(p);
	PQclear(r);
	PQfinish(c);
	integration_free(&in);
	loader_free(&ld);
	conf_free(&conf);
	return rc;
}

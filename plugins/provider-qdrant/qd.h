/*
 * qd: the qdrant provider's wire logic (Qdrant REST 1.10+: collections,
 * the tenant payload index, points upsert/delete/query), free of the
 * host API so tests drive it directly. Bodies are malloc'd JSON text the
 * caller frees; NULL means out of memory unless said otherwise.
 */
#ifndef PULSE_QD_H
#define PULSE_QD_H

#include <stddef.h>
#include <stdint.h>

/* The payload field every point carries and every query and delete must
 * filter on (a keyword, so the tenant id travels as text). */
#define QD_TENANT_KEY "tenant_id"

/* A growable text buffer (the plugin cannot use the host's). */
struct qd_buf {
	char *s;
	size_t len, cap;
	int oom;      /* an append failed: the text is incomplete */
};
void qd_add(struct qd_buf *b, const char *s, size_t n);
void qd_adds(struct qd_buf *b, const char *s);
void qd_addf(struct qd_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void qd_buf_free(struct qd_buf *b);

/* PUT /collections/{c}: {"vectors":{"size","distance"},"hnsw_config":
 * {"m":0,"payload_m":16}}. distance is PULSE_DISTANCE_*; NULL for an
 * unknown one. */
char *qd_collection_body(uint32_t dim, uint32_t distance);
/* Qdrant's name of PULSE_DISTANCE_* ("Cosine", ...), or NULL. */
const char *qd_distance_name(uint32_t distance);
/* PUT /collections/{c}/index: the keyword index on tenant_id with
 * is_tenant true (created before any point, see docs/vectors.md). */
char *qd_tenant_index_body(void);

/*
 * From GET /collections/{c}: the vector size and distance name of an
 * unnamed-vector collection. 0, or -1 with err (not that shape).
 * distance gets at most distlen bytes.
 */
int qd_collection_params(const char *body, size_t len, uint32_t *size,
			 char *distance, size_t distlen, char *err,
			 size_t errlen);

/*
 * The Qdrant filter of a host filter (plugin.h's dialect, as the host
 * builds it: {"must":[conditions...]} with an optional top-level
 * "score_threshold"). The host's must-conditions pass through; a must
 * condition {"key":"tenant_id","match":{"value":"<text>"}} is required,
 * so no query or delete reaches the shared collection unscoped. ids
 * (n_ids > 0) add a has_id condition. On success *filter (malloc'd JSON
 * text) and *threshold / *has_threshold; -1 with err otherwise.
 */
int qd_filter(const char *host_filter, const char *const *ids,
	      uint32_t n_ids, char **filter, float *threshold,
	      int *has_threshold, char *err, size_t errlen);

/* POST /collections/{c}/points/query with the vector, filter (JSON text),
 * limit, with_payload and, if has_threshold, score_threshold. */
char *qd_query_body(const float *vec, uint32_t dim, const char *filter,
		    uint32_t limit, int has_threshold, float threshold);
/* POST /collections/{c}/points/delete by filter. */
char *qd_delete_body(const char *filter);

/* One point of an upsert batch (borrowed). payload is a JSON object. */
struct qd_point {
	const char *id;
	const float *vec;
	uint32_t dim;
	const char *payload;
};
/*
 * PUT /collections/{c}/points: {"points":[{"id","vector","payload"}]}.
 * Every payload must be a JSON object with a text tenant_id (else NULL
 * and err, *bad = 1); NULL with *bad = 0 when out of memory.
 */
char *qd_upsert_body(const struct qd_point *pts, uint32_t n, int *bad,
		     char *err, size_t errlen);

/* Query hits, owned by the struct (qd_hits_free). */
struct qd_hits {
	uint32_t n;
	char **ids;
	float *scores;
	char **payloads;  /* JSON text or NULL */
};
/* Parse {"result":{"points":[{"id","score","payload"}]}}. 0, or -1 with
 * err. */
int qd_hits_parse(const char *body, size_t len, struct qd_hits *h,
		  char *err, size_t errlen);
void qd_hits_free(struct qd_hits *h);

/* POST /collections/{c}/points/scroll: filter (JSON text), limit, and
 * offset (NULL: the first page; an unsigned integer goes bare, anything
 * else as a string). NULL if offset holds a quote or backslash. */
char *qd_scroll_body(const char *filter, const char *offset, uint32_t limit,
		     int with_vector, int with_payload);
/* One scroll page, owned by the struct (qd_page_free). */
struct qd_page {
	uint32_t n, dim;  /* dim 0 without vectors */
	char **ids;
	char **payloads;  /* JSON text or NULL */
	float *vecs;      /* n rows of dim, or NULL */
	char *next;       /* next_page_offset as text; NULL: last page */
};
/* Parse {"result":{"points":[{"id","payload","vector"}],
 * "next_page_offset"}}; with_vector: every point must carry an unnamed
 * vector of one dimension. 0, or -1 with err. */
int qd_page_parse(const char *body, size_t len, int with_vector,
		  struct qd_page *pg, char *err, size_t errlen);
void qd_page_free(struct qd_page *pg);

/* What to do with a non-2xx response. */
#define QD_RETRY 1       /* 429, 503 and other 5xx/408: wait and retry */
#define QD_NOT_FOUND 2   /* 404: the collection is gone */
#define QD_PERMANENT 3   /* 400, 401, 403, 422, other 4xx */
#define QD_DIMENSION 4   /* 400 "Vector dimension error": permanent */

/*
 * Classify status with its body (Qdrant's {"status":{"error":"…"}}, or
 * plain text for 401/403) and the Retry-After header (NULL: absent).
 * Returns QD_*; msg gets the status and Qdrant's message; *retry_ms the
 * wait a 429 asks for (0: not said); for QD_DIMENSION, *want and *got
 * the collection's and the request's dimensions (0 if unreadable).
 */
int qd_classify(uint32_t status, const char *body, size_t len,
		const char *retry_after, uint32_t *retry_ms, uint32_t *want,
		uint32_t *got, char *msg, size_t msglen);

#endif

-- 062_vectorize_dispatch: the vectorize worker role (docs/queue.md,
-- docs/vectors.md). The table stays the truth; a message on
-- pulse.vectorize is only a hint naming one queue row.
--
--   vectorization_queue   + dispatched_at: when a worker last published
--                           the row's id (NULL: never, or to publish again)
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

ALTER TABLE vectorization_queue ADD COLUMN dispatched_at timestamptz;
CREATE INDEX vectorization_due ON vectorization_queue (id)
    WHERE status = 'pending';

-- Tenants with vectorization work: due pending rows, or claims to sweep.
-- Ids and counts only (cross-tenant, like 004_host_functions).
CREATE FUNCTION host_vectorize_tenants()
    RETURNS TABLE (tenant_id bigint, due bigint, processing bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
    AS $$
    SELECT q.tenant_id,
           count(*) FILTER (WHERE q.status = 'pending' AND
                            (q.next_attempt_at IS NULL OR q.next_attempt_at <= now())),
           count(*) FILTER (WHERE q.status = 'processing')
      FROM vectorization_queue q
     WHERE q.status IN ('pending', 'processing')
     GROUP BY q.tenant_id
     ORDER BY q.tenant_id
    $$;

-- Due pending rows whose id was never published, or published more than
-- p_stale_seconds ago (a lost message): marked dispatched now, returned
-- for the caller to publish. SKIP LOCKED: two workers never publish the
-- same row in one round; a duplicate later is harmless (the claim decides).
CREATE FUNCTION host_vectorize_dispatch(p_stale_seconds integer, p_limit integer)
    RETURNS TABLE (tenant_id bigint, queue_id bigint)
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path FROM CURRENT
    AS $$
    WITH c AS (
        SELECT q.id FROM vectorization_queue q
         WHERE q.status = 'pending'
           AND (q.next_attempt_at IS NULL OR q.next_attempt_at <= now())
           AND (q.dispatched_at IS NULL OR
                q.dispatched_at < now() - make_interval(secs => p_stale_seconds))
         ORDER BY q.id
         LIMIT p_limit
         FOR UPDATE SKIP LOCKED)
    UPDATE vectorization_queue q SET dispatched_at = now()
      FROM c WHERE q.id = c.id
    RETURNING q.tenant_id, q.id
    $$;

REVOKE ALL ON FUNCTION host_vectorize_tenants() FROM PUBLIC;
REVOKE ALL ON FUNCTION host_vectorize_dispatch(integer, integer) FROM PUBLIC;

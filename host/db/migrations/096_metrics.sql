-- 096_metrics: the figures behind GET /metrics (docs/operations.md,
-- "Metrics"). The daemon's app role sees one tenant per transaction, but a
-- scrape wants totals over all tenants: this SECURITY DEFINER function
-- (owned by the migrating role, like 004_host_functions) returns counts
-- and sums only, grouped by bounded labels (states, statuses, plugin and
-- provider names), never a tenant id, a name or a row's content.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

-- One row per sample: metric name, up to two labels, value. Labels a
-- metric does not have are ''. Zero rows for empty groups are filled in
-- for the fixed state/status sets so a series never disappears.
CREATE FUNCTION host_metrics()
    RETURNS TABLE (metric text, k1 text, v1 text, k2 text, v2 text,
                   value double precision)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
    AS $$
    SELECT 'jobs', 'state', s.state, '', '',
           (SELECT count(*) FROM etl_jobs j WHERE j.state = s.state)::float8
      FROM unnest(ARRAY['NOT_STARTED', 'PENDING', 'RUNNING', 'FINISHED',
                        'ERROR', 'PAUSED']) AS s(state)
    UNION ALL
    SELECT 'raw_rows', 'status', s.status, '', '',
           (SELECT count(*) FROM raw_extraction_data r
             WHERE r.status = s.status)::float8
      FROM unnest(ARRAY['pending', 'processing', 'completed', 'failed'])
           AS s(status)
    UNION ALL
    SELECT 'raw_dead_letters', '', '', '', '',
           (SELECT count(*) FROM raw_extraction_data WHERE dead_lettered)::float8
    UNION ALL
    SELECT 'queue_depth', 'queue', 'raw', '', '',
           (SELECT count(*) FROM raw_extraction_data
             WHERE status IN ('pending', 'processing')
               AND NOT dead_lettered)::float8
    UNION ALL
    SELECT 'queue_depth', 'queue', 'vectorize', '', '',
           (SELECT count(*) FROM vectorization_queue
             WHERE status IN ('pending', 'processing'))::float8
    UNION ALL
    SELECT 'vectorization_backlog', 'status', s.status, '', '',
           (SELECT count(*) FROM vectorization_queue q
             WHERE q.status = s.status)::float8
      FROM unnest(ARRAY['pending', 'processing', 'failed']) AS s(status)
    UNION ALL
    -- Pages and records of the runs kept (housekeeping.history_days).
    SELECT 'pages', 'plugin', i.plugin, '', '',
           sum(coalesce((r.stats->>'pages')::bigint, 0))::float8
      FROM job_runs r JOIN integrations i ON i.id = r.integration_id
     GROUP BY i.plugin
    UNION ALL
    SELECT 'records', 'plugin', i.plugin, '', '',
           sum(coalesce((e.value->>'records')::bigint, 0))::float8
      FROM job_runs r JOIN integrations i ON i.id = r.integration_id
      CROSS JOIN LATERAL jsonb_each(CASE jsonb_typeof(r.stats->'records')
                                    WHEN 'object' THEN r.stats->'records'
                                    ELSE '{}'::jsonb END) e
     WHERE jsonb_typeof(e.value) = 'object'
     GROUP BY i.plugin
    UNION ALL
    SELECT 'ai_calls', 'provider', u.plugin, 'outcome', u.outcome,
           count(*)::float8
      FROM ai_usage u GROUP BY u.plugin, u.outcome
    UNION ALL
    SELECT 'ai_tokens', 'provider', u.plugin, 'direction', d.direction,
           sum(CASE d.direction WHEN 'input' THEN u.input_tokens
                                ELSE u.output_tokens END)::float8
      FROM ai_usage u CROSS JOIN unnest(ARRAY['input', 'output']) AS d(direction)
     GROUP BY u.plugin, d.direction
    UNION ALL
    SELECT 'ai_failures', 'provider', u.plugin, '', '',
           count(*) FILTER (WHERE u.outcome = 'failed')::float8
      FROM ai_usage u GROUP BY u.plugin
    UNION ALL
    -- Latency histogram: cumulative counts per upper bound (seconds).
    SELECT 'ai_latency_bucket', 'provider', u.plugin, 'le', b.le,
           count(*) FILTER (WHERE b.le = '+Inf'
                            OR u.latency_ms <= b.le::float8 * 1000)::float8
      FROM ai_usage u CROSS JOIN unnest(ARRAY['0.05', '0.1', '0.25', '0.5',
                                              '1', '2.5', '5', '10', '30',
                                              '+Inf']) AS b(le)
     GROUP BY u.plugin, b.le
    UNION ALL
    SELECT 'ai_latency_sum', 'provider', u.plugin, '', '',
           sum(u.latency_ms)::float8 / 1000
      FROM ai_usage u GROUP BY u.plugin
    UNION ALL
    SELECT 'ai_latency_count', 'provider', u.plugin, '', '', count(*)::float8
      FROM ai_usage u GROUP BY u.plugin
    UNION ALL
    -- RUNNING jobs without a heartbeat for this long: the "job stuck" alert.
    SELECT 'jobs_oldest_running_seconds', '', '', '', '',
           coalesce(max(extract(epoch FROM now() - coalesce(j.heartbeat_at,
                                    j.last_started_at, now()))), 0)::float8
      FROM etl_jobs j WHERE j.state = 'RUNNING'
    $$;

REVOKE ALL ON FUNCTION host_metrics() FROM PUBLIC;

-- 081_housekeeping: per-tenant retention windows and the cross-tenant entry
-- points of housekeeping (host/housekeeping/, docs/operations.md). Like
-- 004, the functions are SECURITY DEFINER and return names, counts and
-- sizes only, never business data.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

-- A tenant's own windows; NULL = the global one of pulse-host.conf.
CREATE TABLE tenant_retention (
    tenant_id       bigint PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    completed_days  integer CHECK (completed_days BETWEEN 1 AND 36500),
    failed_days     integer CHECK (failed_days BETWEEN 1 AND 36500),
    history_days    integer CHECK (history_days BETWEEN 1 AND 36500),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE tenant_retention ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_retention FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_retention
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint);

-- Why the month partition p_part must stay, or NULL when every row in it
-- is past its tenant's window (p_completed_days / p_failed_days: the
-- global windows). The rule (docs/operations.md):
--   - the month ended more than the longest completed window of all
--     tenants ago;
--   - no pending or processing row that is not dead-lettered;
--   - no failed (or dead-lettered) row younger than its tenant's failed
--     window.
-- row_security = off: should the owner be subject to a policy, the
-- function fails instead of reading a filtered (and wrongly empty) table.
-- Every non-completed row is in the partial index raw_status, so this
-- reads little even on a large month.
CREATE FUNCTION hk_raw_blocker(p_part regclass, p_completed_days integer,
                               p_failed_days integer)
    RETURNS text LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path FROM CURRENT
    SET row_security = off
    AS $$
DECLARE
    hi timestamptz;
    longest integer;
    n bigint;
BEGIN
    SELECT (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz
      INTO hi FROM pg_class c
     WHERE c.oid = p_part AND c.relispartition
       AND c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'raw_extraction_data'::regclass);
    IF hi IS NULL THEN
        RETURN 'not a monthly partition of raw_extraction_data';
    END IF;
    SELECT greatest(p_completed_days, coalesce(max(r.completed_days), 0)) INTO longest
      FROM tenant_retention r;
    IF hi > now() - make_interval(days => longest) THEN
        RETURN format('completed rows within the longest completed window (%s days)', longest);
    END IF;
    EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %s x
                     WHERE x.status IN (''pending'', ''processing'') AND NOT x.dead_lettered LIMIT 1) s', p_part)
       INTO n;
    IF n > 0 THEN
        RETURN 'pending or processing rows';
    END IF;
    EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %s x
                      LEFT JOIN tenant_retention r ON r.tenant_id = x.tenant_id
                     WHERE x.status IN (''pending'', ''processing'', ''failed'')
                       AND x.created_at > now() - make_interval(days => coalesce(r.failed_days, $1))
                     LIMIT 1) s', p_part)
       INTO n USING p_failed_days;
    IF n > 0 THEN
        RETURN 'failed or dead-lettered rows within their window';
    END IF;
    RETURN NULL;
END $$;

-- The monthly partitions of the raw ledger, oldest first: name, range,
-- bytes, and why each must stay (NULL = may be dropped).
CREATE FUNCTION hk_raw_partitions(p_completed_days integer, p_failed_days integer)
    RETURNS TABLE (name text, range_from timestamptz, range_to timestamptz,
                   bytes bigint, blocker text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
    SET row_security = off
    AS $$
    SELECT p.relname::text, b[1]::timestamptz, b[2]::timestamptz,
           pg_total_relation_size(p.oid),
           CASE WHEN b[2]::timestamptz > now() THEN 'current or future month'
                ELSE hk_raw_blocker(p.oid, p_completed_days, p_failed_days) END
      FROM pg_inherits h JOIN pg_class p ON p.oid = h.inhrelid
      CROSS JOIN LATERAL regexp_match(pg_get_expr(p.relpartbound, p.oid),
                                      'FROM \(''([^'']+)''\) TO \(''([^'']+)''\)') b
     WHERE h.inhparent = 'raw_extraction_data'::regclass
     ORDER BY 2
    $$;

-- Drop the month partition p_name if hk_raw_blocker still finds nothing
-- once the partition is locked (no row can arrive meanwhile). Returns its
-- exact row count and size, or no row when it must stay.
CREATE FUNCTION hk_raw_drop(p_name text, p_completed_days integer, p_failed_days integer)
    RETURNS TABLE (rows bigint, bytes bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
    SET row_security = off
    AS $$
DECLARE
    part regclass := to_regclass(p_name);
    n bigint;
    sz bigint;
BEGIN
    IF part IS NULL OR p_name !~ '^raw_extraction_data_y[0-9]{4}m[0-9]{2}$' THEN
        RETURN;
    END IF;
    EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', part);
    IF hk_raw_blocker(part, p_completed_days, p_failed_days) IS NOT NULL THEN
        RETURN;
    END IF;
    EXECUTE format('SELECT count(*) FROM %s', part) INTO n;
    sz := pg_total_relation_size(part);
    EXECUTE format('DROP TABLE %s', part);
    rows := n;
    bytes := sz;
    RETURN NEXT;
END $$;

-- The exact rows of a monthly partition (a dry run's report).
CREATE FUNCTION hk_raw_rows(p_name text) RETURNS bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path FROM CURRENT
    SET row_security = off
    AS $$
DECLARE n bigint;
BEGIN
    IF p_name !~ '^raw_extraction_data_y[0-9]{4}m[0-9]{2}$' OR to_regclass(p_name) IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT count(*) FROM %I', p_name) INTO n;
    RETURN n;
END $$;

REVOKE ALL ON FUNCTION hk_raw_rows(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION hk_raw_blocker(regclass, integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION hk_raw_partitions(integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION hk_raw_drop(text, integer, integer) FROM PUBLIC;

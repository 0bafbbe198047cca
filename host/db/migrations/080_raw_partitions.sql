-- 080_raw_partitions: the raw ledger becomes a table partitioned by month
-- of created_at (UTC months), so retention can drop a whole month at once
-- (docs/operations.md, "Partitions and retention").
--
-- Consequences of the partition key:
--   - the primary key is (id, created_at): PostgreSQL wants the key in
--     every unique constraint. Ids still come from the same sequence, so
--     they stay unique in practice and every `WHERE id = $1` still works
--     (each partition's primary-key index starts with id).
--   - nothing may reference raw rows by foreign key (none does; the queue
--     carries ids). The conversion refuses to run if something does.
--
-- The conversion copies: rename the old table, create the partitioned one
-- with the old columns, create one partition per month holding data (and
-- the current and next two months), copy, build keys and indexes, drop
-- the old table. All in the migration's transaction; writers wait on the
-- ACCESS EXCLUSIVE lock meanwhile (the downtime is measured in
-- docs/operations.md). Rows whose month has no partition yet (a clock far
-- off, a daemon that did no housekeeping for months) land in the DEFAULT
-- partition and move out when their month's partition is created.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

-- The partition of the UTC month that holds p_month (any time in it):
-- created if missing, with the tenant policy of 003_rls.sql, rows of that
-- month moved out of the DEFAULT partition. Returns its name if it was
-- created, NULL if it existed. SECURITY DEFINER: the daemon (app role) runs
-- it ahead of time from housekeeping; it only ever creates the partition
-- of one month.
CREATE FUNCTION raw_partition_create(p_month timestamptz) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
    AS $$
DECLARE
    lo timestamptz := date_trunc('month', p_month AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    hi timestamptz := (date_trunc('month', p_month AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
    part text := 'raw_extraction_data_' || to_char(lo AT TIME ZONE 'UTC', '"y"YYYY"m"MM');
BEGIN
    IF to_regclass(part) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE raw_extraction_data INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
    IF to_regclass('raw_extraction_data_default') IS NOT NULL THEN
        EXECUTE format('WITH moved AS (DELETE FROM raw_extraction_data_default
                         WHERE created_at >= %L AND created_at < %L RETURNING *)
                        INSERT INTO %I SELECT * FROM moved', lo, hi, part);
    END IF;
    EXECUTE format('ALTER TABLE raw_extraction_data ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                   part, lo, hi);
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', part);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', part);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I
                    USING (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::bigint)
                    WITH CHECK (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::bigint)', part);
    RETURN part;
END $$;

DO $$
DECLARE
    d record;
    m timestamptz;
    n_old bigint;
    n_new bigint;
BEGIN
    -- Refuse what a copy cannot carry over, with the object named.
    FOR d IN SELECT conname, conrelid::regclass AS t FROM pg_constraint
              WHERE contype = 'f' AND confrelid = 'raw_extraction_data'::regclass LOOP
        RAISE EXCEPTION '080_raw_partitions: foreign key % of table % references raw_extraction_data; a partitioned raw ledger cannot be referenced by id alone: drop that key first', d.conname, d.t;
    END LOOP;
    FOR d IN SELECT tgname FROM pg_trigger
              WHERE tgrelid = 'raw_extraction_data'::regclass AND NOT tgisinternal LOOP
        RAISE EXCEPTION '080_raw_partitions: trigger % on raw_extraction_data would be lost by the conversion; drop it and recreate it after', d.tgname;
    END LOOP;

    LOCK TABLE raw_extraction_data IN ACCESS EXCLUSIVE MODE;
    -- A non-superuser owner must see every row: no FORCE on the old table,
    -- and row_security off turns any policy in the way into an error
    -- rather than a silently short copy.
    ALTER TABLE raw_extraction_data NO FORCE ROW LEVEL SECURITY;
    PERFORM set_config('row_security', 'off', true);

    ALTER TABLE raw_extraction_data RENAME TO raw_extraction_data_old;
    ALTER TABLE raw_extraction_data_old RENAME CONSTRAINT raw_extraction_data_pkey TO raw_extraction_data_old_pkey;
    ALTER SEQUENCE raw_extraction_data_id_seq OWNED BY NONE;

    -- Same columns, defaults (id from the same sequence), NOT NULLs and
    -- checks as the old table, whatever later migrations added.
    CREATE TABLE raw_extraction_data
        (LIKE raw_extraction_data_old INCLUDING DEFAULTS INCLUDING CONSTRAINTS
         INCLUDING STORAGE INCLUDING COMMENTS)
        PARTITION BY RANGE (created_at);
    ALTER SEQUENCE raw_extraction_data_id_seq OWNED BY raw_extraction_data.id;
    CREATE TABLE raw_extraction_data_default PARTITION OF raw_extraction_data DEFAULT;

    FOR m IN SELECT DISTINCT date_trunc('month', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
               FROM raw_extraction_data_old
             UNION
             SELECT now() + make_interval(months => g) FROM generate_series(0, 2) g LOOP
        PERFORM raw_partition_create(m);
    END LOOP;

    INSERT INTO raw_extraction_data SELECT * FROM raw_extraction_data_old;
    SELECT count(*) INTO n_old FROM raw_extraction_data_old;
    SELECT count(*) INTO n_new FROM raw_extraction_data;
    IF n_old <> n_new THEN
        RAISE EXCEPTION '080_raw_partitions: copied % rows of %; nothing was changed', n_new, n_old;
    END IF;

    -- Keys and indexes after the copy (faster than maintaining them row
    -- by row); each is built on every partition.
    ALTER TABLE raw_extraction_data ADD PRIMARY KEY (id, created_at);
    FOR d IN SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
              WHERE contype = 'f' AND conrelid = 'raw_extraction_data_old'::regclass LOOP
        EXECUTE format('ALTER TABLE raw_extraction_data ADD CONSTRAINT %I %s', d.conname, d.def);
    END LOOP;
    FOR d IN SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
               FROM pg_index i
              WHERE i.indrelid = 'raw_extraction_data_old'::regclass AND NOT i.indisprimary LOOP
        EXECUTE format('DROP INDEX %s', d.name);
        EXECUTE regexp_replace(d.def, ' ON \S+ USING ', ' ON raw_extraction_data USING ');
    END LOOP;
    -- The tenant index: retention deletes one tenant's rows of a month.
    CREATE INDEX raw_tenant_created ON raw_extraction_data (tenant_id, created_at);

    DROP TABLE raw_extraction_data_old;

    -- 003_rls.sql's policy, on the parent and the DEFAULT partition (the
    -- monthly ones got theirs from raw_partition_create).
    ALTER TABLE raw_extraction_data ENABLE ROW LEVEL SECURITY;
    ALTER TABLE raw_extraction_data FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON raw_extraction_data
        USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint)
        WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE raw_extraction_data_default ENABLE ROW LEVEL SECURITY;
    ALTER TABLE raw_extraction_data_default FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON raw_extraction_data_default
        USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint)
        WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint);
END $$;

-- The app role reaches the new tables through the parent; the grants of
-- `migrate --app-role` (run after every migration) cover them.
REVOKE ALL ON FUNCTION raw_partition_create(timestamptz) FROM PUBLIC;

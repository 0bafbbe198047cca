-- 030_jira: work item mappings and the metrics derived from changelogs
-- (docs/jira.md). Nothing here is Jira-specific: any source plugin that
-- fills wits, statuses, work_items and changelogs gets the same.
--
--   mapping_seed(tenant, integration)       default and configured mappings
--   mapping_recompute(tenant, integration, since)
--                                           work_started_at, work_done_at,
--                                           cycle/lead time of work items
--   trigger job_runs_work_item_metrics      runs both when a job run ends,
--                                           so every `job run`, daemon run
--                                           and worker-loaded run gets them
--
-- The functions run with the caller's rights (SECURITY INVOKER): row-level
-- security keeps them inside the tenant of the transaction. The explicit
-- tenant_id conditions are there for the indexes.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

-- Statuses whose Jira category is neither new, indeterminate nor done
-- (e.g. "undefined") land in a visible 'Unmapped' bucket, like types.
ALTER TABLE status_mappings DROP CONSTRAINT IF EXISTS status_mappings_category_check;
ALTER TABLE status_mappings ADD CONSTRAINT status_mappings_category_check
    CHECK (category IN ('To Do', 'In Progress', 'Done', 'Unmapped'));

-- What changed since a time: incremental recomputes after a run.
CREATE INDEX work_items_loaded ON work_items (tenant_id, integration_id, loaded_at);
CREATE INDEX changelogs_loaded ON changelogs (tenant_id, integration_id, loaded_at);

-- The default canonical type of a source type: an incident type (the
-- integration's `incident_types`, by name, case-insensitive), a sub-task
-- (the source says so), or the canonical type of the same name.
CREATE FUNCTION mapping_default_type(p_name text, p_subtask boolean,
                                     p_incident_types jsonb)
    RETURNS text LANGUAGE sql IMMUTABLE
    AS $$
    SELECT CASE
        WHEN EXISTS (SELECT 1 FROM jsonb_array_elements_text(
                         CASE WHEN jsonb_typeof(p_incident_types) = 'array'
                              THEN p_incident_types ELSE '["Incident"]'::jsonb END) x
                      WHERE lower(x) = lower(p_name)) THEN 'Incident'
        WHEN coalesce(p_subtask, false) THEN 'Sub-task'
        WHEN lower(p_name) IN ('sub-task', 'subtask', 'sub task') THEN 'Sub-task'
        WHEN lower(p_name) = 'story' THEN 'Story'
        WHEN lower(p_name) = 'bug' THEN 'Bug'
        WHEN lower(p_name) = 'task' THEN 'Task'
        WHEN lower(p_name) = 'epic' THEN 'Epic'
        WHEN lower(p_name) = 'incident' THEN 'Incident'
        ELSE 'Unmapped' END
    $$;

-- The default category of a status: Jira's own status category.
CREATE FUNCTION mapping_default_category(p_source_category text)
    RETURNS text LANGUAGE sql IMMUTABLE
    AS $$
    SELECT CASE lower(coalesce(p_source_category, ''))
        WHEN 'new' THEN 'To Do'
        WHEN 'indeterminate' THEN 'In Progress'
        WHEN 'done' THEN 'Done'
        ELSE 'Unmapped' END
    $$;

-- Bring the mapping tables of an integration up to date: the hierarchy,
-- the integration's `mappings` setting (origin 'config'; a config entry
-- that was removed falls back to the default), and a default for every
-- type and status name seen. Rows set with `pulse-host mapping set`
-- (origin 'cli') are never touched; 'config' rows only by the config.
-- Returns the number of mapping rows inserted, changed or removed.
CREATE FUNCTION mapping_seed(p_tenant bigint, p_integration bigint)
    RETURNS integer LANGUAGE plpgsql SET search_path FROM CURRENT
    AS $$
DECLARE
    s jsonb;
    types jsonb;
    cats jsonb;
    n integer := 0;
    k integer;
BEGIN
    SELECT settings INTO s FROM integrations
     WHERE tenant_id = p_tenant AND id = p_integration;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'integration % not found in tenant %', p_integration, p_tenant;
    END IF;
    types := CASE WHEN jsonb_typeof(s->'mappings'->'types') = 'object'
                  THEN s->'mappings'->'types' ELSE '{}'::jsonb END;
    cats := CASE WHEN jsonb_typeof(s->'mappings'->'statuses') = 'object'
                 THEN s->'mappings'->'statuses' ELSE '{}'::jsonb END;

    INSERT INTO wits_hierarchies (tenant_id, integration_id, canonical_type, level, parent_type)
    SELECT p_tenant, p_integration, h.t, h.l, h.p
      FROM (VALUES ('Epic', 1, NULL), ('Story', 2, 'Epic'), ('Task', 2, 'Epic'),
                   ('Bug', 2, 'Epic'), ('Incident', 2, 'Epic'),
                   ('Sub-task', 3, 'Story')) AS h(t, l, p)
    ON CONFLICT (tenant_id, integration_id, canonical_type) DO NOTHING;

    -- configuration
    DELETE FROM wits_mappings m
     WHERE m.tenant_id = p_tenant AND m.integration_id = p_integration
       AND m.origin = 'config' AND NOT types ? m.source_name;
    GET DIAGNOSTICS k = ROW_COUNT; n := n + k;
    INSERT INTO wits_mappings AS m (tenant_id, integration_id, source_name, canonical_type, origin)
    SELECT p_tenant, p_integration, e.key, e.value, 'config'
      FROM jsonb_each_text(types) e
     WHERE e.value IN ('Story', 'Bug', 'Task', 'Epic', 'Incident', 'Sub-task', 'Unmapped')
    ON CONFLICT (tenant_id, integration_id, source_name) DO UPDATE
       SET canonical_type = EXCLUDED.canonical_type, origin = 'config'
     WHERE m.origin <> 'cli'
       AND (m.canonical_type, m.origin) IS DISTINCT FROM (EXCLUDED.canonical_type, 'config');
    GET DIAGNOSTICS k = ROW_COUNT; n := n + k;
    DELETE FROM status_mappings m
     WHERE m.tenant_id = p_tenant AND m.integration_id = p_integration
       AND m.origin = 'config' AND NOT cats ? m.source_name;
    GET DIAGNOSTICS k = ROW_COUNT; n := n + k;
    INSERT INTO status_mappings AS m (tenant_id, integration_id, source_name, category, origin)
    SELECT p_tenant, p_integration, e.key, e.value, 'config'
      FROM jsonb_each_text(cats) e
     WHERE e.value IN ('To Do', 'In Progress', 'Done', 'Unmapped')
    ON CONFLICT (tenant_id, integration_id, source_name) DO UPDATE
       SET category = EXCLUDED.category, origin = 'config'
     WHERE m.origin <> 'cli'
       AND (m.category, m.origin) IS DISTINCT FROM (EXCLUDED.category, 'config');
    GET DIAGNOSTICS k = ROW_COUNT; n := n + k;

    -- defaults for every name seen (catalogue or work items)
    INSERT INTO wits_mappings AS m (tenant_id, integration_id, source_name, canonical_type, origin)
    SELECT p_tenant, p_integration, x.name,
           mapping_default_type(x.name, x.sub, s->'incident_types'), 'default'
      FROM (SELECT w.name, bool_or(coalesce(w.is_subtask, false)) AS sub
              FROM wits w
             WHERE w.tenant_id = p_tenant AND w.integration_id = p_integration
               AND w.deleted_at IS NULL
             GROUP BY w.name
            UNION
            SELECT DISTINCT wi.wit_name, false
              FROM work_items wi
             WHERE wi.tenant_id = p_tenant AND wi.integration_id = p_integration
               AND wi.wit_name IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM wits w
                                WHERE w.tenant_id = p_tenant
                                  AND w.integration_id = p_integration
                                  AND w.name = wi.wit_name)) x
    ON CONFLICT (tenant_id, integration_id, source_name) DO UPDATE
       SET canonical_type = EXCLUDED.canonical_type
     WHERE m.origin = 'default' AND m.canonical_type <> EXCLUDED.canonical_type;
    GET DIAGNOSTICS k = ROW_COUNT; n := n + k;
    INSERT INTO status_mappings AS m (tenant_id, integration_id, source_name, category, origin)
    SELECT p_tenant, p_integration, x.name, mapping_default_category(x.cat), 'default'
      FROM (SELECT st.name, mode() WITHIN GROUP (ORDER BY st.source_category) AS cat
              FROM statuses st
             WHERE st.tenant_id = p_tenant AND st.integration_id = p_integration
               AND st.deleted_at IS NULL
             GROUP BY st.name
            UNION
            SELECT DISTINCT wi.status_name, NULL
              FROM work_items wi
             WHERE wi.tenant_id = p_tenant AND wi.integration_id = p_integration
               AND wi.status_name IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM statuses st
                                WHERE st.tenant_id = p_tenant
                                  AND st.integration_id = p_integration
                                  AND st.name = wi.status_name)) x
    ON CONFLICT (tenant_id, integration_id, source_name) DO UPDATE
       SET category = EXCLUDED.category
     WHERE m.origin = 'default' AND m.category <> EXCLUDED.category;
    GET DIAGNOSTICS k = ROW_COUNT; n := n + k;
    RETURN n;
END $$;

-- Work item metrics from status changes and the mapped categories:
--   work_started_at     first change into an 'In Progress' status
--   work_done_at        last change into a 'Done' status, while the item
--                       is Done now (resolved_at if no change says when)
--   cycle_time_seconds  work_done_at - work_started_at
--   lead_time_seconds   work_done_at - created_at
-- A change's status is found by id (to_value, as it is named now), else
-- by the name it had then (to_string). p_since NULL: every work item of
-- the integration; else those loaded, or with changelog rows loaded, at
-- or after p_since. Returns the number of work items changed.
CREATE FUNCTION mapping_recompute(p_tenant bigint, p_integration bigint,
                                  p_since timestamptz)
    RETURNS integer LANGUAGE sql SET search_path FROM CURRENT
    AS $$
    WITH cat AS MATERIALIZED (
        SELECT m.source_name, m.category FROM status_mappings m
         WHERE m.tenant_id = p_tenant AND m.integration_id = p_integration
    ),
    st AS MATERIALIZED (
        SELECT s.external_id, c.category
          FROM statuses s JOIN cat c ON c.source_name = s.name
         WHERE s.tenant_id = p_tenant AND s.integration_id = p_integration
    ),
    changed AS MATERIALIZED (
        SELECT w.external_id FROM work_items w
         WHERE p_since IS NOT NULL AND w.tenant_id = p_tenant
           AND w.integration_id = p_integration AND w.loaded_at >= p_since
        UNION
        SELECT c.work_item_external_id FROM changelogs c
         WHERE p_since IS NOT NULL AND c.tenant_id = p_tenant
           AND c.integration_id = p_integration AND c.loaded_at >= p_since
    ),
    items AS MATERIALIZED (
        SELECT w.id, w.external_id, w.created_at, w.resolved_at, c.category AS cur
          FROM work_items w LEFT JOIN cat c ON c.source_name = w.status_name
         WHERE w.tenant_id = p_tenant AND w.integration_id = p_integration
           AND w.deleted_at IS NULL
           AND (p_since IS NULL OR w.external_id IN (SELECT external_id FROM changed))
    ),
    tr AS (
        SELECT c.work_item_external_id AS item, c.changed_at,
               coalesce(st.category, cn.category) AS category
          FROM changelogs c
          JOIN items i ON i.external_id = c.work_item_external_id
          LEFT JOIN st ON st.external_id = c.to_value
          LEFT JOIN cat cn ON cn.source_name = c.to_string
         WHERE c.tenant_id = p_tenant AND c.integration_id = p_integration
           AND c.field = 'status' AND c.deleted_at IS NULL
    ),
    agg AS (
        SELECT item,
               min(changed_at) FILTER (WHERE category = 'In Progress') AS started,
               max(changed_at) FILTER (WHERE category = 'Done') AS done
          FROM tr GROUP BY item
    ),
    calc AS (
        SELECT i.id, i.created_at, a.started,
               CASE WHEN i.cur = 'Done' THEN coalesce(a.done, i.resolved_at) END AS done
          FROM items i LEFT JOIN agg a ON a.item = i.external_id
    ),
    fin AS (
        SELECT id, started, done,
               CASE WHEN started IS NOT NULL AND done >= started
                    THEN floor(extract(epoch FROM done - started))::bigint END AS cycle,
               CASE WHEN done >= created_at
                    THEN floor(extract(epoch FROM done - created_at))::bigint END AS lead
          FROM calc
    ),
    upd AS (
        UPDATE work_items w
           SET work_started_at = f.started, work_done_at = f.done,
               cycle_time_seconds = f.cycle, lead_time_seconds = f.lead
          FROM fin f
         WHERE w.id = f.id
           AND (w.work_started_at, w.work_done_at, w.cycle_time_seconds, w.lead_time_seconds)
               IS DISTINCT FROM (f.started, f.done, f.cycle, f.lead)
        RETURNING 1
    )
    SELECT count(*)::integer FROM upd
    $$;

-- When a run of an integration with work items ends (the runner's final
-- UPDATE of job_runs, inside the run's tenant transaction): seed the
-- mappings, recompute what the run loaded (everything if a mapping
-- changed), and note it in the run's stats. A failure here is reported
-- as a warning and in the stats, never as a failed run:
-- `pulse-host mapping recompute` redoes it.
CREATE FUNCTION mapping_after_run() RETURNS trigger
    LANGUAGE plpgsql SET search_path FROM CURRENT
    AS $$
DECLARE
    last text;
    since timestamptz;
    m integer;
    n integer;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM wits
                    WHERE tenant_id = NEW.tenant_id AND integration_id = NEW.integration_id)
       AND NOT EXISTS (SELECT 1 FROM work_items
                        WHERE tenant_id = NEW.tenant_id AND integration_id = NEW.integration_id) THEN
        RETURN NEW;
    END IF;
    BEGIN
        SELECT value INTO last FROM integration_state
         WHERE tenant_id = NEW.tenant_id AND integration_id = NEW.integration_id
           AND key = 'host:metrics_at';
        -- from the earlier of this run's start and the last recompute,
        -- with a margin for loads that committed late
        since := least(NEW.started_at, last::timestamptz) - interval '10 minutes';
        m := mapping_seed(NEW.tenant_id, NEW.integration_id);
        n := mapping_recompute(NEW.tenant_id, NEW.integration_id,
                               CASE WHEN m > 0 THEN NULL ELSE since END);
        INSERT INTO integration_state (tenant_id, integration_id, key, value)
        VALUES (NEW.tenant_id, NEW.integration_id, 'host:metrics_at', now()::text)
        ON CONFLICT (tenant_id, integration_id, key)
        DO UPDATE SET value = EXCLUDED.value, updated_at = now();
        NEW.stats := coalesce(NEW.stats, '{}'::jsonb) || jsonb_build_object(
            'work_items', jsonb_build_object('mappings_changed', m, 'metrics_updated', n));
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'work item metrics of integration % were not recomputed: %; '
                      'run `pulse-host mapping recompute --integration %`',
                      NEW.integration_id, SQLERRM, NEW.integration_id;
        NEW.stats := coalesce(NEW.stats, '{}'::jsonb) ||
                     jsonb_build_object('work_items_error', SQLERRM);
    END;
    RETURN NEW;
END $$;

CREATE TRIGGER job_runs_work_item_metrics BEFORE UPDATE OF state ON job_runs
    FOR EACH ROW
    WHEN (OLD.state = 'RUNNING' AND NEW.state IN ('FINISHED', 'ERROR'))
    EXECUTE FUNCTION mapping_after_run();

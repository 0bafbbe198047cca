-- 109_people_after_run_timeout: the people resolve that follows a run
-- (091's trigger job_runs_people) never fails the run, also when it runs
-- out of time. PL/pgSQL's WHEN OTHERS does not catch query_canceled
-- (57014: statement_timeout, a cancel), so a resolve outlasting the
-- statement timeout (50,000 directory users on a loaded machine, found by
-- tests/bench/entra-bench.sh) failed the run's final UPDATE of job_runs
-- and with it the run. Now it is the documented warning plus
-- stats.people_error; `pulse-host people resolve` redoes it.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

CREATE OR REPLACE FUNCTION people_after_run() RETURNS trigger
    LANGUAGE plpgsql SET search_path FROM CURRENT
    AS $$
DECLARE
    r record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM integrations i
                    WHERE i.tenant_id = NEW.tenant_id AND i.id = NEW.integration_id
                      AND i.plugin IN ('ad', 'entra', 'github', 'jira'))
       OR NOT EXISTS (SELECT 1 FROM directory_users d WHERE d.tenant_id = NEW.tenant_id) THEN
        RETURN NEW;
    END IF;
    BEGIN
        SELECT * INTO r FROM people_resolve(NEW.tenant_id);
        NEW.stats := coalesce(NEW.stats, '{}'::jsonb) || jsonb_build_object(
            'people', jsonb_build_object('links_added', r.links_added,
                                         'links_removed', r.links_removed));
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        RAISE WARNING 'people of tenant % were not resolved: %; run `pulse-host people resolve`',
                      NEW.tenant_id, SQLERRM;
        NEW.stats := coalesce(NEW.stats, '{}'::jsonb) ||
                     jsonb_build_object('people_error', SQLERRM);
    END;
    RETURN NEW;
END $$;

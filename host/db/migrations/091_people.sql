-- 091_people: who is who (docs/people.md). A person of a tenant is made
-- from its directory users (AD and Entra copies merged by immutable_id)
-- and linked to the GitHub logins and Jira account ids they use:
--
--   people            one row per person
--   people_links      person -> account (directory user, GitHub login,
--                     Jira account id), with the method that made it
--   people_accounts   the GitHub and Jira accounts the warehouse has seen,
--                     with an e-mail where a source gave one
--   people_settings   per tenant: the directory attributes that hold a
--                     GitHub login / Jira account id
--
--   people_resolve(tenant)      recompute the automatic links (idempotent;
--                               manual links are never touched)
--   people_scope(team, ou)      the people of a group (nested groups
--                               followed) and/or an org unit subtree
--   people_accounts_of(team, ou, kind)
--                               their accounts of one kind, as an array
--   dora_lead_time_of(..., authors)
--                               lead time over the changes of some authors
--   trigger job_runs_people     resolves after a run of an ad, entra,
--                               github or jira integration ends
--
-- Everything runs with the caller's rights: row-level security keeps it
-- inside the tenant of the transaction.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

CREATE TABLE people (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    display_name text,
    mail text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX people_tenant ON people (tenant_id);

-- account: directory external_id | GitHub login (lower-case, GitHub
-- logins are case-insensitive) | Jira accountId (as Jira spells it).
-- integration_id: the directory integration of a directory user; NULL for
-- GitHub and Jira (a login is one account whichever integration saw it).
-- method: 'directory' (the person was made from this user),
-- 'immutable_id' (AD/Entra copy of the same person), 'email',
-- 'attribute' (people_settings), 'manual' (`pulse-host people link`).
CREATE TABLE people_links (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    person_id bigint NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('directory', 'github', 'jira')),
    account text NOT NULL,
    integration_id bigint REFERENCES integrations(id) ON DELETE CASCADE,
    method text NOT NULL
        CHECK (method IN ('directory', 'immutable_id', 'email', 'attribute', 'manual')),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'directory') = (integration_id IS NOT NULL))
);
-- One account belongs to one person.
CREATE UNIQUE INDEX people_links_account
    ON people_links (tenant_id, kind, account, (coalesce(integration_id, 0)));
CREATE INDEX people_links_person ON people_links (tenant_id, person_id);

CREATE TABLE people_accounts (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('github', 'jira')),
    account text NOT NULL,
    integration_id bigint REFERENCES integrations(id) ON DELETE SET NULL,
    email text,
    display_name text,
    seen_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, kind, account)
);
CREATE INDEX people_accounts_email ON people_accounts (tenant_id, lower(email));

-- attribute: a column of directory_users (account_name, employee_id, ...)
-- or a key of directory_users.attributes; NULL: no attribute matching.
CREATE TABLE people_settings (
    tenant_id bigint PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    github_attribute text,
    jira_attribute text,
    updated_at timestamptz NOT NULL DEFAULT now()
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['people', 'people_links', 'people_accounts', 'people_settings']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I
                        USING (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::bigint)
                        WITH CHECK (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::bigint)', t);
    END LOOP;
END $$;

-- The value of attribute p_attr of a directory user: a column of the row,
-- else a key of its attributes (string, or the first of an array).
CREATE FUNCTION people_attr(u directory_users, p_attr text) RETURNS text
    LANGUAGE sql STABLE
    AS $$
    SELECT nullif(coalesce(to_jsonb(u) ->> p_attr,
                           CASE jsonb_typeof(u.attributes -> p_attr)
                                WHEN 'array' THEN u.attributes -> p_attr ->> 0
                                ELSE u.attributes ->> p_attr END), '')
    $$;

-- Recompute the tenant's people. Returns what changed; a second run with
-- nothing new returns zeros. Manual links are never added or removed
-- here, and an account with a manual link gets no automatic one.
CREATE FUNCTION people_resolve(p_tenant bigint)
    RETURNS TABLE (people_added integer, people_removed integer,
                   links_added integer, links_removed integer,
                   accounts integer)
    LANGUAGE plpgsql SET search_path FROM CURRENT
    AS $$
DECLARE
    u record;
    pid bigint;
    ga text;
    ja text;
    k integer;
    wm bigint;
BEGIN
    people_added := 0; people_removed := 0; links_added := 0; links_removed := 0;
    SELECT s.github_attribute, s.jira_attribute INTO ga, ja
      FROM people_settings s WHERE s.tenant_id = p_tenant;

    -- 1. Accounts the warehouse has seen (bots left out: nobody's person).
    INSERT INTO people_accounts AS a (tenant_id, kind, account, integration_id)
    SELECT p_tenant, 'github', x.login, min(x.integration_id)
      FROM (SELECT lower(author) AS login, integration_id FROM prs
             WHERE tenant_id = p_tenant AND author IS NOT NULL
            UNION
            SELECT lower(author), integration_id FROM prs_reviews
             WHERE tenant_id = p_tenant AND author IS NOT NULL
            UNION
            SELECT lower(author), integration_id FROM prs_comments
             WHERE tenant_id = p_tenant AND author IS NOT NULL) x
     WHERE x.login <> '' AND x.login NOT LIKE '%[bot]'
     GROUP BY x.login
    ON CONFLICT (tenant_id, kind, account) DO NOTHING;
    INSERT INTO people_accounts AS a (tenant_id, kind, account, integration_id)
    SELECT p_tenant, 'jira', x.acc, min(x.integration_id)
      FROM (SELECT assignee AS acc, integration_id FROM work_items
             WHERE tenant_id = p_tenant AND assignee IS NOT NULL
            UNION
            SELECT reporter, integration_id FROM work_items
             WHERE tenant_id = p_tenant AND reporter IS NOT NULL
            UNION
            SELECT author, integration_id FROM changelogs
             WHERE tenant_id = p_tenant AND author IS NOT NULL) x
     WHERE x.acc <> ''
     GROUP BY x.acc
    ON CONFLICT (tenant_id, kind, account) DO NOTHING;

    -- Jira gives a user's emailAddress where the user's privacy settings
    -- allow; the warehouse keeps only the accountId, so the e-mails come
    -- from the raw ledger, read from where the last resolve stopped.
    SELECT coalesce(max(value::bigint), 0) INTO wm FROM integration_state st
      JOIN integrations i ON i.tenant_id = st.tenant_id AND i.id = st.integration_id
     WHERE st.tenant_id = p_tenant AND st.key = 'host:people_raw_id' AND i.plugin = 'jira';
    WITH raw AS MATERIALIZED (
        SELECT r.id, r.integration_id, r.body FROM raw_extraction_data r
          JOIN integrations i ON i.tenant_id = r.tenant_id AND i.id = r.integration_id
         WHERE r.tenant_id = p_tenant AND i.plugin = 'jira' AND r.id > wm
    ),
    usr AS (
        SELECT DISTINCT ON (x.u ->> 'accountId') x.u ->> 'accountId' AS acc,
               x.u ->> 'emailAddress' AS email, x.u ->> 'displayName' AS name,
               raw.integration_id
          FROM raw, jsonb_path_query(raw.body, '$.** ? (exists(@.accountId))') AS x(u)
         WHERE jsonb_typeof(x.u) = 'object' AND x.u ? 'accountId'
         ORDER BY x.u ->> 'accountId', raw.id DESC
    )
    INSERT INTO people_accounts AS a (tenant_id, kind, account, integration_id, email, display_name)
    SELECT p_tenant, 'jira', usr.acc, usr.integration_id, nullif(usr.email, ''), usr.name
      FROM usr
    ON CONFLICT (tenant_id, kind, account) DO UPDATE
       SET email = coalesce(EXCLUDED.email, a.email),
           display_name = coalesce(EXCLUDED.display_name, a.display_name)
     WHERE (a.email, a.display_name) IS DISTINCT FROM
           (coalesce(EXCLUDED.email, a.email), coalesce(EXCLUDED.display_name, a.display_name));
    INSERT INTO integration_state (tenant_id, integration_id, key, value)
    SELECT p_tenant, r.integration_id, 'host:people_raw_id', max(r.id)::text
      FROM raw_extraction_data r
      JOIN integrations i ON i.tenant_id = r.tenant_id AND i.id = r.integration_id
     WHERE r.tenant_id = p_tenant AND i.plugin = 'jira' AND r.id > wm
     GROUP BY r.integration_id
    ON CONFLICT (tenant_id, integration_id, key)
    DO UPDATE SET value = EXCLUDED.value, updated_at = now();
    SELECT count(*) INTO accounts FROM people_accounts WHERE tenant_id = p_tenant;

    -- 2. Directory users: links to users deleted or gone are dropped; each
    -- live user without a person joins the person of a linked user with
    -- the same immutable_id, else becomes a new person.
    DELETE FROM people_links l
     WHERE l.tenant_id = p_tenant AND l.kind = 'directory' AND l.method <> 'manual'
       AND NOT EXISTS (SELECT 1 FROM directory_users d
                        WHERE d.tenant_id = p_tenant AND d.integration_id = l.integration_id
                          AND d.external_id = l.account AND d.deleted_at IS NULL);
    GET DIAGNOSTICS k = ROW_COUNT; links_removed := links_removed + k;
    FOR u IN SELECT d.integration_id, d.external_id, d.immutable_id
               FROM directory_users d
              WHERE d.tenant_id = p_tenant AND d.deleted_at IS NULL
                AND NOT EXISTS (SELECT 1 FROM people_links l
                                 WHERE l.tenant_id = p_tenant AND l.kind = 'directory'
                                   AND l.integration_id = d.integration_id
                                   AND l.account = d.external_id)
              ORDER BY d.immutable_id, d.source, d.id
    LOOP
        pid := NULL;
        IF u.immutable_id IS NOT NULL AND u.immutable_id <> '' THEN
            SELECT l.person_id INTO pid
              FROM directory_users d
              JOIN people_links l
                ON l.tenant_id = p_tenant AND l.kind = 'directory'
               AND l.integration_id = d.integration_id AND l.account = d.external_id
             WHERE d.tenant_id = p_tenant AND d.immutable_id = u.immutable_id
               AND d.deleted_at IS NULL
             ORDER BY l.id LIMIT 1;
        END IF;
        IF pid IS NULL THEN
            INSERT INTO people (tenant_id) VALUES (p_tenant) RETURNING id INTO pid;
            people_added := people_added + 1;
            INSERT INTO people_links (tenant_id, person_id, kind, account, integration_id, method)
            VALUES (p_tenant, pid, 'directory', u.external_id, u.integration_id, 'directory');
        ELSE
            INSERT INTO people_links (tenant_id, person_id, kind, account, integration_id, method)
            VALUES (p_tenant, pid, 'directory', u.external_id, u.integration_id, 'immutable_id');
        END IF;
        links_added := links_added + 1;
    END LOOP;

    -- 3. GitHub and Jira links. Wanted: by attribute (explicit, so it wins
    -- over e-mail), else by e-mail; only where exactly one person matches;
    -- never for an account linked by hand.
    CREATE TEMP TABLE IF NOT EXISTS people_want (
        kind text, account text, person_id bigint, method text) ON COMMIT DROP;
    TRUNCATE people_want;
    INSERT INTO people_want
    WITH dir AS MATERIALIZED (
        SELECT l.person_id, d AS u, d.mail
          FROM directory_users d
          JOIN people_links l
            ON l.tenant_id = p_tenant AND l.kind = 'directory'
           AND l.integration_id = d.integration_id AND l.account = d.external_id
         WHERE d.tenant_id = p_tenant AND d.deleted_at IS NULL
    ),
    cand AS (
        SELECT 'github' AS kind, lower(people_attr(dir.u, ga)) AS account,
               dir.person_id, 'attribute' AS method, 1 AS rank
          FROM dir WHERE ga IS NOT NULL
        UNION ALL
        SELECT 'jira', people_attr(dir.u, ja), dir.person_id, 'attribute', 1
          FROM dir WHERE ja IS NOT NULL
        UNION ALL
        SELECT a.kind, a.account, dir.person_id, 'email', 2
          FROM people_accounts a JOIN dir ON lower(dir.mail) = lower(a.email)
         WHERE a.tenant_id = p_tenant AND a.email IS NOT NULL AND a.email <> ''
    ),
    best AS (
        SELECT c.kind, c.account, min(c.rank) AS rank FROM cand c
         WHERE c.account IS NOT NULL GROUP BY c.kind, c.account
    ),
    one AS (
        SELECT c.kind, c.account, min(c.person_id) AS person_id, min(c.method) AS method
          FROM cand c JOIN best b ON b.kind = c.kind AND b.account = c.account AND b.rank = c.rank
         GROUP BY c.kind, c.account
        HAVING count(DISTINCT c.person_id) = 1
    )
    SELECT o.kind, o.account, o.person_id, o.method FROM one o
     WHERE NOT EXISTS (SELECT 1 FROM people_links l
                        WHERE l.tenant_id = p_tenant AND l.kind = o.kind
                          AND l.account = o.account AND l.method = 'manual');

    DELETE FROM people_links l
     WHERE l.tenant_id = p_tenant AND l.kind IN ('github', 'jira')
       AND l.method IN ('email', 'attribute')
       AND NOT EXISTS (SELECT 1 FROM people_want w
                        WHERE w.kind = l.kind AND w.account = l.account
                          AND w.person_id = l.person_id AND w.method = l.method);
    GET DIAGNOSTICS k = ROW_COUNT; links_removed := links_removed + k;
    INSERT INTO people_links (tenant_id, person_id, kind, account, integration_id, method)
    SELECT p_tenant, w.person_id, w.kind, w.account, NULL, w.method
      FROM people_want w
    ON CONFLICT (tenant_id, kind, account, (coalesce(integration_id, 0))) DO NOTHING;
    GET DIAGNOSTICS k = ROW_COUNT; links_added := links_added + k;

    -- 4. People left with no link (their users were deleted) go; names
    -- follow the directory (an AD copy first, then Entra).
    DELETE FROM people p
     WHERE p.tenant_id = p_tenant
       AND NOT EXISTS (SELECT 1 FROM people_links l
                        WHERE l.tenant_id = p_tenant AND l.person_id = p.id);
    GET DIAGNOSTICS k = ROW_COUNT; people_removed := k;
    UPDATE people p SET display_name = x.display_name, mail = x.mail, updated_at = now()
      FROM (SELECT DISTINCT ON (l.person_id) l.person_id, d.display_name, d.mail
              FROM people_links l
              JOIN directory_users d
                ON d.tenant_id = p_tenant AND d.integration_id = l.integration_id
               AND d.external_id = l.account
             WHERE l.tenant_id = p_tenant AND l.kind = 'directory'
             ORDER BY l.person_id, coalesce(d.source = 'ad', false) DESC, d.id) x
     WHERE p.tenant_id = p_tenant AND p.id = x.person_id
       AND (p.display_name, p.mail) IS DISTINCT FROM (x.display_name, x.mail);
    RETURN NEXT;
END $$;

-- The people of group p_team (name, mail or external id; nested groups
-- followed) and/or of org unit p_ou (DN or name; the whole subtree). Both
-- given: people in both. Live directory users only.
CREATE FUNCTION people_scope(p_team text, p_ou text)
    RETURNS TABLE (person_id bigint)
    LANGUAGE sql STABLE
    AS $$
    WITH RECURSIVE grp(integration_id, external_id) AS (
        SELECT g.integration_id, g.external_id FROM directory_groups g
         WHERE g.tenant_id = dora_tenant() AND g.deleted_at IS NULL
           AND (lower(g.name) = lower(p_team) OR lower(g.mail) = lower(p_team)
                OR g.external_id = p_team)
        UNION
        SELECT m.integration_id, m.member_external_id FROM directory_memberships m
          JOIN grp ON grp.integration_id = m.integration_id
                  AND grp.external_id = m.group_external_id
         WHERE m.tenant_id = dora_tenant() AND m.deleted_at IS NULL
           AND m.member_kind = 'group'
    ),
    team AS (
        SELECT l.person_id FROM grp
          JOIN directory_memberships m
            ON m.tenant_id = dora_tenant() AND m.integration_id = grp.integration_id
           AND m.group_external_id = grp.external_id AND m.deleted_at IS NULL
           AND m.member_kind = 'user'
          JOIN directory_users d
            ON d.tenant_id = dora_tenant() AND d.integration_id = m.integration_id
           AND d.external_id = m.member_external_id AND d.deleted_at IS NULL
          JOIN people_links l
            ON l.tenant_id = dora_tenant() AND l.kind = 'directory'
           AND l.integration_id = d.integration_id AND l.account = d.external_id
    ),
    ous AS (
        SELECT lower(o.dn) AS dn FROM directory_org_units o
         WHERE o.tenant_id = dora_tenant() AND o.deleted_at IS NULL
           AND (lower(o.dn) = lower(p_ou) OR lower(o.name) = lower(p_ou))
        UNION
        SELECT lower(p_ou) WHERE p_ou LIKE '%=%'
    ),
    unit AS (
        SELECT l.person_id FROM directory_users d
          JOIN ous ON lower(d.org_unit) = ous.dn OR lower(d.org_unit) LIKE '%,' || ous.dn
          JOIN people_links l
            ON l.tenant_id = dora_tenant() AND l.kind = 'directory'
           AND l.integration_id = d.integration_id AND l.account = d.external_id
         WHERE d.tenant_id = dora_tenant() AND d.deleted_at IS NULL
    )
    SELECT DISTINCT x.person_id FROM (
        SELECT t.person_id FROM team t WHERE p_team IS NOT NULL
           AND (p_ou IS NULL OR t.person_id IN (SELECT person_id FROM unit))
        UNION ALL
        SELECT u.person_id FROM unit u WHERE p_team IS NULL AND p_ou IS NOT NULL
    ) x
    $$;

-- The accounts of kind p_kind ('github', 'jira') of those people: an
-- array, empty when none (never NULL).
CREATE FUNCTION people_accounts_of(p_team text, p_ou text, p_kind text)
    RETURNS text[]
    LANGUAGE sql STABLE
    AS $$
    SELECT coalesce(array_agg(DISTINCT l.account ORDER BY l.account), '{}'::text[])
      FROM people_scope(p_team, p_ou) s
      JOIN people_links l
        ON l.tenant_id = dora_tenant() AND l.person_id = s.person_id
       AND l.kind = p_kind
    $$;

-- dora_lead_time of 010, over the changes whose PR author (GitHub login,
-- compared lower-case) is in p_authors; NULL: every change. 010's
-- dora_lead_time becomes this with NULL, so there is one definition.
CREATE FUNCTION dora_lead_time_of(p_from timestamptz, p_to timestamptz,
                                  p_project text, p_repo text,
                                  p_authors text[])
    RETURNS TABLE (merged bigint, merged_deployed bigint, changes bigint,
                   by_commit_range bigint, by_deployment_after_merge bigint,
                   median_seconds double precision,
                   coding_seconds double precision, coding_sample bigint,
                   pickup_seconds double precision, pickup_sample bigint,
                   review_seconds double precision, review_sample bigint,
                   deploy_seconds double precision, deploy_sample bigint)
    LANGUAGE sql STABLE
    AS $$
    WITH c AS MATERIALIZED (
        SELECT c.*, c.deployed_at IS NOT NULL AS sampled
          FROM dora_changes(p_from, p_to, p_project, p_repo) c
         WHERE p_authors IS NULL OR lower(c.author) = ANY (p_authors)
    ),
    fc AS (
        SELECT c.pr_id, min(pc.authored_at) AS at
          FROM c JOIN prs_commits pc
            ON pc.tenant_id = dora_tenant() AND pc.integration_id = c.integration_id
           AND pc.pr_external_id = c.pr_external_id
         WHERE c.sampled AND c.first_commit_at IS NULL AND pc.deleted_at IS NULL
         GROUP BY c.pr_id
    ),
    lo AS (
        SELECT min(c.created_at) AS at FROM c WHERE c.sampled
    ),
    pk AS (
        SELECT c.pr_id, min(x.at) AS at
          FROM (SELECT r.integration_id, r.pr_external_id, r.author,
                       r.submitted_at AS at
                  FROM lo, prs_reviews r
                 WHERE r.tenant_id = dora_tenant()
                   AND r.submitted_at >= lo.at AND r.submitted_at < p_to
                   AND r.deleted_at IS NULL
                UNION ALL
                SELECT m.integration_id, m.pr_external_id, m.author, m.created_at
                  FROM lo, prs_comments m
                 WHERE m.tenant_id = dora_tenant()
                   AND m.created_at >= lo.at AND m.created_at < p_to
                   AND m.deleted_at IS NULL) x
          JOIN c ON c.integration_id = x.integration_id
                AND c.pr_external_id = x.pr_external_id
         WHERE c.sampled AND x.at <= c.merged_at
           AND x.author IS DISTINCT FROM c.author
           AND coalesce(x.author, '') NOT LIKE '%[bot]'
         GROUP BY c.pr_id
    ),
    t AS (
        SELECT c.method, c.sampled, c.merged_at >= p_from AS merged_in,
               dora_clamp(c.deployed_at - coalesce(c.first_commit_at, fc.at,
                                                   c.created_at, c.merged_at)) AS lead,
               dora_clamp(c.created_at - coalesce(c.first_commit_at, fc.at)) AS coding,
               dora_clamp(pk.at - c.created_at) AS pickup,
               dora_clamp(c.merged_at - coalesce(pk.at, c.created_at)) AS review,
               dora_clamp(c.deployed_at - c.merged_at) AS deploy
          FROM c LEFT JOIN fc ON fc.pr_id = c.pr_id
                 LEFT JOIN pk ON pk.pr_id = c.pr_id
    )
    SELECT count(*) FILTER (WHERE merged_in),
           count(*) FILTER (WHERE merged_in AND sampled),
           count(*) FILTER (WHERE sampled),
           count(*) FILTER (WHERE sampled AND method = 'commit_range'),
           count(*) FILTER (WHERE sampled AND method = 'deployment_after_merge'),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY lead) FILTER (WHERE sampled),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY coding) FILTER (WHERE sampled),
           count(coding) FILTER (WHERE sampled),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY pickup) FILTER (WHERE sampled),
           count(pickup) FILTER (WHERE sampled),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY review) FILTER (WHERE sampled),
           count(review) FILTER (WHERE sampled),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY deploy) FILTER (WHERE sampled),
           count(deploy) FILTER (WHERE sampled)
      FROM t
    $$;

CREATE OR REPLACE FUNCTION dora_lead_time(p_from timestamptz, p_to timestamptz,
                                          p_project text DEFAULT NULL,
                                          p_repo text DEFAULT NULL)
    RETURNS TABLE (merged bigint, merged_deployed bigint, changes bigint,
                   by_commit_range bigint, by_deployment_after_merge bigint,
                   median_seconds double precision,
                   coding_seconds double precision, coding_sample bigint,
                   pickup_seconds double precision, pickup_sample bigint,
                   review_seconds double precision, review_sample bigint,
                   deploy_seconds double precision, deploy_sample bigint)
    LANGUAGE sql STABLE
    AS $$ SELECT * FROM dora_lead_time_of(p_from, p_to, p_project, p_repo, NULL) $$;

-- When a run of a directory or source integration ends: resolve the
-- tenant's people (only once it has a directory). A failure is a warning
-- and a note in the run's stats, never a failed run; `pulse-host people
-- resolve` redoes it.
CREATE FUNCTION people_after_run() RETURNS trigger
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
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'people of tenant % were not resolved: %; run `pulse-host people resolve`',
                      NEW.tenant_id, SQLERRM;
        NEW.stats := coalesce(NEW.stats, '{}'::jsonb) ||
                     jsonb_build_object('people_error', SQLERRM);
    END;
    RETURN NEW;
END $$;

CREATE TRIGGER job_runs_people BEFORE UPDATE OF state ON job_runs
    FOR EACH ROW
    WHEN (OLD.state = 'RUNNING' AND NEW.state IN ('FINISHED', 'ERROR'))
    EXECUTE FUNCTION people_after_run();

-- people-resolve-104.sql: people_resolve as migration 104 defined it
-- (the loop over users that 110 replaced), as people_resolve_104, and
-- its people_commit_email_conflicts as people_commit_email_conflicts_104:
-- the references that tests/db/people-resolve-set.sh and
-- tests/bench/people-bench.sh measure 110 and 113 against. Load it as the app
-- role into a migrated database.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

CREATE OR REPLACE FUNCTION people_resolve_104(p_tenant bigint)
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
             WHERE tenant_id = p_tenant AND author IS NOT NULL
            UNION
            SELECT lower(author_login), integration_id FROM prs_commits
             WHERE tenant_id = p_tenant AND author_login IS NOT NULL
               AND deleted_at IS NULL) x
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
    -- over e-mail), else by the account's own e-mail, else (GitHub) by a
    -- commit e-mail of the login (104); only where exactly one person
    -- matches; never for an account linked by hand.
    CREATE TEMP TABLE IF NOT EXISTS people_want (
        kind text, account text, person_id bigint, method text) ON COMMIT DROP;
    TRUNCATE people_want;
    INSERT INTO people_want
    WITH dir AS MATERIALIZED (
        SELECT l.person_id, d AS u, d.mail, people_addresses(d) AS addrs
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
        UNION ALL
        SELECT 'github', ce.login, dir.person_id, 'commit_email', 3
          FROM people_commit_emails(p_tenant) ce
          JOIN dir ON ce.email = ANY (dir.addrs)
         WHERE ce.logins = 1
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
       AND l.method IN ('email', 'attribute', 'commit_email')
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

-- people_commit_email_conflicts as 104 defined it (people_addresses per
-- directory user), as people_commit_email_conflicts_104: the reference
-- for 113's set-based one.
CREATE OR REPLACE FUNCTION people_commit_email_conflicts_104(p_tenant bigint)
    RETURNS TABLE (email text, logins text[])
    LANGUAGE sql STABLE
    AS $$
    SELECT ce.email, array_agg(ce.login ORDER BY ce.login)
      FROM people_commit_emails(p_tenant) ce
     WHERE ce.logins > 1
       AND EXISTS (SELECT 1 FROM directory_users d
                    WHERE d.tenant_id = p_tenant AND d.deleted_at IS NULL
                      AND ce.email = ANY (people_addresses(d)))
     GROUP BY ce.email ORDER BY ce.email
    $$;

-- people-gen.sql: a generated tenant for people_resolve, with every rule
-- and every conflict of docs/people.md (psql, as the app role):
--   psql -v t=TENANT -v n=USERS -v phase=1 -f people-gen.sql
-- phase 1 makes the tenant; phase 2, after a resolve, changes it (users
-- deleted, restored and added, AD/Entra copies arriving for linked
-- people, mails moved, manual links). The same t-independent data for
-- every tenant, so two tenants resolved by two definitions compare.
-- Integrations are t*10+1 (ad), +2 (entra), +3 (github), +4 (jira).
\set ON_ERROR_STOP 1
SELECT :phase = 1 AS gen_make \gset
SET app.tenant_id = :'t';

\if :gen_make
INSERT INTO tenants (id, name) VALUES (:t, 'people-gen-' || :t);
INSERT INTO integrations (id, tenant_id, name, type, plugin, settings) VALUES
    (:t * 10 + 1, :t, 'ad', 'Data', 'ad', '{}'),
    (:t * 10 + 2, :t, 'entra', 'Data', 'entra', '{}'),
    (:t * 10 + 3, :t, 'gh', 'Data', 'github', '{}'),
    (:t * 10 + 4, :t, 'jira', 'Data', 'jira', '{}');
INSERT INTO people_settings (tenant_id, github_attribute, jira_attribute)
VALUES (:t, 'githubLogin', 'employee_id');

-- AD users. No immutable id (NULL or ''): a person each. 'imm-shared':
-- several AD users merged. Every 50th's mail is its neighbour's (two
-- people, one e-mail: no link). Every 13th's employee id is its
-- neighbour's Jira account (two people, one attribute: no link).
INSERT INTO directory_users (tenant_id, integration_id, external_id, source, principal_name,
                             mail, display_name, account_name, employee_id, immutable_id,
                             attributes, deleted_at)
SELECT :t, :t * 10 + 1, 'ad-' || i, 'ad', 'u' || i || '@acme.example',
       CASE WHEN i % 50 = 3 THEN 'U' || (i - 1) || '@Acme.example' ELSE 'u' || i || '@acme.example' END,
       'AD ' || i, 'u' || i,
       CASE WHEN i % 13 = 0 THEN 'jira-' || i WHEN i % 13 = 1 AND i > 13 THEN 'jira-' || (i - 1) END,
       CASE WHEN i % 10 = 0 THEN NULL WHEN i % 10 = 1 THEN '' WHEN i % 97 = 5 THEN 'imm-shared'
            ELSE 'imm-' || i END,
       jsonb_strip_nulls(jsonb_build_object(
           'githubLogin', CASE WHEN i % 7 = 0 THEN 'GH-' || (i + 2) END,
           'proxyAddresses', CASE WHEN i % 5 = 0 THEN jsonb_build_array(
               'SMTP:u' || i || '@acme.example', 'smtp:Alias-' || i || '@acme.example', 'X500:/o=acme') END)),
       CASE WHEN i % 17 = 0 THEN now() END
  FROM generate_series(1, :n) i;
-- Entra copies of every third (same immutable id: the same person).
INSERT INTO directory_users (tenant_id, integration_id, external_id, source, principal_name,
                             mail, display_name, immutable_id, deleted_at)
SELECT :t, :t * 10 + 2, 'en-' || i, 'entra', 'u' || i || '@acme.example',
       'u' || i || '@acme.example', 'Entra ' || i,
       CASE WHEN i % 10 = 0 THEN NULL WHEN i % 10 = 1 THEN '' WHEN i % 97 = 5 THEN 'imm-shared'
            ELSE 'imm-' || i END,
       CASE WHEN i % 51 = 0 THEN now() END
  FROM generate_series(3, :n, 3) i;

-- GitHub: PR authors (step 1), accounts with an e-mail (every 4th), and
-- the attribute of every 7th naming the login of i+2 (the attribute wins
-- over i+2's e-mail).
INSERT INTO repositories (tenant_id, integration_id, external_id, full_name)
VALUES (:t, :t * 10 + 3, 'acme/api', 'acme/api');
INSERT INTO prs (tenant_id, integration_id, external_id, repository_external_id, number, author)
SELECT :t, :t * 10 + 3, 'P' || i, 'acme/api', i,
       CASE WHEN i % 4 = 2 THEN 'Gh-' || i WHEN i % 99 = 0 THEN 'bot-' || i || '[bot]' ELSE 'gh-' || i END
  FROM generate_series(2, :n, 2) i;
INSERT INTO people_accounts (tenant_id, kind, account, email)
SELECT :t, 'github', 'gh-' || i, 'U' || i || '@acme.example'
  FROM generate_series(4, :n, 4) i;
-- Commit e-mails: proxy aliases of every 5th; every 25th's alias used by
-- two logins (a conflict); noreply addresses (never a link); every 20th
-- login also committing with another person's alias (its own e-mail, rule
-- 2, wins over rule 3).
INSERT INTO prs_commits (tenant_id, integration_id, external_id, pr_external_id, sha,
                         author_login, author_email)
SELECT :t, :t * 10 + 3, 'C' || i || ':' || x.k, 'P' || i, x.k || i, x.login, x.email
  FROM generate_series(5, :n, 5) i,
       LATERAL (VALUES ('a', 'gh-c' || i, 'alias-' || i || '@ACME.example'),
                       ('b', CASE WHEN i % 25 = 0 THEN 'gh-x' || i END, 'alias-' || i || '@acme.example'),
                       ('c', CASE WHEN i % 45 = 0 THEN 'gh-n' || i END, i || '+gh-n@users.noreply.github.com'),
                       ('d', CASE WHEN i % 20 = 0 THEN 'gh-' || i END, 'alias-' || (i + 5) || '@acme.example')
               ) AS x(k, login, email)
 WHERE x.login IS NOT NULL;

-- Jira: assignees (attribute matches) and a raw page giving some users'
-- e-mails (every 11th).
INSERT INTO work_items (tenant_id, integration_id, external_id, key, assignee, reporter)
SELECT :t, :t * 10 + 4, 'W' || i, 'A-' || i, 'jira-' || i, 'jacc-' || i
  FROM generate_series(13, :n, 13) i;
INSERT INTO raw_extraction_data (tenant_id, integration_id, entity, request_url, http_status, body)
SELECT :t, :t * 10 + 4, 'issues', '/rest/api/3/search/jql', 200,
       jsonb_build_object('issues', jsonb_agg(jsonb_build_object('id', 'W' || i, 'fields',
           jsonb_build_object('assignee', jsonb_build_object(
               'accountId', 'jacc-' || i, 'emailAddress', 'U' || i || '@acme.example',
               'displayName', 'J ' || i)))))
  FROM generate_series(11, :n, 11) i;

\else
-- Phase 2: what the next syncs bring.
UPDATE directory_users SET deleted_at = now()
 WHERE tenant_id = :t AND external_id ~ '^(ad|en)-'
   AND substr(external_id, 4)::int % 19 = 0;
UPDATE directory_users SET deleted_at = NULL
 WHERE tenant_id = :t AND external_id ~ '^ad-' AND substr(external_id, 4)::int % 34 = 0;
UPDATE directory_users SET mail = 'moved-' || external_id || '@acme.example'
 WHERE tenant_id = :t AND external_id ~ '^ad-' AND substr(external_id, 4)::int % 8 = 0;
-- Entra copies arriving for people already linked, and new AD users
-- (some sharing the immutable id of a person, some of a deleted one).
INSERT INTO directory_users (tenant_id, integration_id, external_id, source, principal_name,
                             mail, display_name, immutable_id)
SELECT :t, :t * 10 + 2, 'en-' || i, 'entra', 'u' || i || '@acme.example',
       'u' || i || '@acme.example', 'Entra ' || i,
       CASE WHEN i % 10 = 0 THEN NULL WHEN i % 10 = 1 THEN '' ELSE 'imm-' || i END
  FROM generate_series(1, :n, 3) i;
INSERT INTO directory_users (tenant_id, integration_id, external_id, source, principal_name,
                             mail, display_name, immutable_id)
SELECT :t, :t * 10 + 1, 'ad2-' || i, 'ad', 'v' || i || '@acme.example',
       'v' || i || '@acme.example', 'AD2 ' || i,
       CASE WHEN i % 2 = 0 THEN 'imm-' || i WHEN i % 3 = 0 THEN 'imm-new-' || (i / 9) END
  FROM generate_series(1, :n / 10) i;
-- Manual links: an account linked by e-mail moved to another person, and
-- one no rule links.
INSERT INTO people_links (tenant_id, person_id, kind, account, method)
SELECT :t, l.person_id, 'github', x.account, 'manual'
  FROM generate_series(40, :n, 40) i
  CROSS JOIN LATERAL (VALUES ('gh-' || i), ('gh-free-' || i)) AS x(account)
  JOIN people_links l ON l.tenant_id = :t AND l.kind = 'directory'
                     AND l.integration_id = :t * 10 + 1 AND l.account = 'ad-' || (i + 1)
ON CONFLICT (tenant_id, kind, account, (coalesce(integration_id, 0)))
DO UPDATE SET person_id = EXCLUDED.person_id, method = 'manual';
INSERT INTO people_accounts (tenant_id, kind, account, email)
SELECT :t, 'github', 'gh-late-' || i, 'v' || i || '@acme.example'
  FROM generate_series(1, :n / 10, 7) i;
\endif

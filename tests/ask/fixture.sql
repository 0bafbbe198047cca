-- The demo data of the ask tests: tenant :ta (acme) and tenant :tb, whose
-- every text holds SECRET-B so a leak is visible. Run as the admin.
INSERT INTO integrations (tenant_id, name, type, plugin) VALUES (:ta, 'gh', 'Data', 'github') RETURNING id AS ia \gset
INSERT INTO integrations (tenant_id, name, type, plugin) VALUES (:ta, 'jira', 'Data', 'jira') RETURNING id AS ja \gset
INSERT INTO integrations (tenant_id, name, type, plugin) VALUES (:tb, 'gh', 'Data', 'github') RETURNING id AS ib \gset

INSERT INTO repositories (tenant_id, integration_id, external_id, full_name, owner, name, default_branch, is_private, url, created_at, pushed_at) VALUES
 (:ta, :ia, 'acme/api', 'acme/api', 'acme', 'api', 'main', true, 'https://example.test/acme/api', '2025-01-10', '2026-11-20'),
 (:ta, :ia, 'acme/web', 'acme/web', 'acme', 'web', 'main', false, 'https://example.test/acme/web', '2025-03-01', '2026-11-18'),
 (:tb, :ib, 'secret-b/vault', 'secret-b/vault', 'secret-b', 'vault', 'SECRET-B', true, 'https://example.test/SECRET-B', '2025-01-01', '2026-11-01');

INSERT INTO prs (tenant_id, integration_id, external_id, repository_external_id, number, title, state, is_draft, author, base_ref, head_ref, commits_count, reviews_count, comments_count, first_commit_at, created_at, updated_at, merged_at, closed_at) VALUES
 (:ta, :ia, 'PR_api1', 'acme/api', 1, 'Add billing export', 'MERGED', false, 'alice', 'main', 'billing-export', 2, 1, 2, '2026-11-01 09:00Z', '2026-11-02 10:00Z', '2026-11-03 10:00Z', '2026-11-03 10:00Z', '2026-11-03 10:00Z'),
 (:ta, :ia, 'PR_api2', 'acme/api', 2, 'Fix login timeout', 'MERGED', false, 'bob', 'main', 'login-timeout', 1, 2, 1, '2026-11-05 08:00Z', '2026-11-05 09:00Z', '2026-11-06 09:00Z', '2026-11-06 09:00Z', '2026-11-06 09:00Z'),
 (:ta, :ia, 'PR_api3', 'acme/api', 3, 'Billing: retry failed charges', 'OPEN', false, 'alice', 'main', 'retry-charges', 3, 1, 0, '2026-11-09 08:00Z', '2026-11-10 08:00Z', '2026-11-13 08:00Z', NULL, NULL),
 (:ta, :ia, 'PR_api4', 'acme/api', 4, 'Refactor auth middleware', 'CLOSED', false, 'carol', 'main', 'auth-refactor', 1, 0, 0, '2026-11-12 11:00Z', '2026-11-12 12:00Z', '2026-11-14 12:00Z', NULL, '2026-11-14 12:00Z'),
 (:ta, :ia, 'PR_api5', 'acme/api', 5, 'Draft: new pricing page', 'OPEN', true, 'dave', 'main', 'pricing', 1, 0, 0, '2026-11-20 08:00Z', '2026-11-20 09:00Z', '2026-11-20 09:00Z', NULL, NULL),
 (:ta, :ia, 'PR_web1', 'acme/web', 1, 'Update landing copy', 'MERGED', false, 'dave', 'main', 'landing', 1, 1, 0, '2026-11-03 13:00Z', '2026-11-03 14:00Z', '2026-11-04 14:00Z', '2026-11-04 14:00Z', '2026-11-04 14:00Z'),
 (:ta, :ia, 'PR_web2', 'acme/web', 2, 'Dark mode', 'MERGED', false, 'carol', 'main', 'dark-mode', 2, 1, 1, '2026-11-07 10:00Z', '2026-11-08 10:00Z', '2026-11-12 10:00Z', '2026-11-12 10:00Z', '2026-11-12 10:00Z'),
 (:ta, :ia, 'PR_web3', 'acme/web', 3, 'Billing page redesign', 'OPEN', false, 'alice', 'main', 'billing-page', 1, 0, 0, '2026-11-18 09:00Z', '2026-11-18 10:00Z', '2026-11-18 10:00Z', NULL, NULL),
 (:tb, :ib, 'PR_b1', 'secret-b/vault', 1, 'SECRET-B merger plan', 'MERGED', false, 'mallory-SECRET-B', 'main', 'SECRET-B', 1, 1, 1, '2026-11-01 09:00Z', '2026-11-02 10:00Z', '2026-11-03 10:00Z', '2026-11-03 10:00Z', '2026-11-03 10:00Z');

INSERT INTO prs_reviews (tenant_id, integration_id, external_id, pr_external_id, state, author, submitted_at) VALUES
 (:ta, :ia, 'RV1', 'PR_api1', 'APPROVED', 'bob', '2026-11-02 16:00Z'),
 (:ta, :ia, 'RV2', 'PR_api2', 'CHANGES_REQUESTED', 'alice', '2026-11-05 10:00Z'),
 (:ta, :ia, 'RV3', 'PR_api2', 'APPROVED', 'alice', '2026-11-05 18:00Z'),
 (:ta, :ia, 'RV4', 'PR_api3', 'COMMENTED', 'carol', '2026-11-13 08:00Z'),
 (:ta, :ia, 'RV5', 'PR_web1', 'APPROVED', 'alice', '2026-11-03 15:00Z'),
 (:ta, :ia, 'RV6', 'PR_web2', 'APPROVED', 'bob', '2026-11-10 10:00Z'),
 (:tb, :ib, 'RVB', 'PR_b1', 'APPROVED', 'SECRET-B-reviewer', '2026-11-02 11:00Z');

INSERT INTO prs_comments (tenant_id, integration_id, external_id, pr_external_id, author, created_at) VALUES
 (:ta, :ia, 'C1', 'PR_api1', 'bob', '2026-11-02 15:00Z'),
 (:ta, :ia, 'C2', 'PR_api1', 'alice', '2026-11-02 17:00Z'),
 (:ta, :ia, 'C3', 'PR_api2', 'carol', '2026-11-05 11:00Z'),
 (:ta, :ia, 'C4', 'PR_web2', 'dave', '2026-11-09 10:00Z'),
 (:tb, :ib, 'CB', 'PR_b1', 'SECRET-B-commenter', '2026-11-02 12:00Z');

INSERT INTO prs_commits (tenant_id, integration_id, external_id, pr_external_id, sha, author, message, authored_at, committed_at) VALUES
 (:ta, :ia, 'PR_api1:a1', 'PR_api1', 'a1a1a1', 'alice', 'export invoices as CSV', '2026-11-01 09:00Z', '2026-11-01 09:00Z'),
 (:ta, :ia, 'PR_api1:a2', 'PR_api1', 'a2a2a2', 'alice', 'add tests', '2026-11-02 09:00Z', '2026-11-02 09:00Z'),
 (:ta, :ia, 'PR_api2:b1', 'PR_api2', 'b1b1b1', 'bob', 'raise login timeout', '2026-11-05 08:00Z', '2026-11-05 08:00Z'),
 (:ta, :ia, 'PR_web2:c1', 'PR_web2', 'c1c1c1', 'carol', 'dark theme', '2026-11-07 10:00Z', '2026-11-07 10:00Z'),
 (:ta, :ia, 'PR_web2:c2', 'PR_web2', 'c2c2c2', 'carol', 'dark theme toggle', '2026-11-08 09:00Z', '2026-11-08 09:00Z'),
 (:tb, :ib, 'PR_b1:x', 'PR_b1', 'bbbbbb', 'SECRET-B', 'SECRET-B commit', '2026-11-01 09:00Z', '2026-11-01 09:00Z');

INSERT INTO deployments (tenant_id, integration_id, external_id, repository_external_id, source, environment, is_production, sha, ref, status, created_at, finished_at) VALUES
 (:ta, :ia, 'deployment:1', 'acme/api', 'deployment', 'staging', false, 'a2a2a2', 'main', 'success', '2026-11-02 11:00Z', '2026-11-02 11:30Z'),
 (:ta, :ia, 'deployment:2', 'acme/api', 'deployment', 'production', true, 'a2a2a2', 'main', 'success', '2026-11-03 11:00Z', '2026-11-03 12:00Z'),
 (:ta, :ia, 'deployment:3', 'acme/api', 'deployment', 'production', true, 'b1b1b1', 'main', 'success', '2026-11-06 11:00Z', '2026-11-06 12:00Z'),
 (:ta, :ia, 'deployment:4', 'acme/api', 'deployment', 'production', true, 'b1b1b1', 'main', 'failure', '2026-11-07 11:00Z', '2026-11-07 12:00Z'),
 (:ta, :ia, 'deployment:5', 'acme/api', 'deployment', 'production', true, 'b1b1b1', 'main', 'success', '2026-11-07 14:00Z', '2026-11-07 15:00Z'),
 (:ta, :ia, 'deployment:6', 'acme/web', 'deployment', 'production', true, 'w1w1w1', 'main', 'success', '2026-11-04 15:00Z', '2026-11-04 16:00Z'),
 (:ta, :ia, 'deployment:7', 'acme/web', 'deployment', 'production', true, 'c2c2c2', 'main', 'success', '2026-11-12 11:00Z', '2026-11-12 12:00Z'),
 (:tb, :ib, 'deployment:B', 'secret-b/vault', 'deployment', 'SECRET-B', true, 'bbbbbb', 'main', 'success', '2026-11-03 11:00Z', '2026-11-03 12:00Z');

INSERT INTO projects (tenant_id, integration_id, external_id, key, name, project_type) VALUES
 (:ta, :ja, '10001', 'PAY', 'Payments', 'software'),
 (:ta, :ja, '10002', 'WEB', 'Website', 'software');

INSERT INTO wits_mappings (tenant_id, integration_id, source_name, canonical_type) VALUES
 (:ta, :ja, 'Story', 'Story'), (:ta, :ja, 'Bug', 'Bug'),
 (:ta, :ja, 'Incident', 'Incident'), (:ta, :ja, 'Task', 'Task');
INSERT INTO status_mappings (tenant_id, integration_id, source_name, category) VALUES
 (:ta, :ja, 'To Do', 'To Do'), (:ta, :ja, 'In Progress', 'In Progress'),
 (:ta, :ja, 'Done', 'Done');

INSERT INTO work_items (tenant_id, integration_id, external_id, key, project_external_id, wit_name, status_name, summary, priority, assignee, reporter, story_points, created_at, updated_at, resolved_at, work_started_at, work_done_at, cycle_time_seconds, lead_time_seconds) VALUES
 (:ta, :ja, '1', 'PAY-1', '10001', 'Story', 'Done', 'Export invoices', 'Medium', 'alice', 'erin', 5, '2026-10-20 09:00Z', '2026-11-03 10:00Z', '2026-11-03 10:00Z', '2026-10-25 09:00Z', '2026-11-03 10:00Z', 781200, 1213200),
 (:ta, :ja, '2', 'PAY-2', '10001', 'Bug', 'In Progress', 'Charge retried twice', 'High', 'alice', 'erin', 3, '2026-11-08 09:00Z', '2026-11-09 09:00Z', NULL, '2026-11-09 09:00Z', NULL, NULL, NULL),
 (:ta, :ja, '3', 'PAY-3', '10001', 'Incident', 'Done', 'Checkout outage', 'Highest', 'bob', 'erin', NULL, '2026-11-07 12:30Z', '2026-11-07 16:00Z', '2026-11-07 16:00Z', '2026-11-07 13:00Z', '2026-11-07 16:00Z', 10800, 12600),
 (:ta, :ja, '4', 'PAY-4', '10001', 'Task', 'To Do', 'Update tax table', 'Medium', 'bob', 'erin', 2, '2026-11-15 09:00Z', '2026-11-15 09:00Z', NULL, NULL, NULL, NULL, NULL),
 (:ta, :ja, '5', 'WEB-1', '10002', 'Story', 'Done', 'Dark mode', 'Medium', 'carol', 'dave', 8, '2026-11-01 09:00Z', '2026-11-12 10:00Z', '2026-11-12 10:00Z', '2026-11-02 09:00Z', '2026-11-12 10:00Z', 867600, 954000),
 (:ta, :ja, '6', 'WEB-2', '10002', 'Bug', 'To Do', 'Broken footer link', 'Low', NULL, 'dave', 1, '2026-11-19 09:00Z', '2026-11-19 09:00Z', NULL, NULL, NULL, NULL, NULL);

INSERT INTO changelogs (tenant_id, integration_id, external_id, work_item_external_id, author, field, from_string, to_string, changed_at) VALUES
 (:ta, :ja, 'h1:0', '1', 'alice', 'status', 'To Do', 'In Progress', '2026-10-25 09:00Z'),
 (:ta, :ja, 'h2:0', '1', 'alice', 'status', 'In Progress', 'Done', '2026-11-03 10:00Z'),
 (:ta, :ja, 'h3:0', '2', 'alice', 'status', 'To Do', 'In Progress', '2026-11-09 09:00Z'),
 (:ta, :ja, 'h4:0', '3', 'bob', 'status', 'To Do', 'In Progress', '2026-11-07 13:00Z'),
 (:ta, :ja, 'h5:0', '3', 'bob', 'status', 'In Progress', 'Done', '2026-11-07 16:00Z'),
 (:ta, :ja, 'h6:0', '5', 'carol', 'status', 'To Do', 'In Progress', '2026-11-02 09:00Z'),
 (:ta, :ja, 'h7:0', '5', 'carol', 'status', 'In Progress', 'Done', '2026-11-12 10:00Z'),
 (:ta, :ja, 'h8:0', '5', 'carol', 'priority', 'Low', 'Medium', '2026-11-02 09:30Z');

INSERT INTO sprints (tenant_id, integration_id, external_id, board_id, name, state, goal, start_at, end_at, complete_at) VALUES
 (:ta, :ja, '1', '7', 'Sprint 1', 'closed', 'Invoices', '2026-11-01Z', '2026-11-14Z', '2026-11-14 17:00Z'),
 (:ta, :ja, '2', '7', 'Sprint 2', 'active', 'Retries', '2026-11-15Z', '2026-11-28Z', NULL);

INSERT INTO directory_users (tenant_id, integration_id, external_id, display_name, principal_name, mail, enabled) VALUES
 (:ta, :ja, 'u1', 'Alice Adams', 'alice', 'alice@acme.test', true),
 (:ta, :ja, 'u2', 'Bob Brown', 'bob', 'bob@acme.test', true),
 (:ta, :ja, 'u3', 'Carol Chen', 'carol', 'carol@acme.test', true),
 (:ta, :ja, 'u4', 'Dave Diaz', 'dave', 'dave@acme.test', false),
 (:tb, :ib, 'ub', 'SECRET-B person', 'SECRET-B', 'secret-b@b.test', true);

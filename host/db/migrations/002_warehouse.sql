-- 002_warehouse: the unified model. Natural key of every canonical table
-- is (tenant_id, integration_id, external_id); loads are idempotent upserts
-- on it. Source timestamps are *_at columns; loaded_at is when we wrote the
-- row; deleted_at marks rows the source deleted.

CREATE TABLE projects (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,
    key text, name text, project_type text, url text,
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);

-- Work item types as the source names them.
CREATE TABLE wits (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,
    name text NOT NULL, description text, is_subtask boolean, hierarchy_level integer,
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);

-- Admin mapping: source type name -> canonical type.
CREATE TABLE wits_mappings (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    source_name text NOT NULL,
    canonical_type text NOT NULL
        CHECK (canonical_type IN ('Story', 'Bug', 'Task', 'Epic', 'Incident', 'Sub-task', 'Unmapped')),
    origin text NOT NULL DEFAULT 'default' CHECK (origin IN ('default', 'config', 'cli')),
    UNIQUE (tenant_id, integration_id, source_name)
);

CREATE TABLE wits_hierarchies (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    canonical_type text NOT NULL,
    level integer NOT NULL,          -- Epic 1 > Story 2 > Sub-task 3
    parent_type text,
    UNIQUE (tenant_id, integration_id, canonical_type)
);

CREATE TABLE statuses (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,
    name text NOT NULL,
    source_category text,            -- Jira statusCategory key: new | indeterminate | done
    project_external_id text,
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);

-- Admin mapping: source status name -> category.
CREATE TABLE status_mappings (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    source_name text NOT NULL,
    category text NOT NULL CHECK (category IN ('To Do', 'In Progress', 'Done')),
    origin text NOT NULL DEFAULT 'default' CHECK (origin IN ('default', 'config', 'cli')),
    UNIQUE (tenant_id, integration_id, source_name)
);

CREATE TABLE workflows (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,
    name text NOT NULL, description text,
    statuses jsonb, transitions jsonb,
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);

CREATE TABLE sprints (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,
    board_id text, name text, state text, goal text,
    start_at timestamptz, end_at timestamptz, complete_at timestamptz,
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);

CREATE TABLE work_items (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,       -- Jira numeric id
    key text,
    project_external_id text,
    wit_name text,                   -- source type name; canonical via wits_mappings
    status_name text,
    summary text, priority text, assignee text, reporter text,
    parent_external_id text,
    sprint_external_ids jsonb,
    labels jsonb,
    story_points double precision,
    created_at timestamptz, updated_at timestamptz, resolved_at timestamptz,
    -- derived from changelogs + status mappings after load
    work_started_at timestamptz, work_done_at timestamptz,
    cycle_time_seconds bigint, lead_time_seconds bigint,
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);
CREATE INDEX work_items_key ON work_items (tenant_id, key);
CREATE INDEX work_items_project ON work_items (tenant_id, integration_id, project_external_id);
CREATE INDEX work_items_wit ON work_items (tenant_id, integration_id, wit_name);

CREATE TABLE changelogs (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,       -- history id + ':' + item index
    work_item_external_id text NOT NULL,
    author text,
    field text NOT NULL,
    from_value text, to_value text, from_string text, to_string text,
    changed_at timestamptz NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);
CREATE INDEX changelogs_item ON changelogs (tenant_id, integration_id, work_item_external_id, changed_at);

CREATE TABLE repositories (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,       -- owner/name, lower-case
    full_name text NOT NULL, owner text, name text,
    default_branch text, url text, is_private boolean,
    created_at timestamptz, updated_at timestamptz, pushed_at timestamptz,
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);

CREATE TABLE prs (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,       -- GraphQL node id
    repository_external_id text NOT NULL,
    number integer NOT NULL,
    title text, state text CHECK (state IN ('OPEN', 'CLOSED', 'MERGED')),
    is_draft boolean, author text, base_ref text, head_ref text,
    merge_commit_sha text,
    commits_count integer, reviews_count integer, comments_count integer,
    first_commit_at timestamptz,     -- earliest authored commit, for lead time
    created_at timestamptz, updated_at timestamptz, merged_at timestamptz, closed_at timestamptz,
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);
CREATE INDEX prs_repo_number ON prs (tenant_id, repository_external_id, number);
CREATE INDEX prs_merged ON prs (tenant_id, repository_external_id, merged_at) WHERE merged_at IS NOT NULL;
CREATE INDEX prs_merge_sha ON prs (tenant_id, merge_commit_sha);

CREATE TABLE prs_commits (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,       -- pr node id + ':' + sha
    pr_external_id text NOT NULL,
    sha text NOT NULL, author text, message text,
    authored_at timestamptz, committed_at timestamptz,
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);
CREATE INDEX prs_commits_pr ON prs_commits (tenant_id, integration_id, pr_external_id);

CREATE TABLE prs_reviews (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,
    pr_external_id text NOT NULL,
    state text, author text, submitted_at timestamptz,
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);
CREATE INDEX prs_reviews_pr ON prs_reviews (tenant_id, integration_id, pr_external_id);

CREATE TABLE prs_comments (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,
    pr_external_id text NOT NULL,
    author text, created_at timestamptz,
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);
CREATE INDEX prs_comments_pr ON prs_comments (tenant_id, integration_id, pr_external_id);

-- Work item <-> PR, matched to prs by repository full name + number.
CREATE TABLE wits_prs_links (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,       -- work item id + ':' + pr url
    work_item_external_id text NOT NULL,
    repository_full_name text, pr_number integer, pr_url text, pr_status text,
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);
CREATE INDEX wits_prs_links_pr ON wits_prs_links (tenant_id, repository_full_name, pr_number);

CREATE TABLE deployments (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,       -- 'deployment:<id>' or 'release:<id>'
    repository_external_id text NOT NULL,
    source text NOT NULL DEFAULT 'deployment' CHECK (source IN ('deployment', 'release')),
    environment text, is_production boolean NOT NULL DEFAULT false,
    sha text, ref text,
    status text,                     -- latest status: success, failure, error, inactive, ...
    created_at timestamptz,
    finished_at timestamptz,         -- time of the latest status
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);
CREATE INDEX deployments_prod ON deployments (tenant_id, repository_external_id, finished_at)
    WHERE is_production AND status = 'success';

-- Commits a deployment shipped (GitHub compare previous deployment..this).
CREATE TABLE deployment_commits (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,       -- deployment external id + ':' + sha
    deployment_external_id text NOT NULL,
    sha text NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);
CREATE INDEX deployment_commits_sha ON deployment_commits (tenant_id, sha);

CREATE TABLE directory_users (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,
    display_name text, principal_name text, mail text, enabled boolean,
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);

CREATE TABLE directory_groups (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,
    name text, members jsonb,
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);

-- Changed entities waiting for embeddings.
CREATE TABLE vectorization_queue (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    entity text NOT NULL,
    external_id text NOT NULL,
    operation text NOT NULL CHECK (operation IN ('insert', 'update', 'delete')),
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vectorization_pending ON vectorization_queue (tenant_id, status, created_at);

CREATE TABLE vector_references (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    entity text NOT NULL,
    external_id text NOT NULL,
    collection text NOT NULL,
    point_id uuid NOT NULL,
    model text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, integration_id, entity, external_id, collection)
);

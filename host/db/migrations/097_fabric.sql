-- 097_fabric: the Microsoft Fabric source (plugins/source-fabric,
-- docs/fabric.md). Canonical rows, one per (tenant, integration,
-- external_id), loaded by the pipeline's loader like every source table.
-- Fabric's deploy operations go to `deployments` (002), so DORA reads them
-- with the rest.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

-- external_id: the workspace id (GUID). repository_external_id: the
-- repository (owner/name, lower case) the workspace is connected to by
-- Fabric's Git integration, if any; it links the workspace to a repository
-- we sync from GitHub.
CREATE TABLE fabric_workspaces (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,
    name text,
    description text,
    capacity_id text,
    git_provider text,                 -- 'GitHub', 'AzureDevOps'; NULL: not connected
    repository_external_id text,       -- owner/name of the connected repository
    git_branch text,
    git_directory text,
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);
CREATE INDEX fabric_workspaces_repo ON fabric_workspaces (tenant_id, repository_external_id);

-- external_id: the item id.
CREATE TABLE fabric_items (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,
    workspace_external_id text NOT NULL,
    item_type text NOT NULL,           -- DataPipeline, Notebook, Lakehouse...
    name text,
    description text,
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);
CREATE INDEX fabric_items_ws ON fabric_items (tenant_id, integration_id, workspace_external_id);

-- external_id: the job instance id. Fabric keeps only the 100 latest
-- finished runs per item; the rows here outlive that window.
CREATE TABLE fabric_job_runs (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,
    item_external_id text NOT NULL,
    workspace_external_id text NOT NULL,
    job_type text,
    invoke_type text,                  -- Scheduled | Manual
    status text,                       -- NotStarted InProgress Completed Failed Cancelled Deduped
    started_at timestamptz,
    ended_at timestamptz,
    failure_code text,
    failure_message text,
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);
CREATE INDEX fabric_job_runs_item ON fabric_job_runs (tenant_id, item_external_id, started_at);

-- Rows of customer tables read through an "API for GraphQL" item.
-- external_id: entity || '|' || record_key, so one integration may read
-- several entities; updated_at: the row's `updated` field, if configured.
CREATE TABLE fabric_records (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,
    entity text NOT NULL,
    record_key text NOT NULL,
    data jsonb NOT NULL,
    updated_at timestamptz,
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);
CREATE INDEX fabric_records_entity ON fabric_records (tenant_id, integration_id, entity, updated_at);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['fabric_workspaces', 'fabric_items',
                             'fabric_job_runs', 'fabric_records']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I
                        USING (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::bigint)
                        WITH CHECK (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::bigint)', t);
    END LOOP;
END $$;

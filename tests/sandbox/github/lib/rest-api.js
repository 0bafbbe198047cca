'use strict';
// GitHub REST endpoints of the sandbox (JSON shapes as api.github.com,
// 2022-11-28 API version). Handlers return {status, body, headers}; the
// server adds rate-limit headers, ETag / 304 and the Link header built here.

const { user, iso, nodeId, USERS } = require('./model');
const { oid: makeOid } = require('./rand');

const DOCS = 'https://docs.github.com/rest';

// The committer of squash merges made in the web UI.
const WEB_FLOW = { login: 'web-flow', restLogin: 'web-flow', id: 19864447, type: 'User' };

function notFound(doc) {
  return { status: 404, body: { message: 'Not Found', documentation_url: doc || DOCS, status: '404' } };
}

function simpleUser(ctx, u) {
  if (!u) return null;
  const login = u.restLogin || u.login;
  const api = ctx.apiBase;
  const html = u.type === 'Bot' ? `${ctx.htmlBase}/apps/${u.login}` : `${ctx.htmlBase}/${login}`;
  return {
    login,
    id: u.id,
    node_id: nodeId(u.type === 'Bot' ? 'bot' : u.type === 'Organization' ? 'org' : 'user', u.id),
    avatar_url: `${ctx.htmlBase}/avatars/u/${u.id}?v=4`,
    gravatar_id: '',
    url: `${api}/users/${encodeURIComponent(login)}`,
    html_url: html,
    followers_url: `${api}/users/${encodeURIComponent(login)}/followers`,
    following_url: `${api}/users/${encodeURIComponent(login)}/following{/other_user}`,
    gists_url: `${api}/users/${encodeURIComponent(login)}/gists{/gist_id}`,
    starred_url: `${api}/users/${encodeURIComponent(login)}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/users/${encodeURIComponent(login)}/subscriptions`,
    organizations_url: `${api}/users/${encodeURIComponent(login)}/orgs`,
    repos_url: `${api}/users/${encodeURIComponent(login)}/repos`,
    events_url: `${api}/users/${encodeURIComponent(login)}/events{/privacy}`,
    received_events_url: `${api}/users/${encodeURIComponent(login)}/received_events`,
    type: u.type,
    user_view_type: 'public',
    site_admin: false,
  };
}

class RestApi {
  constructor(sandbox) {
    this.sb = sandbox;
    const R = '/repos/([^/]+)/([^/]+)';
    this.routes = [
      ['GET /rate_limit', /^\/rate_limit$/, this.rateLimit, `${DOCS}/rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user`],
      ['GET /user', /^\/user$/, this.authUser, `${DOCS}/users/users#get-the-authenticated-user`],
      ['GET /orgs/{org}', /^\/orgs\/([^/]+)$/, this.getOrg, `${DOCS}/orgs/orgs#get-an-organization`],
      ['GET /orgs/{org}/repos', /^\/orgs\/([^/]+)\/repos$/, this.orgRepos, `${DOCS}/repos/repos#list-organization-repositories`],
      ['GET /repos/{owner}/{repo}', new RegExp(`^${R}$`), this.getRepo, `${DOCS}/repos/repos#get-a-repository`],
      ['GET /repos/{owner}/{repo}/deployments', new RegExp(`^${R}/deployments$`), this.listDeployments, `${DOCS}/deployments/deployments#list-deployments`],
      ['GET /repos/{owner}/{repo}/deployments/{id}', new RegExp(`^${R}/deployments/(\\d+)$`), this.getDeployment, `${DOCS}/deployments/deployments#get-a-deployment`],
      ['GET /repos/{owner}/{repo}/deployments/{id}/statuses', new RegExp(`^${R}/deployments/(\\d+)/statuses$`), this.listStatuses, `${DOCS}/deployments/statuses#list-deployment-statuses`],
      ['GET /repos/{owner}/{repo}/deployments/{id}/statuses/{status_id}', new RegExp(`^${R}/deployments/(\\d+)/statuses/(\\d+)$`), this.getStatus, `${DOCS}/deployments/statuses#get-a-deployment-status`],
      ['GET /repos/{owner}/{repo}/releases', new RegExp(`^${R}/releases$`), this.listReleases, `${DOCS}/releases/releases#list-releases`],
      ['GET /repos/{owner}/{repo}/releases/latest', new RegExp(`^${R}/releases/latest$`), this.latestRelease, `${DOCS}/releases/releases#get-the-latest-release`],
      ['GET /repos/{owner}/{repo}/releases/tags/{tag}', new RegExp(`^${R}/releases/tags/(.+)$`), this.releaseByTag, `${DOCS}/releases/releases#get-a-release-by-tag-name`],
      ['GET /repos/{owner}/{repo}/releases/{id}', new RegExp(`^${R}/releases/(\\d+)$`), this.getRelease, `${DOCS}/releases/releases#get-a-release`],
      ['GET /repos/{owner}/{repo}/compare/{basehead}', new RegExp(`^${R}/compare/(.+)$`), this.compare, `${DOCS}/commits/commits#compare-two-commits`],
      ['GET /repos/{owner}/{repo}/commits/{ref}', new RegExp(`^${R}/commits/([^/]+)$`), this.getCommit, `${DOCS}/commits/commits#get-a-commit`],
    ];
  }

  // -> {template, handler, params, doc} or null
  route(method, path) {
    for (const [template, re, handler, doc] of this.routes) {
      if (!template.startsWith(`${method} `)) continue;
      const m = re.exec(path);
      if (m) return { template, handler, params: m.slice(1).map(decodeURIComponent), doc };
    }
    return null;
  }

  // ctx: {apiBase, htmlBase, origin, rawPath, query (URLSearchParams), rate(resource)}
  handle(match, ctx) {
    ctx.doc = match.doc;
    return match.handler.call(this, ctx, ...match.params);
  }

  // ---------------------------------------------------------------- helpers

  repoFor(owner, name) {
    return this.sb.findRepo(owner, name);
  }

  fullName(repo) {
    return `${this.sb.orgLogin}/${repo.name}`;
  }

  // Slice `items` for per_page/page and build GitHub's Link header.
  paginate(ctx, items) {
    const q = ctx.query;
    let perPage = parseInt(q.get('per_page'), 10);
    if (!Number.isFinite(perPage) || perPage < 1) perPage = 30;
    if (perPage > 100) perPage = 100;
    let page = parseInt(q.get('page'), 10);
    if (!Number.isFinite(page) || page < 1) page = 1;
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const url = (p) => {
      const params = new URLSearchParams(q);
      params.set('page', String(p));
      if (!params.has('per_page') && q.has('per_page')) params.set('per_page', String(perPage));
      return `${ctx.origin}${ctx.rawPath}?${params.toString()}`;
    };
    const links = [];
    if (page > 1) links.push(`<${url(Math.min(page - 1, last))}>; rel="prev"`);
    if (page < last) links.push(`<${url(page + 1)}>; rel="next"`);
    if (page < last) links.push(`<${url(last)}>; rel="last"`);
    if (page > 1) links.push(`<${url(1)}>; rel="first"`);
    return { items: slice, link: links.length ? links.join(', ') : null };
  }

  ok(body, link) {
    const r = { status: 200, body, headers: {} };
    if (link) r.headers.link = link;
    return r;
  }

  orgOwner(ctx) {
    const o = this.sb.org;
    return simpleUser(ctx, { login: o.login, id: o.id, type: 'Organization' });
  }

  repoJson(ctx, repo, full) {
    const a = `${ctx.apiBase}/repos/${this.fullName(repo)}`;
    const html = `${ctx.htmlBase}/${this.fullName(repo)}`;
    const openCount = repo.prs.reduce((n, p) => n + (p.state === 'OPEN' ? 1 : 0), 0);
    const host = ctx.htmlBase.replace(/^https?:\/\//, '');
    const j = {
      id: repo.id,
      node_id: repo.nodeId,
      name: repo.name,
      full_name: this.fullName(repo),
      private: repo.private,
      owner: this.orgOwner(ctx),
      html_url: html,
      description: repo.description,
      fork: false,
      url: a,
      forks_url: `${a}/forks`,
      keys_url: `${a}/keys{/key_id}`,
      collaborators_url: `${a}/collaborators{/collaborator}`,
      teams_url: `${a}/teams`,
      hooks_url: `${a}/hooks`,
      issue_events_url: `${a}/issues/events{/number}`,
      events_url: `${a}/events`,
      assignees_url: `${a}/assignees{/user}`,
      branches_url: `${a}/branches{/branch}`,
      tags_url: `${a}/tags`,
      blobs_url: `${a}/git/blobs{/sha}`,
      git_tags_url: `${a}/git/tags{/sha}`,
      git_refs_url: `${a}/git/refs{/sha}`,
      trees_url: `${a}/git/trees{/sha}`,
      statuses_url: `${a}/statuses/{sha}`,
      languages_url: `${a}/languages`,
      stargazers_url: `${a}/stargazers`,
      contributors_url: `${a}/contributors`,
      subscribers_url: `${a}/subscribers`,
      subscription_url: `${a}/subscription`,
      commits_url: `${a}/commits{/sha}`,
      git_commits_url: `${a}/git/commits{/sha}`,
      comments_url: `${a}/comments{/number}`,
      issue_comment_url: `${a}/issues/comments{/number}`,
      contents_url: `${a}/contents/{+path}`,
      compare_url: `${a}/compare/{base}...{head}`,
      merges_url: `${a}/merges`,
      archive_url: `${a}/{archive_format}{/ref}`,
      downloads_url: `${a}/downloads`,
      issues_url: `${a}/issues{/number}`,
      pulls_url: `${a}/pulls{/number}`,
      milestones_url: `${a}/milestones{/number}`,
      notifications_url: `${a}/notifications{?since,all,participating}`,
      labels_url: `${a}/labels{/name}`,
      releases_url: `${a}/releases{/id}`,
      deployments_url: `${a}/deployments`,
      created_at: iso(repo.createdAt),
      updated_at: iso(repo.updatedAt),
      pushed_at: iso(repo.pushedAt),
      git_url: `git://${host}/${this.fullName(repo)}.git`,
      ssh_url: `git@${host}:${this.fullName(repo)}.git`,
      clone_url: `${html}.git`,
      svn_url: html,
      homepage: null,
      size: 1000 + repo.prs.length * 7,
      stargazers_count: repo.stars,
      watchers_count: repo.stars,
      language: repo.language,
      has_issues: true,
      has_projects: true,
      has_downloads: true,
      has_wiki: false,
      has_pages: false,
      has_discussions: false,
      forks_count: 0,
      mirror_url: null,
      archived: false,
      disabled: false,
      open_issues_count: openCount,
      license: null,
      allow_forking: false,
      is_template: false,
      web_commit_signoff_required: false,
      topics: [],
      visibility: repo.private ? 'private' : 'public',
      forks: 0,
      open_issues: openCount,
      watchers: repo.stars,
      default_branch: 'main',
      permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
    };
    if (full) {
      Object.assign(j, {
        temp_clone_token: '',
        allow_squash_merge: true,
        allow_merge_commit: false,
        allow_rebase_merge: false,
        allow_auto_merge: false,
        delete_branch_on_merge: true,
        allow_update_branch: false,
        use_squash_pr_title_as_default: true,
        squash_merge_commit_message: 'COMMIT_MESSAGES',
        squash_merge_commit_title: 'COMMIT_OR_PR_TITLE',
        merge_commit_message: 'PR_TITLE',
        merge_commit_title: 'MERGE_MESSAGE',
        organization: this.orgOwner(ctx),
        network_count: 0,
        subscribers_count: 3 + (repo.idx % 7),
      });
    }
    return j;
  }

  deploymentJson(ctx, repo, d) {
    const a = `${ctx.apiBase}/repos/${this.fullName(repo)}`;
    return {
      url: `${a}/deployments/${d.id}`,
      id: d.id,
      node_id: nodeId('deployment', repo.idx, d.id),
      task: d.task,
      original_environment: d.environment,
      environment: d.environment,
      description: d.description || `Deploy ${d.sha.slice(0, 7)} to ${d.environment}`,
      created_at: iso(d.createdAt),
      updated_at: iso(d.updatedAt),
      statuses_url: `${a}/deployments/${d.id}/statuses`,
      repository_url: a,
      creator: simpleUser(ctx, user(d.creatorIdx)),
      sha: d.sha,
      ref: d.ref,
      payload: {},
      transient_environment: false,
      production_environment: d.environment !== 'staging',
      performed_via_github_app: null,
    };
  }

  statusJson(ctx, repo, d, s) {
    const a = `${ctx.apiBase}/repos/${this.fullName(repo)}`;
    return {
      url: `${a}/deployments/${d.id}/statuses/${s.id}`,
      id: s.id,
      node_id: nodeId('dstatus', repo.idx, s.id),
      state: s.state,
      creator: simpleUser(ctx, user(s.creatorIdx)),
      description: s.description || `Deployment ${s.state.replace('_', ' ')}`,
      environment: d.environment,
      target_url: '',
      created_at: iso(s.createdAt),
      updated_at: iso(s.createdAt),
      deployment_url: `${a}/deployments/${d.id}`,
      repository_url: a,
      environment_url: '',
      log_url: '',
      performed_via_github_app: null,
    };
  }

  releaseJson(ctx, repo, r) {
    const a = `${ctx.apiBase}/repos/${this.fullName(repo)}`;
    const html = `${ctx.htmlBase}/${this.fullName(repo)}`;
    return {
      url: `${a}/releases/${r.id}`,
      assets_url: `${a}/releases/${r.id}/assets`,
      upload_url: `${ctx.origin}/uploads/repos/${this.fullName(repo)}/releases/${r.id}/assets{?name,label}`,
      html_url: r.draft ? `${html}/releases/tag/untagged-${r.id}` : `${html}/releases/tag/${r.tag}`,
      id: r.id,
      author: simpleUser(ctx, user(r.authorIdx)),
      node_id: nodeId('release', repo.idx, r.id),
      tag_name: r.tag,
      target_commitish: r.targetCommitish,
      name: r.name,
      draft: r.draft,
      immutable: false,
      prerelease: r.prerelease,
      created_at: iso(r.createdAt),
      updated_at: iso(r.publishedAt || r.createdAt),
      published_at: iso(r.publishedAt),
      assets: [],
      tarball_url: `${a}/tarball/${r.tag}`,
      zipball_url: `${a}/zipball/${r.tag}`,
      body: r.body,
    };
  }

  commitJson(ctx, repo, c) {
    const a = `${ctx.apiBase}/repos/${this.fullName(repo)}`;
    const html = `${ctx.htmlBase}/${this.fullName(repo)}`;
    const author = user(c.authorIdx);
    const committer = c.committerIdx === null ? WEB_FLOW : user(c.committerIdx);
    const tree = makeOid(repo.idx, parseInt(c.oid.slice(0, 8), 16), 0x7ee);
    return {
      sha: c.oid,
      node_id: nodeId('commit', repo.idx, c.oid),
      commit: {
        author: { name: c.authorName, email: c.authorEmail, date: iso(c.authoredDate) },
        committer: { name: c.committerName, email: c.committerEmail, date: iso(c.committedDate) },
        message: c.message,
        tree: { sha: tree, url: `${a}/git/trees/${tree}` },
        url: `${a}/git/commits/${c.oid}`,
        comment_count: 0,
        verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
      },
      url: `${a}/commits/${c.oid}`,
      html_url: `${html}/commit/${c.oid}`,
      comments_url: `${a}/commits/${c.oid}/comments`,
      author: simpleUser(ctx, author),
      committer: simpleUser(ctx, committer),
      parents: this.sb.parentsOf(repo, c).map((p) => ({ sha: p, url: `${a}/commits/${p}`, html_url: `${html}/commit/${p}` })),
    };
  }

  // ---------------------------------------------------------------- handlers

  rateLimit(ctx) {
    const core = ctx.rate('core');
    const graphql = ctx.rate('graphql');
    const fixed = (limit) => ({ limit, used: 0, remaining: limit, reset: core.reset });
    return this.ok({
      resources: {
        core,
        search: fixed(30),
        graphql,
        integration_manifest: fixed(5000),
        source_import: fixed(100),
        code_scanning_upload: fixed(1000),
        actions_runner_registration: fixed(10000),
        scim: fixed(15000),
        dependency_snapshots: fixed(100),
        code_search: fixed(10),
        audit_log: fixed(1750),
      },
      rate: core,
    });
  }

  authUser(ctx) {
    const u = simpleUser(ctx, Object.assign({}, USERS[0]));
    return this.ok(Object.assign(u, {
      name: USERS[0].name, company: null, blog: '', location: null, email: null, hireable: null, bio: null,
      twitter_username: null, public_repos: 0, public_gists: 0, followers: 0, following: 0,
      created_at: iso(this.sb.org.createdAt), updated_at: iso(this.sb.epochS - 86400),
    }));
  }

  getOrg(ctx, org) {
    if (org.toLowerCase() !== this.sb.orgLogin.toLowerCase()) return notFound(ctx.doc);
    const o = this.sb.org;
    const base = this.orgOwner(ctx);
    return this.ok({
      login: o.login, id: o.id, node_id: o.nodeId, url: `${ctx.apiBase}/orgs/${o.login}`,
      repos_url: `${ctx.apiBase}/orgs/${o.login}/repos`, events_url: `${ctx.apiBase}/orgs/${o.login}/events`,
      hooks_url: `${ctx.apiBase}/orgs/${o.login}/hooks`, issues_url: `${ctx.apiBase}/orgs/${o.login}/issues`,
      members_url: `${ctx.apiBase}/orgs/${o.login}/members{/member}`,
      public_members_url: `${ctx.apiBase}/orgs/${o.login}/public_members{/member}`,
      avatar_url: base.avatar_url, description: `${o.name} (GitHub sandbox)`, name: o.name, company: null,
      blog: '', location: null, email: null, twitter_username: null, is_verified: false,
      has_organization_projects: true, has_repository_projects: true,
      public_repos: this.sb.repos.filter((r) => !r.private).length, public_gists: 0, followers: 0, following: 0,
      html_url: `${ctx.htmlBase}/${o.login}`, created_at: iso(o.createdAt), updated_at: iso(this.sb.epochS - 86400),
      archived_at: null, type: 'Organization', total_private_repos: this.sb.repos.filter((r) => r.private).length,
      owned_private_repos: this.sb.repos.filter((r) => r.private).length,
    });
  }

  orgRepos(ctx, org) {
    if (org.toLowerCase() !== this.sb.orgLogin.toLowerCase()) return notFound(ctx.doc);
    const q = ctx.query;
    const type = q.get('type') || 'all';
    const sort = q.get('sort') || 'created';
    if (!['all', 'public', 'private', 'forks', 'sources', 'member'].includes(type) ||
        !['created', 'updated', 'pushed', 'full_name'].includes(sort) ||
        (q.has('direction') && !['asc', 'desc'].includes(q.get('direction')))) {
      return {
        status: 422,
        body: { message: 'Validation Failed', errors: [{ resource: 'Search', field: 'q', code: 'invalid' }], documentation_url: ctx.doc, status: '422' },
      };
    }
    const direction = q.get('direction') || (sort === 'full_name' ? 'asc' : 'desc');
    let list = this.sb.repos.slice();
    if (type === 'public') list = list.filter((r) => !r.private);
    else if (type === 'private') list = list.filter((r) => r.private);
    else if (type === 'forks') list = [];
    const key = { created: (r) => r.createdAt, updated: (r) => r.updatedAt, pushed: (r) => r.pushedAt }[sort];
    list.sort((a, b) => {
      if (!key) return a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0;
      return key(a) - key(b) || a.id - b.id;
    });
    if (direction === 'desc') list.reverse();
    const page = this.paginate(ctx, list);
    return this.ok(page.items.map((r) => this.repoJson(ctx, r, false)), page.link);
  }

  getRepo(ctx, owner, name) {
    const repo = this.repoFor(owner, name);
    if (!repo) return notFound(ctx.doc);
    return this.ok(this.repoJson(ctx, repo, true));
  }

  listDeployments(ctx, owner, name) {
    const repo = this.repoFor(owner, name);
    if (!repo) return notFound(ctx.doc);
    const q = ctx.query;
    let list = repo.deployments.slice().reverse(); // newest first
    const f = (k, fn) => {
      if (q.has(k) && q.get(k) !== '') list = list.filter(fn(q.get(k)));
    };
    f('sha', (v) => (d) => d.sha === v);
    f('ref', (v) => (d) => d.ref === v);
    f('task', (v) => (d) => d.task === v);
    f('environment', (v) => (d) => d.environment === v);
    const page = this.paginate(ctx, list);
    return this.ok(page.items.map((d) => this.deploymentJson(ctx, repo, d)), page.link);
  }

  getDeployment(ctx, owner, name, id) {
    const repo = this.repoFor(owner, name);
    const d = repo && repo.deploymentById.get(Number(id));
    if (!d) return notFound(ctx.doc);
    return this.ok(this.deploymentJson(ctx, repo, d));
  }

  listStatuses(ctx, owner, name, id) {
    const repo = this.repoFor(owner, name);
    const d = repo && repo.deploymentById.get(Number(id));
    if (!d) return notFound(ctx.doc);
    const list = d.statuses.slice().reverse(); // newest first, as GitHub
    const page = this.paginate(ctx, list);
    return this.ok(page.items.map((s) => this.statusJson(ctx, repo, d, s)), page.link);
  }

  getStatus(ctx, owner, name, id, sid) {
    const repo = this.repoFor(owner, name);
    const d = repo && repo.deploymentById.get(Number(id));
    const s = d && d.statuses.find((x) => x.id === Number(sid));
    if (!s) return notFound(ctx.doc);
    return this.ok(this.statusJson(ctx, repo, d, s));
  }

  sortedReleases(repo) {
    return repo.releases.slice().sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
  }

  listReleases(ctx, owner, name) {
    const repo = this.repoFor(owner, name);
    if (!repo) return notFound(ctx.doc);
    const page = this.paginate(ctx, this.sortedReleases(repo));
    return this.ok(page.items.map((r) => this.releaseJson(ctx, repo, r)), page.link);
  }

  latestRelease(ctx, owner, name) {
    const repo = this.repoFor(owner, name);
    if (!repo) return notFound(ctx.doc);
    const r = this.sortedReleases(repo).find((x) => !x.draft && !x.prerelease);
    return r ? this.ok(this.releaseJson(ctx, repo, r)) : notFound(ctx.doc);
  }

  releaseByTag(ctx, owner, name, tag) {
    const repo = this.repoFor(owner, name);
    const r = repo && repo.releases.find((x) => x.tag === tag && !x.draft);
    return r ? this.ok(this.releaseJson(ctx, repo, r)) : notFound(ctx.doc);
  }

  getRelease(ctx, owner, name, id) {
    const repo = this.repoFor(owner, name);
    const r = repo && repo.releases.find((x) => x.id === Number(id));
    return r ? this.ok(this.releaseJson(ctx, repo, r)) : notFound(ctx.doc);
  }

  compare(ctx, owner, name, basehead) {
    const repo = this.repoFor(owner, name);
    if (!repo) return notFound(ctx.doc);
    let sep = basehead.indexOf('...');
    let sepLen = 3;
    if (sep < 0) {
      sep = basehead.indexOf('..');
      sepLen = 2;
    }
    if (sep <= 0) return notFound(ctx.doc);
    const base = basehead.slice(0, sep);
    const head = basehead.slice(sep + sepLen);
    const cmp = this.sb.compare(repo, base, head);
    if (!cmp) return notFound(ctx.doc);
    const sb = this.sb;
    const a = `${ctx.apiBase}/repos/${this.fullName(repo)}`;
    const html = `${ctx.htmlBase}/${this.fullName(repo)}`;
    const baseCommit = sb.commitAt(repo, cmp.base);
    const headCommit = sb.commitAt(repo, cmp.head);
    let positions = cmp.commits;
    let link = null;
    const paged = ctx.query.has('per_page') || ctx.query.has('page');
    if (paged) {
      const p = this.paginate(ctx, positions);
      positions = p.items;
      link = p.link;
    } else if (positions.length > 250) {
      positions = positions.slice(0, 250);
    }
    const firstPage = !paged || !ctx.query.has('page') || Number(ctx.query.get('page')) <= 1;
    const body = {
      url: `${a}/compare/${basehead}`,
      html_url: `${html}/compare/${basehead}`,
      permalink_url: `${html}/compare/${this.sb.orgLogin}:${baseCommit.oid.slice(0, 7)}...${this.sb.orgLogin}:${headCommit.oid.slice(0, 7)}`,
      diff_url: `${html}/compare/${basehead}.diff`,
      patch_url: `${html}/compare/${basehead}.patch`,
      base_commit: this.commitJson(ctx, repo, baseCommit),
      merge_base_commit: this.commitJson(ctx, repo, sb.commitAt(repo, cmp.mergeBase)),
      status: cmp.status,
      ahead_by: cmp.aheadBy,
      behind_by: cmp.behindBy,
      total_commits: cmp.aheadBy,
      commits: positions.map((pos) => this.commitJson(ctx, repo, sb.commitAt(repo, pos))),
    };
    if (firstPage) body.files = [];
    return this.ok(body, link);
  }

  getCommit(ctx, owner, name, ref) {
    const repo = this.repoFor(owner, name);
    if (!repo) return notFound(ctx.doc);
    const pos = this.sb.resolveRef(repo, ref);
    if (!pos) {
      return {
        status: 422,
        body: { message: `No commit found for SHA: ${ref}`, documentation_url: ctx.doc, status: '422' },
      };
    }
    const c = this.commitJson(ctx, repo, this.sb.commitAt(repo, pos));
    c.stats = { total: 12, additions: 10, deletions: 2 };
    c.files = [];
    return this.ok(c);
  }
}

module.exports = { RestApi, notFound, simpleUser };

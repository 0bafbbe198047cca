'use strict';
// GitHub GraphQL endpoint of the sandbox.
//
// Queries are parsed, validated and executed by the `graphql` package against
// GitHub's published schema (@octokit/graphql-schema, schema.graphql), so a
// query GitHub would reject is rejected here too. Before execution, a walk of
// the operation applies GitHub's connection rules (every connection needs
// `first` or `last`, at most 100; at most 500,000 nodes) and computes the
// point cost the way GitHub documents it: one request per connection, times
// the `first`/`last` of every enclosing connection, summed, divided by 100,
// rounded, minimum 1.
//
// Resolvers are "view" objects over the sandbox model; a field the sandbox
// does not model resolves to null, or to an empty connection / a zero value
// when the schema says it cannot be null.

const fs = require('fs');
const path = require('path');
const g = require('graphql');
const { user, iso, nodeId, decodeNodeId, USERS } = require('./model');
const { b64, unb64 } = require('./rand');

const MAX_PAGE = 100;
const MAX_NODES = 500000;

function findSchemaFile() {
  const candidates = [path.join(__dirname, '..', 'node_modules', '@octokit', 'graphql-schema', 'schema.graphql')];
  for (const dir of (require.resolve.paths('@octokit/graphql-schema') || [])) {
    candidates.push(path.join(dir, '@octokit', 'graphql-schema', 'schema.graphql'));
  }
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new Error('cannot find @octokit/graphql-schema/schema.graphql; run tests/sandbox/github/ensure-deps.sh');
}

function loadSchema() {
  const file = findSchemaFile();
  const sdl = fs.readFileSync(file, 'utf8');
  return g.buildSchema(sdl, { assumeValidSDL: true });
}

// An error that GitHub reports with a top-level "type" (NOT_FOUND, ...).
class TypedError extends Error {
  constructor(type, message) {
    super(message);
    this.ghType = type;
  }
}

// ------------------------------------------------------------------ paging

function indexCursor(i) {
  return b64(`cursor:v2:${i}`);
}

function decodeIndexCursor(c, argName) {
  const s = unb64(c);
  const m = /^cursor:v2:(\d+)$/.exec(s);
  if (!m) throw new TypedError('INVALID_CURSOR_ARGUMENTS', `\`${c}\` does not appear to be a valid cursor.`);
  return Number(m[1]);
}

// Window [start, end) of a list of `total` items for first/after/last/before,
// where positions are list indices.
function window(total, args, cursorToIndex) {
  let start = 0;
  let end = total;
  if (args.after !== undefined && args.after !== null) start = Math.min(total, cursorToIndex(args.after, 'after', true));
  if (args.before !== undefined && args.before !== null) end = Math.max(start, Math.min(end, cursorToIndex(args.before, 'before', false)));
  if (typeof args.first === 'number') end = Math.min(end, start + args.first);
  if (typeof args.last === 'number') start = Math.max(start, end - args.last);
  return { start, end };
}

class Connection {
  // items(i) returns node i of the full list; cursorOf(i) its cursor.
  constructor(total, args, nodeAt, cursorOf, cursorToIndex) {
    this._total = total;
    const w = window(total, args, cursorToIndex);
    this._start = w.start;
    this._end = w.end;
    this._nodeAt = nodeAt;
    this._cursorOf = cursorOf;
    this._nodes = null;
  }
  totalCount() {
    return this._total;
  }
  _list() {
    if (!this._nodes) {
      this._nodes = [];
      for (let i = this._start; i < this._end; i++) this._nodes.push(this._nodeAt(i));
    }
    return this._nodes;
  }
  nodes() {
    return this._list();
  }
  edges() {
    return this._list().map((node, j) => ({ cursor: this._cursorOf(this._start + j), node }));
  }
  pageInfo() {
    const empty = this._end <= this._start;
    return {
      hasNextPage: this._end < this._total,
      hasPreviousPage: this._start > 0,
      startCursor: empty ? null : this._cursorOf(this._start),
      endCursor: empty ? null : this._cursorOf(this._end - 1),
    };
  }
}

function indexConnection(total, args, nodeAt) {
  return new Connection(total, args, nodeAt, indexCursor, (c, which) => {
    const i = decodeIndexCursor(c, which);
    return which === 'after' ? i + 1 : i;
  });
}

function emptyConnection() {
  return {
    totalCount: 0,
    nodes: [],
    edges: [],
    pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
  };
}

// ------------------------------------------------------------------ views

function actor(api, idx) {
  const u = user(idx);
  if (!u) return null;
  const base = api.ctx.htmlBase;
  if (u.type === 'Bot') {
    return {
      __typename: 'Bot', login: u.login, id: nodeId('bot', u.id), databaseId: u.id,
      url: `${base}/apps/${u.login}`, avatarUrl: `${base}/avatars/${u.login}`, resourcePath: `/apps/${u.login}`,
    };
  }
  return {
    __typename: 'User', login: u.login, id: nodeId('user', u.id), databaseId: u.id, name: u.name,
    email: '', url: `${base}/${u.login}`, avatarUrl: `${base}/avatars/${u.login}`, resourcePath: `/${u.login}`,
    company: null, location: null, isSiteAdmin: false,
  };
}

function userOnly(api, idx) {
  const a = actor(api, idx);
  return a && a.__typename === 'User' ? a : null;
}

function gitActor(api, name, email, date, idx) {
  return { name, email, date: iso(date), user: () => userOnly(api, idx) };
}

class CommitView {
  constructor(api, repo, c) {
    this.__typename = 'Commit';
    this._api = api;
    this._repo = repo;
    this._c = c;
  }
  oid() { return this._c.oid; }
  abbreviatedOid() { return this._c.oid.slice(0, 7); }
  message() { return this._c.message; }
  messageHeadline() {
    const m = this._c.message;
    const nl = m.indexOf('\n');
    return nl < 0 ? m : m.slice(0, nl);
  }
  messageBody() {
    const m = this._c.message;
    const nl = m.indexOf('\n');
    return nl < 0 ? '' : m.slice(nl + 1).trim();
  }
  committedDate() { return iso(this._c.committedDate); }
  authoredDate() { return iso(this._c.authoredDate); }
  pushedDate() { return iso(this._c.committedDate); }
  additions() { return 10; }
  deletions() { return 2; }
  changedFilesIfAvailable() { return 1; }
  changedFiles() { return 1; }
  id() {
    return nodeId('commit', this._repo.idx, this._c.oid);
  }
  url() {
    return `${this._api.repoHtml(this._repo)}/commit/${this._c.oid}`;
  }
  commitUrl() {
    return this.url();
  }
  resourcePath() {
    return `/${this._api.sb.orgLogin}/${this._repo.name}/commit/${this._c.oid}`;
  }
  author() {
    const c = this._c;
    return gitActor(this._api, c.authorName, c.authorEmail, c.authoredDate, c.authorIdx);
  }
  committer() {
    const c = this._c;
    return gitActor(this._api, c.committerName, c.committerEmail, c.committedDate, c.committerIdx);
  }
  parents(args) {
    const api = this._api;
    const repo = this._repo;
    const ps = api.sb.parentsOf(repo, this._c);
    return indexConnection(ps.length, args, (i) => {
      const pos = api.sb.resolveRef(repo, ps[i]);
      return pos ? new CommitView(api, repo, api.sb.commitAt(repo, pos)) : null;
    });
  }
  repository() {
    return new RepoView(this._api, this._repo);
  }
}

class PullRequestView {
  constructor(api, repo, pr) {
    this.__typename = 'PullRequest';
    this._api = api;
    this._repo = repo;
    this._pr = pr;
  }
  get _sb() {
    return this._api.sb;
  }
  id() { return this._pr.id; }
  databaseId() { return this._pr.databaseId; }
  number() { return this._pr.number; }
  title() { return this._pr.title; }
  body() { return this._pr.body; }
  bodyText() { return this._pr.body; }
  state() { return this._pr.state; }
  isDraft() { return this._pr.isDraft; }
  closed() { return this._pr.state !== 'OPEN'; }
  merged() { return this._pr.state === 'MERGED'; }
  locked() { return false; }
  createdAt() { return iso(this._pr.createdAt); }
  updatedAt() { return iso(this._pr.updatedAt); }
  publishedAt() { return iso(this._pr.createdAt); }
  mergedAt() { return iso(this._pr.mergedAt); }
  closedAt() { return iso(this._pr.closedAt); }
  lastEditedAt() { return null; }
  author() { return actor(this._api, this._pr.authorIdx); }
  mergedBy() { return this._pr.mergedByIdx === null ? null : actor(this._api, this._pr.mergedByIdx); }
  baseRefName() { return this._pr.baseRefName; }
  headRefName() { return this._pr.headRefName; }
  additions() { return this._pr.additions; }
  deletions() { return this._pr.deletions; }
  changedFiles() { return this._pr.changedFiles; }
  totalCommentsCount() { return this._sb.prCommentCount(this._pr); }
  url() { return `${this._api.repoHtml(this._repo)}/pull/${this._pr.number}`; }
  permalink() { return this.url(); }
  resourcePath() { return `/${this._sb.orgLogin}/${this._repo.name}/pull/${this._pr.number}`; }
  repository() { return new RepoView(this._api, this._repo); }
  baseRepository() { return new RepoView(this._api, this._repo); }
  headRepository() { return new RepoView(this._api, this._repo); }
  isCrossRepository() { return false; }
  reviewDecision() {
    const sb = this._sb;
    const n = sb.prReviewCount(this._pr);
    for (let k = n - 1; k >= 0; k--) {
      const s = sb.prReview(this._repo, this._pr, k).state;
      if (s === 'APPROVED' || s === 'CHANGES_REQUESTED') return s;
    }
    return 'REVIEW_REQUIRED';
  }
  headRefOid() {
    const sb = this._sb;
    const n = sb.prCommitCount(this._pr);
    return n ? sb.prCommit(this._repo, this._pr, n - 1).oid : this._repo.main[this._pr.fork].oid;
  }
  baseRefOid() {
    return this._repo.main[this._pr.fork].oid;
  }
  mergeCommit() {
    const pr = this._pr;
    if (pr.mainIdx < 0) return null;
    return new CommitView(this._api, this._repo, this._sb.mainCommit(this._repo, pr.mainIdx));
  }
  potentialMergeCommit() {
    return this.mergeCommit();
  }
  commits(args) {
    const { _api: api, _repo: repo, _pr: pr } = this;
    const sb = api.sb;
    return indexConnection(sb.prCommitCount(pr), args, (k) => {
      const c = sb.commitAt(repo, { main: pr.fork, pr: pr.number, k });
      return {
        __typename: 'PullRequestCommit',
        id: () => nodeId('prcommit', repo.idx, pr.number, k),
        commit: new CommitView(api, repo, c),
        url: () => `${api.repoHtml(repo)}/pull/${pr.number}/commits/${c.oid}`,
        resourcePath: () => `/${sb.orgLogin}/${repo.name}/pull/${pr.number}/commits/${c.oid}`,
        pullRequest: this,
      };
    });
  }
  reviews(args) {
    const { _api: api, _repo: repo, _pr: pr } = this;
    const sb = api.sb;
    const n = sb.prReviewCount(pr);
    let idx = null;
    if ((args.states && args.states.length) || args.author) {
      idx = [];
      for (let k = 0; k < n; k++) {
        const r = sb.prReview(repo, pr, k);
        if (args.states && args.states.length && !args.states.includes(r.state)) continue;
        if (args.author) {
          const u = user(r.authorIdx);
          if (!u || u.login !== args.author) continue;
        }
        idx.push(k);
      }
    }
    const total = idx ? idx.length : n;
    return indexConnection(total, args, (j) => reviewView(api, repo, pr, idx ? idx[j] : j, this));
  }
  comments(args) {
    const { _api: api, _repo: repo, _pr: pr } = this;
    const sb = api.sb;
    const total = sb.prCommentCount(pr);
    const desc = args.orderBy && args.orderBy.direction === 'DESC';
    return indexConnection(total, args, (j) => commentView(api, repo, pr, desc ? total - 1 - j : j, this));
  }
}

function reviewView(api, repo, pr, k, prView) {
  const sb = api.sb;
  const r = sb.prReview(repo, pr, k);
  const t = () => iso(r.submittedAt);
  return {
    __typename: 'PullRequestReview',
    id: () => sb.reviewId(repo, pr, k),
    databaseId: sb.reviewDatabaseId(repo, pr, k),
    state: r.state,
    body: r.body,
    bodyText: r.body,
    submittedAt: t,
    createdAt: t,
    updatedAt: t,
    publishedAt: t,
    lastEditedAt: null,
    author: () => actor(api, r.authorIdx),
    url: () => `${api.repoHtml(repo)}/pull/${pr.number}#pullrequestreview-${sb.reviewDatabaseId(repo, pr, k)}`,
    pullRequest: () => prView || new PullRequestView(api, repo, pr),
    repository: () => new RepoView(api, repo),
  };
}

function commentView(api, repo, pr, k, prView) {
  const sb = api.sb;
  const c = sb.prComment(repo, pr, k);
  const t = () => iso(c.createdAt);
  return {
    __typename: 'IssueComment',
    id: () => sb.commentId(repo, pr, k),
    databaseId: sb.commentDatabaseId(repo, pr, k),
    body: c.body,
    bodyText: c.body,
    createdAt: t,
    updatedAt: t,
    publishedAt: t,
    lastEditedAt: null,
    author: () => actor(api, c.authorIdx),
    url: () => `${api.repoHtml(repo)}/pull/${pr.number}#issuecomment-${sb.commentDatabaseId(repo, pr, k)}`,
    pullRequest: () => prView || new PullRequestView(api, repo, pr),
    repository: () => new RepoView(api, repo),
  };
}

const DEPLOYMENT_STATE = {
  success: 'ACTIVE', failure: 'FAILURE', error: 'ERROR', inactive: 'INACTIVE',
  in_progress: 'IN_PROGRESS', queued: 'QUEUED', pending: 'PENDING',
};

function deploymentStatusView(api, repo, dep, s) {
  return {
    __typename: 'DeploymentStatus',
    id: nodeId('dstatus', repo.idx, s.id),
    state: s.state.toUpperCase(),
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.createdAt),
    description: s.description || `Deployment ${s.state.replace('_', ' ')}`,
    environment: dep.environment,
    creator: () => actor(api, s.creatorIdx),
    deployment: () => deploymentView(api, repo, dep),
    logUrl: null,
    environmentUrl: null,
  };
}

function deploymentView(api, repo, dep) {
  const sb = api.sb;
  const latest = dep.statuses[dep.statuses.length - 1];
  return {
    __typename: 'Deployment',
    id: nodeId('deployment', repo.idx, dep.id),
    databaseId: dep.id,
    environment: dep.environment,
    originalEnvironment: dep.environment,
    latestEnvironment: dep.environment,
    createdAt: iso(dep.createdAt),
    updatedAt: iso(dep.updatedAt),
    commitOid: dep.sha,
    commit: () => {
      const pos = sb.resolveRef(repo, dep.sha);
      return pos ? new CommitView(api, repo, sb.commitAt(repo, pos)) : null;
    },
    state: latest ? DEPLOYMENT_STATE[latest.state] || 'PENDING' : 'PENDING',
    latestStatus: () => (latest ? deploymentStatusView(api, repo, dep, latest) : null),
    statuses: (args) => {
      const n = dep.statuses.length;
      return indexConnection(n, args, (j) => deploymentStatusView(api, repo, dep, dep.statuses[n - 1 - j]));
    },
    creator: () => actor(api, dep.creatorIdx),
    task: dep.task,
    description: dep.description || `Deploy ${dep.sha.slice(0, 7)} to ${dep.environment}`,
    payload: '{}',
    repository: () => new RepoView(api, repo),
  };
}

function releaseView(api, repo, rel) {
  const sb = api.sb;
  const published = repo.releases.filter((r) => !r.draft && !r.prerelease);
  const latest = published.length ? published[published.length - 1] : null;
  return {
    __typename: 'Release',
    id: nodeId('release', repo.idx, rel.id),
    databaseId: rel.id,
    name: rel.name,
    tagName: rel.tag,
    description: rel.body,
    isDraft: rel.draft,
    isPrerelease: rel.prerelease,
    isLatest: latest === rel,
    createdAt: iso(rel.createdAt),
    publishedAt: iso(rel.publishedAt),
    updatedAt: iso(rel.publishedAt || rel.createdAt),
    author: () => userOnly(api, rel.authorIdx),
    url: `${api.repoHtml(repo)}/releases/tag/${rel.tag}`,
    tagCommit: () => {
      const pos = sb.resolveRef(repo, rel.sha);
      return pos ? new CommitView(api, repo, sb.commitAt(repo, pos)) : null;
    },
    repository: () => new RepoView(api, repo),
  };
}

class RepoView {
  constructor(api, repo) {
    this.__typename = 'Repository';
    this._api = api;
    this._repo = repo;
  }
  id() { return this._repo.nodeId; }
  databaseId() { return this._repo.id; }
  name() { return this._repo.name; }
  nameWithOwner() { return `${this._api.sb.orgLogin}/${this._repo.name}`; }
  description() { return this._repo.description; }
  url() { return this._api.repoHtml(this._repo); }
  resourcePath() { return `/${this._api.sb.orgLogin}/${this._repo.name}`; }
  createdAt() { return iso(this._repo.createdAt); }
  updatedAt() { return iso(this._repo.updatedAt); }
  pushedAt() { return iso(this._repo.pushedAt); }
  isPrivate() { return this._repo.private; }
  visibility() { return this._repo.private ? 'PRIVATE' : 'PUBLIC'; }
  isArchived() { return false; }
  isFork() { return false; }
  isDisabled() { return false; }
  isEmpty() { return false; }
  isTemplate() { return false; }
  stargazerCount() { return this._repo.stars; }
  forkCount() { return 0; }
  owner() { return this._api.orgView(); }
  primaryLanguage() { return { __typename: 'Language', id: nodeId('repo', 'lang', this._repo.language), name: this._repo.language, color: '#888888' }; }
  defaultBranchRef() {
    const api = this._api;
    const repo = this._repo;
    return {
      __typename: 'Ref', id: nodeId('repo', repo.idx, 'ref', 'main'), name: 'main', prefix: 'refs/heads/',
      target: () => new CommitView(api, repo, api.sb.mainCommit(repo, repo.main.length - 1)),
      repository: () => this,
    };
  }
  pullRequest(args) {
    const pr = this._api.sb.prByNumber(this._repo, args.number);
    if (!pr) {
      throw new TypedError('NOT_FOUND', `Could not resolve to a PullRequest with the number of ${args.number}.`);
    }
    return new PullRequestView(this._api, this._repo, pr);
  }
  pullRequests(args) {
    const api = this._api;
    const sb = api.sb;
    const repo = this._repo;
    if (args.labels && args.labels.length) return emptyConnection();
    const field = args.orderBy ? args.orderBy.field : 'CREATED_AT';
    const direction = args.orderBy ? args.orderBy.direction : 'ASC';
    const list = sb.sortedPrs(repo, field, direction, args.states, args.baseRefName, args.headRefName);
    const keyOf = sb.prSortKey(field);
    const dir = direction === 'DESC' ? -1 : 1;
    const cursorOf = (i) => b64(`cursor:v2:${JSON.stringify([keyOf(list[i]), list[i].number])}`);
    // First index whose item sorts after (strict) / at-or-after the cursor.
    const cursorToIndex = (c, which, strictAfter) => {
      let key;
      try {
        const m = /^cursor:v2:(.*)$/.exec(unb64(c));
        key = m && JSON.parse(m[1]);
      } catch (e) {
        key = null;
      }
      if (!Array.isArray(key) || key.length !== 2 || typeof key[0] !== 'number' || typeof key[1] !== 'number') {
        throw new TypedError('INVALID_CURSOR_ARGUMENTS', `\`${c}\` does not appear to be a valid cursor.`);
      }
      const cmp = (p) => dir * ((keyOf(p) - key[0]) || (p.number - key[1]));
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const d = cmp(list[mid]);
        if (strictAfter ? d <= 0 : d < 0) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    return new Connection(list.length, args, (i) => new PullRequestView(api, repo, list[i]), cursorOf, cursorToIndex);
  }
  deployments(args) {
    const api = this._api;
    const repo = this._repo;
    let list = repo.deployments;
    if (args.environments && args.environments.length) list = list.filter((d) => args.environments.includes(d.environment));
    if (args.orderBy && args.orderBy.direction === 'DESC') list = list.slice().reverse();
    return indexConnection(list.length, args, (i) => deploymentView(api, repo, list[i]));
  }
  releases(args) {
    const api = this._api;
    const repo = this._repo;
    let list = repo.releases.slice();
    const field = args.orderBy ? args.orderBy.field : 'CREATED_AT';
    const desc = args.orderBy ? args.orderBy.direction === 'DESC' : true;
    if (field === 'NAME') list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id));
    else list.sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
    if (desc) list.reverse();
    return indexConnection(list.length, args, (i) => releaseView(api, repo, list[i]));
  }
  latestRelease() {
    const published = this._repo.releases.filter((r) => !r.draft && !r.prerelease);
    return published.length ? releaseView(this._api, this._repo, published[published.length - 1]) : null;
  }
  object(args) {
    const sb = this._api.sb;
    const pos = sb.resolveRef(this._repo, args.oid || args.expression);
    return pos ? new CommitView(this._api, this._repo, sb.commitAt(this._repo, pos)) : null;
  }
}

// ------------------------------------------------------------------ errors

function formatLocation(e) {
  return e.locations ? e.locations.map((l) => ({ line: l.line, column: l.column })) : undefined;
}

// Map graphql-js validation messages to the wording GitHub uses.
function githubValidationError(e) {
  const out = {};
  const msg = e.message;
  let m;
  let message = msg;
  let extensions;
  if ((m = /^Cannot query field "([^"]+)" on type "([^"]+)"\./.exec(msg))) {
    message = `Field '${m[1]}' doesn't exist on type '${m[2]}'`;
    extensions = { code: 'undefinedField', typeName: m[2], fieldName: m[1] };
  } else if ((m = /^Field "([^"]+)" argument "([^"]+)" of type "([^"]+)" is required, but it was not provided\./.exec(msg))) {
    message = `Field '${m[1]}' is missing required arguments: ${m[2]}`;
    extensions = { code: 'missingRequiredArguments', className: 'Field', name: m[1], arguments: m[2] };
  } else if ((m = /^Unknown argument "([^"]+)" on field "([^".]+)\.([^"]+)"\./.exec(msg))) {
    message = `Field '${m[3]}' doesn't accept argument '${m[1]}'`;
    extensions = { code: 'argumentNotAccepted', name: m[3], typeName: 'Field', argumentName: m[1] };
  } else if ((m = /^Field "([^"]+)" of type "([^"]+)" must have a selection of subfields/.exec(msg))) {
    message = `Field must have selections (field '${m[1]}' returns ${m[2].replace(/!$/, '')} but has no selections. Did you mean '${m[1]} { ... }'?)`;
    extensions = { code: 'selectionMismatch', nodeName: `field '${m[1]}'`, typeName: m[2].replace(/!$/, '') };
  } else if ((m = /^Field "([^"]+)" must not have a selection since type "([^"]+)" has no subfields\./.exec(msg))) {
    message = `Selections can't be made on scalars (field '${m[1]}' returns ${m[2].replace(/!$/, '')} but has selections [...])`;
    extensions = { code: 'selectionMismatch', nodeName: `field '${m[1]}'`, typeName: m[2].replace(/!$/, '') };
  } else if ((m = /^Variable "\$([^"]+)" is never used/.exec(msg))) {
    message = `Variable $${m[1]} is declared but not used`;
    extensions = { code: 'variableNotUsed', variableName: m[1] };
  } else if ((m = /^Variable "\$([^"]+)" is not defined/.exec(msg))) {
    message = `Variable $${m[1]} is used but not declared`;
    extensions = { code: 'variableNotDefined', variableName: m[1] };
  } else if ((m = /^Unknown type "([^"]+)"\./.exec(msg))) {
    message = `No such type ${m[1]}, so it can't be a fragment condition or variable type`;
    extensions = { code: 'undefinedType', typeName: m[1] };
  } else if (/cannot represent|^Expected value of type|^Enum "[^"]+" cannot represent/.test(msg)) {
    extensions = { code: 'argumentLiteralsIncompatible', typeName: 'Argument' };
  } else if ((m = /^Syntax Error: (.*)$/.exec(msg))) {
    const loc = e.locations && e.locations[0];
    message = `Parse error: ${m[1].replace(/\.$/, '')}${loc ? ` at [${loc.line}, ${loc.column}]` : ''}`;
  }
  if (extensions) out.extensions = extensions;
  const loc = formatLocation(e);
  if (loc) out.locations = loc;
  out.message = message;
  return out;
}

function formatExecutionError(e) {
  const out = {};
  const orig = e.originalError;
  if (orig && orig.ghType) out.type = orig.ghType;
  if (e.path) out.path = e.path;
  const loc = formatLocation(e);
  if (loc) out.locations = loc;
  out.message = orig && orig.ghType ? orig.message : e.message;
  return out;
}

// ------------------------------------------------------------------ analysis

function isConnectionField(def) {
  const named = g.getNamedType(def.type);
  return /Connection$/.test(named.name) && def.args.some((a) => a.name === 'first');
}

// Walk the operation: pagination rules, node count and request count.
function analyze(schema, doc, op, variables) {
  const fragments = Object.create(null);
  for (const d of doc.definitions) if (d.kind === g.Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  const errors = [];
  let requests = 0;
  let nodes = 0;
  const included = (node) => {
    const skip = g.getDirectiveValues(g.GraphQLSkipDirective, node, variables);
    if (skip && skip.if === true) return false;
    const inc = g.getDirectiveValues(g.GraphQLIncludeDirective, node, variables);
    if (inc && inc.if === false) return false;
    return true;
  };
  const walk = (selSet, type, mult, pathKeys, depth) => {
    if (!selSet || depth > 50) return;
    for (const sel of selSet.selections) {
      if (!included(sel)) continue;
      if (sel.kind === g.Kind.FIELD) {
        const name = sel.name.value;
        if (name.startsWith('__')) continue;
        const fields = type && typeof type.getFields === 'function' ? type.getFields() : null;
        const def = fields && fields[name];
        if (!def) continue;
        const key = sel.alias ? sel.alias.value : name;
        const p = pathKeys.concat(key);
        let childMult = mult;
        if (isConnectionField(def)) {
          const args = g.getArgumentValues(def, sel, variables);
          const first = args.first;
          const last = args.last;
          const loc = { line: sel.loc ? g.getLocation(sel.loc.source, sel.loc.start).line : 1, column: sel.loc ? g.getLocation(sel.loc.source, sel.loc.start).column : 1 };
          if ((first === undefined || first === null) && (last === undefined || last === null)) {
            errors.push({
              type: 'MISSING_PAGINATION_BOUNDARIES', path: p, locations: [loc],
              message: `You must provide a \`first\` or \`last\` value to properly paginate the \`${name}\` connection.`,
            });
          } else {
            const which = first !== undefined && first !== null ? 'first' : 'last';
            const n = which === 'first' ? first : last;
            if (first !== undefined && first !== null && last !== undefined && last !== null) {
              errors.push({
                path: p, locations: [loc],
                message: `Passing both \`first\` and \`last\` to paginate the \`${name}\` connection is not supported.`,
              });
            } else if (n > MAX_PAGE) {
              errors.push({
                type: 'EXCESSIVE_PAGINATION', path: p, locations: [loc],
                message: `Requesting ${n} records on the \`${name}\` connection exceeds the \`${which}\` limit of ${MAX_PAGE} records.`,
              });
            } else if (n < 1) {
              errors.push({
                type: 'INVALID_PAGINATION', path: p, locations: [loc],
                message: `\`${which}\` on the \`${name}\` connection must be between 1 and ${MAX_PAGE}; got ${n}.`,
              });
            } else {
              requests += mult;
              nodes += mult * n;
              childMult = mult * n;
            }
          }
        }
        if (sel.selectionSet) walk(sel.selectionSet, g.getNamedType(def.type), childMult, p, depth + 1);
      } else if (sel.kind === g.Kind.INLINE_FRAGMENT) {
        const t = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : type;
        walk(sel.selectionSet, t, mult, pathKeys, depth + 1);
      } else if (sel.kind === g.Kind.FRAGMENT_SPREAD) {
        const f = fragments[sel.name.value];
        if (f) walk(f.selectionSet, schema.getType(f.typeCondition.name.value), mult, pathKeys, depth + 1);
      }
    }
  };
  const root = op.operation === 'query' ? schema.getQueryType() : op.operation === 'mutation' ? schema.getMutationType() : null;
  walk(op.selectionSet, root, 1, [], 0);
  if (!errors.length && nodes > MAX_NODES) {
    errors.push({
      type: 'MAX_NODE_LIMIT_EXCEEDED',
      message: `This query requests up to ${nodes.toLocaleString('en-US')} possible nodes which exceeds the maximum limit of ${MAX_NODES.toLocaleString('en-US')}.`,
    });
  }
  const cost = Math.max(1, Math.round(requests / 100));
  return { errors, requests, nodes, cost };
}

// ------------------------------------------------------------------ api

function zeroFor(type, ctx) {
  if (!g.isNonNullType(type)) return null;
  const t = type.ofType;
  if (g.isListType(t)) return [];
  if (g.isEnumType(t)) return t.getValues()[0].value;
  if (g.isScalarType(t)) {
    switch (t.name) {
      case 'Int': case 'Float': case 'BigInt': return 0;
      case 'Boolean': return false;
      case 'DateTime': case 'GitTimestamp': case 'PreciseDateTime': return iso(ctx.sb.epochS);
      case 'Date': return iso(ctx.sb.epochS).slice(0, 10);
      case 'GitObjectID': return '0000000000000000000000000000000000000000';
      case 'URI': return ctx.htmlBase;
      default: return '';
    }
  }
  if (g.isObjectType(t) && /Connection$/.test(t.name)) return emptyConnection();
  return null;
}

class GraphQLApi {
  constructor(sandbox, schema) {
    this.sb = sandbox;
    this.schema = schema || loadSchema();
    this.docCache = new Map();
  }

  _document(query) {
    let entry = this.docCache.get(query);
    if (entry) {
      this.docCache.delete(query);
      this.docCache.set(query, entry);
      return entry;
    }
    try {
      const doc = g.parse(query);
      const errs = g.validate(this.schema, doc);
      entry = errs.length ? { errors: errs.map(githubValidationError) } : { doc };
    } catch (e) {
      if (!(e instanceof g.GraphQLError)) throw e;
      entry = { errors: [githubValidationError(e)] };
    }
    this.docCache.set(query, entry);
    if (this.docCache.size > 256) this.docCache.delete(this.docCache.keys().next().value);
    return entry;
  }

  // Prepare a request: parse, validate, analyze. Returns either
  // {response} (final, no execution, no points) or {plan} to execute.
  prepare(body) {
    if (!body || typeof body !== 'object' || typeof body.query !== 'string') {
      return { response: { errors: [{ message: 'A query attribute must be specified and must be a string.' }] } };
    }
    const entry = this._document(body.query);
    if (entry.errors) return { response: { errors: entry.errors } };
    const op = g.getOperationAST(entry.doc, body.operationName || null);
    if (!op) {
      return {
        response: {
          errors: [{ message: body.operationName ? `No operation named "${body.operationName}"` : 'An operation name is required' }],
        },
      };
    }
    if (op.operation !== 'query') {
      return {
        response: {
          errors: [{ type: 'FORBIDDEN', message: `The GitHub sandbox serves queries only; ${op.operation}s are not implemented.` }],
        },
      };
    }
    const vars = body.variables && typeof body.variables === 'object' ? body.variables : {};
    const coerced = g.getVariableValues(this.schema, op.variableDefinitions || [], vars, { maxErrors: 50 });
    if (coerced.errors) {
      return {
        response: {
          errors: coerced.errors.map((e) => {
            const out = { extensions: { code: 'variableMismatch' } };
            const loc = formatLocation(e);
            if (loc) out.locations = loc;
            out.message = e.message.replace(/"\$([A-Za-z0-9_]+)"/, '$$$1');
            return out;
          }),
        },
      };
    }
    const a = analyze(this.schema, entry.doc, op, coerced.coerced);
    if (a.errors.length) return { response: { errors: a.errors } };
    const dryRun = this._dryRun(op, coerced.coerced);
    return { plan: { doc: entry.doc, op, variables: vars, operationName: body.operationName || null, cost: a.cost, nodes: a.nodes, requests: a.requests, dryRun } };
  }

  _dryRun(op, variables) {
    for (const sel of op.selectionSet.selections) {
      if (sel.kind === g.Kind.FIELD && sel.name.value === 'rateLimit') {
        const def = this.schema.getQueryType().getFields().rateLimit;
        const args = g.getArgumentValues(def, sel, variables);
        if (args.dryRun) return true;
      }
    }
    return false;
  }

  // ctx: {htmlBase, rateInfo: {cost, limit, remaining, used, resetAt, nodeCount}}
  execute(plan, ctx) {
    this.ctx = Object.assign({ sb: this.sb }, ctx);
    const api = this;
    const rootValue = {
      rateLimit: () => ctx.rateInfo,
      repository: (args) => {
        const repo = api.sb.findRepo(args.owner, args.name);
        if (!repo) throw new TypedError('NOT_FOUND', `Could not resolve to a Repository with the name '${args.owner}/${args.name}'.`);
        return new RepoView(api, repo);
      },
      organization: (args) => {
        if (String(args.login).toLowerCase() !== api.sb.orgLogin.toLowerCase()) {
          throw new TypedError('NOT_FOUND', `Could not resolve to an Organization with the login of '${args.login}'.`);
        }
        return api.orgView();
      },
      repositoryOwner: (args) => (String(args.login).toLowerCase() === api.sb.orgLogin.toLowerCase() ? api.orgView() : null),
      user: (args) => {
        const i = USERS.findIndex((u) => u.login === args.login);
        if (i < 0) throw new TypedError('NOT_FOUND', `Could not resolve to a User with the login of '${args.login}'.`);
        return actor(api, i);
      },
      viewer: () => actor(api, 0),
      node: (args) => {
        const n = api.resolveNode(args.id);
        if (!n) throw new TypedError('NOT_FOUND', `Could not resolve to a node with the global id of '${args.id}'`);
        return n;
      },
      nodes: (args) => args.ids.map((id) => {
        const n = api.resolveNode(id);
        if (!n) return new TypedError('NOT_FOUND', `Could not resolve to a node with the global id of '${id}'.`);
        return n;
      }),
    };
    const fieldResolver = (source, args, context, info) => {
      if (source === null || source === undefined) return null;
      const v = source[info.fieldName];
      if (v !== undefined && v !== Object.prototype[info.fieldName]) {
        return typeof v === 'function' ? source[info.fieldName](args, context, info) : v;
      }
      return zeroFor(info.returnType, api.ctx);
    };
    const result = g.execute({
      schema: this.schema,
      document: plan.doc,
      rootValue,
      contextValue: this.ctx,
      variableValues: plan.variables,
      operationName: plan.operationName,
      fieldResolver,
    });
    const out = {};
    out.data = result.data === undefined ? null : result.data;
    if (result.errors && result.errors.length) out.errors = result.errors.map(formatExecutionError);
    return out;
  }

  orgView() {
    const sb = this.sb;
    const api = this;
    const o = sb.org;
    return {
      __typename: 'Organization',
      id: o.nodeId,
      databaseId: o.id,
      login: o.login,
      name: o.name,
      url: `${api.ctx.htmlBase}/${o.login}`,
      resourcePath: `/${o.login}`,
      avatarUrl: `${api.ctx.htmlBase}/avatars/${o.login}`,
      createdAt: iso(o.createdAt),
      repository: (args) => {
        const repo = sb.findRepo(null, args.name);
        return repo ? new RepoView(api, repo) : null;
      },
      repositories: (args) => {
        const field = args.orderBy ? args.orderBy.field : 'CREATED_AT';
        const desc = args.orderBy ? args.orderBy.direction === 'DESC' : false;
        let list = sb.repos.slice();
        if (args.privacy) list = list.filter((r) => (args.privacy === 'PRIVATE') === r.private);
        if (args.visibility) list = list.filter((r) => (r.private ? 'PRIVATE' : 'PUBLIC') === args.visibility);
        if (args.isFork === true || args.isArchived === true || args.isLocked === true) list = [];
        const key = {
          CREATED_AT: (r) => r.createdAt, PUSHED_AT: (r) => r.pushedAt, UPDATED_AT: (r) => r.updatedAt,
          STARGAZERS: (r) => r.stars, NAME: null,
        }[field];
        list.sort((a, b) => {
          if (!key) return a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1;
          return key(a) - key(b) || a.idx - b.idx;
        });
        if (desc) list.reverse();
        const conn = indexConnection(list.length, args, (i) => new RepoView(api, list[i]));
        conn.totalDiskUsage = 0;
        return conn;
      },
    };
  }

  repoHtml(repo) {
    return `${this.ctx.htmlBase}/${this.sb.orgLogin}/${repo.name}`;
  }

  resolveNode(id) {
    const d = decodeNodeId(id);
    if (!d) return null;
    const sb = this.sb;
    const repoAt = (i) => sb.repos[Number(i)] || null;
    const p = d.parts;
    switch (d.kind) {
      case 'pr': {
        const repo = repoAt(p[0]);
        const pr = repo && sb.prByNumber(repo, p[1]);
        return pr ? new PullRequestView(this, repo, pr) : null;
      }
      case 'repo': {
        const repo = repoAt(p[0]);
        return repo && repo.nodeId === id ? new RepoView(this, repo) : null;
      }
      case 'review': {
        const repo = repoAt(p[0]);
        const pr = repo && sb.prByNumber(repo, p[1]);
        return pr && Number(p[2]) < sb.prReviewCount(pr) ? reviewView(this, repo, pr, Number(p[2])) : null;
      }
      case 'comment': {
        const repo = repoAt(p[0]);
        const pr = repo && sb.prByNumber(repo, p[1]);
        return pr && Number(p[2]) < sb.prCommentCount(pr) ? commentView(this, repo, pr, Number(p[2])) : null;
      }
      case 'deployment': {
        const repo = repoAt(p[0]);
        const dep = repo && repo.deploymentById.get(Number(p[1]));
        return dep ? deploymentView(this, repo, dep) : null;
      }
      case 'release': {
        const repo = repoAt(p[0]);
        const rel = repo && repo.releases.find((r) => r.id === Number(p[1]));
        return rel ? releaseView(this, repo, rel) : null;
      }
      case 'commit': {
        const repo = repoAt(p[0]);
        const pos = repo && sb.resolveRef(repo, p[1]);
        return pos ? new CommitView(this, repo, sb.commitAt(repo, pos)) : null;
      }
      case 'user': {
        const i = USERS.findIndex((u) => String(u.id) === p[0]);
        return i >= 0 ? actor(this, i) : null;
      }
      case 'org':
        return String(sb.org.id) === p[0] ? this.orgView() : null;
      default:
        return null;
    }
  }
}

module.exports = { GraphQLApi, loadSchema, analyze };

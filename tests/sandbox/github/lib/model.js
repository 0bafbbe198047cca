'use strict';
// The sandbox's data: one organization, its repositories, their pull requests,
// default-branch history, deployments and releases; plus the mutations that
// incremental-sync tests apply, and the normalized "truth" view.
//
// Determinism: everything is derived from --seed. A repository's pull
// requests and default branch are generated on its first use, its
// deployments and releases on their first use (each repository has its own
// PRNG, so the order of use does not matter). The children of a pull request
// (commits, reviews, comments) are computed on demand from a hash of
// (seed, repo, number, index), so a 50 x 2000 dataset stays small.
// Times are integer seconds since the Unix epoch. All generated activity lies
// in the 90 days before the sandbox epoch (default 2026-06-01T00:00:00Z).
//
// Default-branch model: squash merges. Each repository's `main` is a linear
// list: an initial commit, then one commit per merged pull request in merge
// order (that commit is the PR's mergeCommit). A pull request's own commits
// sit on a branch forked from the `main` commit that was current when its
// first commit was made; they are not ancestors of `main`.

const { mulberry32, mix, unit, strHash, oid } = require('./rand');

const DAY = 86400;
const HOUR = 3600;
const DEFAULT_EPOCH_S = Date.UTC(2026, 5, 1) / 1000; // 2026-06-01T00:00:00Z

// ----------------------------------------------------------------- people

const LOGINS = [
  'alex-kim', 'bea-santos', 'chen-wei', 'dana-cohen', 'eli-novak', 'fatima-ali',
  'gus-larsen', 'hana-sato', 'ivan-petrov', 'jade-moreau', 'kofi-mensah',
  'lena-fischer', 'mateo-ruiz', 'nora-lind', 'omar-haddad', 'priya-nair',
  'quinn-oconnor', 'rosa-delgado', 'sam-taylor', 'tariq-aziz', 'uma-patel',
  'victor-lang', 'wen-li', 'yara-costa',
];

function titleCase(login) {
  return login.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join(' ');
}

// Users are addressed by index. Humans: 0..LOGINS.length-1. Two bots.
const BOT_DEPENDABOT = 1000;
const BOT_ACTIONS = 1001;
const GHOST = -1; // a deleted account: GitHub returns author: null

const USERS = LOGINS.map((login, i) => ({
  idx: i,
  login,
  restLogin: login,
  id: 41000000 + i * 17,
  name: titleCase(login),
  email: `${41000000 + i * 17}+${login}@users.noreply.github.com`,
  type: 'User',
}));
const BOTS = {
  [BOT_DEPENDABOT]: {
    idx: BOT_DEPENDABOT, login: 'dependabot', restLogin: 'dependabot[bot]', id: 90000001,
    name: 'dependabot[bot]', email: '90000001+dependabot[bot]@users.noreply.github.com', type: 'Bot',
  },
  [BOT_ACTIONS]: {
    idx: BOT_ACTIONS, login: 'github-actions', restLogin: 'github-actions[bot]', id: 90000002,
    name: 'github-actions[bot]', email: '90000002+github-actions[bot]@users.noreply.github.com', type: 'Bot',
  },
};

// The address a commit names is what its author's git config said. GitHub
// links a commit to an account only through an address verified on it
// (the account's noreply address always is); otherwise `user` is null.
const CORP_DOMAIN = 'corp.example';
const corpEmail = (u) => `${u.login.replace(/-/g, '.')}@${CORP_DOMAIN}`;
const noreplyEmail = (u) => `${u.id}+${u.login}@users.noreply.github.com`;

// How a PR commit of user idx names its author, from hash h: the noreply
// address (4 in 10), the corporate one (4 in 10), an unverified home
// address (user null), and for every eighth user (idx % 8 == 5) now and
// then the previous user's corporate address, once verified on this
// account: one address, two logins.
function commitIdentity(idx, h) {
  const u = user(idx);
  if (!u) return { name: 'ghost', email: 'ghost@users.noreply.github.com', userIdx: idx };
  if (u.type === 'Bot') return { name: u.name, email: u.email, userIdx: idx };
  const v = mix(h, 4) % 10;
  if (v < 4) return { name: u.name, email: noreplyEmail(u), userIdx: idx };
  if (v < 8) return { name: u.name, email: corpEmail(u), userIdx: idx };
  if (v === 9 && idx % 8 === 5) return { name: u.name, email: corpEmail(USERS[idx - 1]), userIdx: idx };
  return { name: u.name, email: `${u.login}@home.example`, userIdx: null };
}

function user(idx) {
  if (idx === GHOST || idx === undefined || idx === null) return null;
  if (idx >= 1000) return BOTS[idx] || null;
  return USERS[idx] || null;
}

// ----------------------------------------------------------------- words

const REPO_NAMES = [
  'api-gateway', 'billing-service', 'web-app', 'mobile-app', 'auth-service',
  'data-pipeline', 'search-service', 'notifications', 'payments', 'inventory',
  'analytics', 'admin-portal', 'infra-terraform', 'docs-site', 'design-system',
  'recommendations', 'shipping', 'catalog', 'checkout', 'user-profile',
];
const LANGUAGES = ['Go', 'TypeScript', 'Python', 'Java', 'C', 'Rust', 'Kotlin', 'Ruby'];
const VERBS = ['Add', 'Fix', 'Refactor', 'Update', 'Remove', 'Improve', 'Speed up',
  'Document', 'Handle errors in', 'Support', 'Rework', 'Clean up'];
const THINGS = ['login flow', 'token refresh', 'retry logic', 'pagination', 'cache invalidation',
  'CSV export', 'webhook handler', 'rate limiter', 'search index', 'billing report',
  'feature flags', 'dark mode', 'error messages', 'metrics endpoint', 'audit log',
  'DB migrations', 'client timeouts', 'flaky test', 'build script', 'onboarding emails'];
const BRANCH_PREFIX = ['feature', 'fix', 'chore', 'refactor'];
const PACKAGES = ['lodash', 'express', 'axios', 'jackson-databind', 'golang.org/x/net', 'urllib3', 'serde', 'openssl'];
const COMMIT_MSGS = ['WIP', 'Address review comments', 'Add tests', 'Fix lint', 'Rename helper',
  'Handle edge case', 'Update docs', 'Simplify', 'Fix typo', 'Extract function', 'Bump version',
  'Split into smaller steps', 'Revert accidental change'];
const REVIEW_BODIES = ['', 'Looks good to me.', 'A few nits inline.', 'Please add a test for this.',
  'Can we split this up?', 'LGTM once CI is green.'];
const COMMENT_BODIES = ['Thanks!', 'Rebased on main.', 'CI is flaky here, retrying.',
  'Could you take another look?', 'Ping @reviewers', 'Done.', 'Is this still needed?'];

function slug(s) {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

// Approximately normal (mean 0, sd 1) from three uniforms.
function gauss(rng) {
  return ((rng.float() + rng.float() + rng.float()) - 1.5) / 0.5;
}

// ----------------------------------------------------------------- clock

class Clock {
  // nowMs = epoch + wall time elapsed since start + manual advances.
  // With frozen=true wall time does not count (fully deterministic Date headers).
  constructor(epochS, frozen) {
    this.epochMs = epochS * 1000;
    this.wallStart = Date.now();
    this.offsetMs = 0;
    this.frozen = !!frozen;
  }
  nowMs() {
    return this.epochMs + (this.frozen ? 0 : Date.now() - this.wallStart) + this.offsetMs;
  }
  nowS() {
    return Math.floor(this.nowMs() / 1000);
  }
  advance(seconds) {
    this.offsetMs += Math.round(Number(seconds) * 1000);
  }
}

// ----------------------------------------------------------------- node ids

const NODE_PREFIX = {
  pr: 'PR_kwDO', repo: 'R_kgDO', user: 'U_kgDO', bot: 'BOT_kgDO', org: 'O_kgDO',
  review: 'PRR_kwDO', comment: 'IC_kwDO', commit: 'C_kwDO', prcommit: 'PURC_lADO',
  deployment: 'DE_kwDO', dstatus: 'DES_kwDO', release: 'RE_kwDO',
};

function b64url(s) {
  return Buffer.from(s, 'utf8').toString('base64url');
}

function nodeId(kind, ...parts) {
  return NODE_PREFIX[kind] + b64url(`${kind}:${parts.join(':')}`);
}

function decodeNodeId(id) {
  const m = /^[A-Z]+_(?:kwDO|kgDO|lADO)([A-Za-z0-9_-]+)$/.exec(String(id || ''));
  if (!m) return null;
  let s;
  try {
    s = Buffer.from(m[1], 'base64url').toString('utf8');
  } catch (e) {
    return null;
  }
  const parts = s.split(':');
  if (!NODE_PREFIX[parts[0]] || nodeId(parts[0], ...parts.slice(1)) !== id) return null;
  return { kind: parts[0], parts: parts.slice(1) };
}

// ----------------------------------------------------------------- sandbox

class Sandbox {
  constructor(opts = {}) {
    this.seedText = String(opts.seed === undefined ? '1' : opts.seed);
    this.seed = /^\d+$/.test(this.seedText) ? Number(this.seedText) >>> 0 : strHash(this.seedText);
    this.nRepos = opts.repos === undefined ? 3 : opts.repos;
    this.nPrs = opts.prs === undefined ? 40 : opts.prs;
    this.orgLogin = opts.org || 'acme';
    this.epochS = opts.epochS || DEFAULT_EPOCH_S;
    this.clock = new Clock(this.epochS, opts.frozenClock);
    this.limitS = this.epochS - 120; // generated activity ends before this
    this.org = {
      login: this.orgLogin,
      id: 30000000 + (mix(this.seed, 0x0e6) % 1000000),
      name: titleCase(this.orgLogin.replace(/[^A-Za-z0-9-]/g, '-') || 'Org'),
      createdAt: this.epochS - 1500 * DAY,
    };
    this.org.nodeId = nodeId('org', this.org.id);
    this.repos = [];
    this.repoByName = new Map();
    // Generated activity ends before limitS and the clock starts at the
    // epoch, so every mutation is later than all generated data.
    this.lastMutationS = this.limitS;
    this.generationMs = 0;
    for (let i = 0; i < this.nRepos; i++) this._addRepo(new Repo(this, i, null, this.nPrs));
    if (opts.eager) this.generateAll();
  }

  // Generate every repository now (they are otherwise generated on first use).
  generateAll() {
    for (const r of this.repos) r.ensureDeploys();
    return this.generationMs;
  }

  generatedRepos() {
    return this.repos.reduce((n, r) => n + (r.generated ? 1 : 0), 0);
  }

  // Pull-request count without forcing generation.
  prCount() {
    return this.repos.reduce((n, r) => n + (r.generated ? r.prs.length : r.nPrs), 0);
  }

  _addRepo(repo) {
    this.repos.push(repo);
    this.repoByName.set(repo.name.toLowerCase(), repo);
  }

  findRepo(owner, name) {
    if (owner !== undefined && owner !== null && String(owner).toLowerCase() !== this.orgLogin.toLowerCase()) return null;
    return this.repoByName.get(String(name || '').toLowerCase()) || null;
  }

  // ------------------------------------------------------------ generation

  // Fill in a repository's history: pull requests, default branch,
  // deployments, releases. Called once per repository, on first use.
  _generate(repo) {
    const t0 = Date.now();
    const rng = repo.rng;
    const span = 89 * DAY;
    const start = this.epochS - 90 * DAY;
    const M = repo.nPrs;
    repo.prs = [];
    repo.main = [];
    repo.mainIndex = new Map();
    for (let n = 1; n <= M; n++) {
      const created = start + Math.floor((n - 1 + rng.float()) * (span / M));
      repo.prs.push(this._genPr(repo, n, created));
    }
    this._buildMain(repo);
    for (const pr of repo.prs) pr.fork = this._forkIndex(repo, pr.firstCommitAt);
    repo.genMainLength = repo.main.length;
    this._refreshRepoTimes(repo);
    this.generationMs += Date.now() - t0;
  }

  // Deployments and releases, generated on their first use. They only look
  // at the generated part of `main`, so merges made by mutations before that
  // first use do not change them.
  _generateDeploys(repo) {
    const t0 = Date.now();
    repo.ensure();
    repo.deployments = [];
    repo.deploymentById = new Map();
    repo.releases = [];
    this._genDeployments(repo);
    this._genReleases(repo);
    this.generationMs += Date.now() - t0;
  }

  _genPr(repo, n, created) {
    const rng = mulberry32(mix(this.seed, repo.idx, n, 0x9e11));
    const limit = this.limitS;
    const r = rng.float();
    let state = r < 0.8 ? 'MERGED' : r < 0.9 ? 'CLOSED' : 'OPEN';
    const hours = Math.min(30 * 24, Math.max(0.15, Math.exp(Math.log(18) + 1.1 * gauss(rng))));
    let end = created + Math.floor(hours * HOUR);
    if (state !== 'OPEN' && end > limit) state = 'OPEN';
    const actEnd = Math.min(end, limit);

    const who = rng.float();
    const authorIdx = who < 0.06 ? BOT_DEPENDABOT : who < 0.066 ? GHOST : rng.int(0, USERS.length - 1);
    // Title and branch name are kept as small numbers and spelled out on
    // demand (see PullRequest), which keeps 100k pull requests cheap.
    let words;
    if (authorIdx === BOT_DEPENDABOT) {
      words = [1, rng.int(0, PACKAGES.length - 1), rng.int(1, 9), rng.int(0, 20)];
    } else {
      words = [0, rng.int(0, VERBS.length - 1), rng.int(0, THINGS.length - 1), rng.int(0, BRANCH_PREFIX.length - 1)];
    }
    const cu = rng.float();
    const cv = rng.float();
    const nCommits = cu < 0.04 ? rng.int(101, 150) : cu < 0.12 ? rng.int(21, 100) : 1 + Math.floor(cv * cv * 20);
    const ru = rng.float();
    const rv = rng.float();
    const nReviews = ru < 0.04 ? rng.int(51, 60) : (state === 'MERGED' ? 1 : 0) + Math.floor(rv * rv * 8);
    const mu = rng.float();
    const mv = rng.float();
    const nComments = mu < 0.04 ? rng.int(51, 60) : Math.floor(mv * mv * 12);

    const isDraft = state === 'OPEN' ? rng.chance(0.2) : state === 'CLOSED' ? rng.chance(0.08) : false;
    const activityEnd = Math.max(created, state === 'OPEN' ? actEnd : end);
    const bump = state !== 'OPEN' && rng.chance(0.3) ? rng.int(60, 3 * HOUR) : 0;
    const updatedAt = Math.min(limit, activityEnd + bump);
    const firstCommitAt = created - (rng.chance(0.8) ? rng.int(0, 48 * HOUR) : rng.int(0, 300));
    const lastCommitAt = created + Math.floor((activityEnd - created) * 0.85);
    const pr = new PullRequest(repo, n);
    pr.words = words;
    pr.state = state;
    pr.isDraft = isDraft;
    pr.createdAt = created;
    pr.updatedAt = updatedAt;
    pr.activityEnd = activityEnd;
    pr.mergedAt = state === 'MERGED' ? end : null;
    pr.closedAt = state === 'OPEN' ? null : end;
    pr.authorIdx = authorIdx;
    pr.mergedByIdx = null;
    pr.baseRefName = 'main';
    pr.nCommits = nCommits;
    pr.nReviews = nReviews;
    pr.nComments = nComments;
    pr.firstCommitAt = firstCommitAt;
    pr.lastCommitAt = Math.max(firstCommitAt, lastCommitAt);
    pr.additions = rng.int(1, 900);
    pr.deletions = rng.int(0, 400);
    pr.changedFiles = rng.int(1, 40);
    pr.mergeOid = null;
    pr.mainIdx = -1;
    pr.fork = 0;
    if (state === 'MERGED') {
      pr.mergeOid = oid(this.seed, repo.idx, n, 0x3e6);
      pr.mergedByIdx = authorIdx >= 0 && authorIdx < 1000 ? authorIdx : rng.int(0, USERS.length - 1);
    }
    return pr;
  }

  _buildMain(repo) {
    repo.main = [{ oid: oid(this.seed, repo.idx, 0x1417), date: repo.createdAt, pr: 0 }];
    repo.mainIndex = new Map([[repo.main[0].oid, 0]]);
    const merged = repo.prs.filter((p) => p.state === 'MERGED');
    merged.sort((a, b) => a.mergedAt - b.mergedAt || a.number - b.number);
    for (const pr of merged) this._appendMain(repo, pr);
  }

  _appendMain(repo, pr) {
    pr.mainIdx = repo.main.length;
    repo.main.push({ oid: pr.mergeOid, date: pr.mergedAt, pr: pr.number });
    repo.mainIndex.set(pr.mergeOid, pr.mainIdx);
  }

  // Index of the last main commit made at or before t (0 = initial commit).
  _forkIndex(repo, t) {
    let lo = 0;
    let hi = repo.main.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (repo.main[mid].date <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  _genDeployments(repo) {
    const i = repo.idx;
    const seed = this.seed;
    const prodEnv = i % 4 === 3 ? 'prod' : 'production';
    const hasStaging = i % 5 !== 4;
    const events = [];
    const L = repo.genMainLength;
    for (let j = 1; j < L; j++) {
      const d = repo.main[j].date;
      if (hasStaging && unit(mix(seed, i, j, 0xd1)) < 0.45) {
        events.push({ env: 'staging', idx: j, at: d + 300 + (mix(seed, i, j, 0xd3) % 2100) });
      }
      if (unit(mix(seed, i, j, 0xd2)) < 0.2) {
        events.push({ env: prodEnv, idx: j, at: d + 1800 + (mix(seed, i, j, 0xd4) % (8 * HOUR)) });
      }
    }
    if (L > 1 && !events.some((e) => e.env === prodEnv)) {
      const j = L - 1;
      events.push({ env: prodEnv, idx: j, at: repo.main[j].date + 600 });
    }
    const usable = events.filter((e) => e.at <= this.limitS);
    usable.sort((a, b) => a.at - b.at || a.idx - b.idx);
    const lastAt = {};
    for (const e of usable) {
      if (lastAt[e.env] !== undefined && e.at <= lastAt[e.env]) e.at = lastAt[e.env] + 60;
      if (e.at > this.limitS) continue;
      lastAt[e.env] = e.at;
      const u = unit(mix(seed, i, e.idx, e.env.length, 0xd5));
      const r2 = mix(seed, i, e.idx, e.env.length, 0xd6);
      const plan = [['in_progress', 15]];
      if (u < 0.88) {
        plan.push(['success', 120 + (r2 % 780)]);
      } else if (u < 0.96) {
        plan.push(['failure', 180 + (r2 % 420)]);
        plan.push(['in_progress', 1200 + (r2 % 2400)]);
        plan.push(['success', 300]);
      } else {
        plan.push(['failure', 180 + (r2 % 420)]);
      }
      this._createDeployment(repo, {
        sha: repo.main[e.idx].oid,
        environment: e.env,
        at: e.at,
        plan,
        creatorIdx: BOT_ACTIONS,
        clampTo: this.limitS,
      });
    }
  }

  // plan: [[state, seconds after previous status], ...]
  _createDeployment(repo, { sha, environment, at, plan, creatorIdx, ref, task, description, clampTo }) {
    const seq = repo.nextDeploymentSeq++;
    const id = 1100000000 + repo.idx * 100000 + seq;
    const dep = {
      id,
      sha,
      ref: ref || 'main',
      task: task || 'deploy',
      environment,
      description: description || null,
      createdAt: at,
      updatedAt: at,
      creatorIdx,
      statuses: [], // oldest first internally
      mainIdx: repo.mainIndex.has(sha) ? repo.mainIndex.get(sha) : -1,
    };
    let t = at;
    for (const [state, dt] of plan || []) {
      t += dt;
      if (clampTo !== undefined && t > clampTo) break;
      this._addStatus(repo, dep, state, t);
    }
    repo.deployments.push(dep);
    repo.deploymentById.set(id, dep);
    return dep;
  }

  _addStatus(repo, dep, state, t, description) {
    const sseq = repo.nextStatusSeq++;
    const id = 2200000000 + repo.idx * 1000000 + sseq;
    dep.statuses.push({
      id,
      state,
      createdAt: t,
      description: description || null,
      creatorIdx: BOT_ACTIONS,
    });
    dep.updatedAt = Math.max(dep.updatedAt, t);
  }

  _genReleases(repo) {
    const i = repo.idx;
    const seed = this.seed;
    let minor = 0;
    let patch = 0;
    let count = 0;
    const prod = repo.deployments.filter((d) => d.environment !== 'staging');
    prod.forEach((d, k) => {
      const latest = d.statuses[d.statuses.length - 1];
      if (!latest || latest.state !== 'success' || k % 3 !== 0) return;
      const u = unit(mix(seed, i, d.id, 0x7e1));
      let tag;
      let prerelease = false;
      if (u < 0.1) {
        tag = `v1.${minor + 1}.0-rc.${(count % 3) + 1}`;
        prerelease = true;
      } else {
        if (u < 0.35 && count > 0) patch++;
        else {
          minor++;
          patch = 0;
        }
        tag = `v1.${minor}.${patch}`;
      }
      count++;
      this._createRelease(repo, {
        tag, prerelease, draft: false, at: d.createdAt - 600, sha: d.sha,
        authorIdx: mix(seed, i, d.id, 0x7e2) % USERS.length,
      });
    });
    if (i % 3 === 0 && repo.genMainLength > 1) {
      this._createRelease(repo, {
        tag: `v1.${minor + 1}.0`, prerelease: false, draft: true, at: this.limitS - 3 * HOUR,
        sha: repo.main[repo.genMainLength - 1].oid, authorIdx: mix(seed, i, 0x7e3) % USERS.length,
      });
    }
  }

  _createRelease(repo, { tag, prerelease, draft, at, sha, authorIdx, name, body }) {
    const seq = repo.nextReleaseSeq++;
    const id = 3300000000 + repo.idx * 10000 + seq;
    const rel = {
      id,
      tag,
      name: name || tag,
      body: body || `## What's changed\n\nRelease ${tag} of ${repo.name}.`,
      draft: !!draft,
      prerelease: !!prerelease,
      createdAt: at,
      publishedAt: draft ? null : at + 60,
      authorIdx,
      sha,
      targetCommitish: 'main',
    };
    repo.releases.push(rel);
    return rel;
  }

  _refreshRepoTimes(repo) {
    let pushed = repo.main[repo.main.length - 1].date;
    for (const pr of repo.prs) {
      const c = this.prCommitCount(pr);
      if (c > 0) {
        const d = this.prCommitDate(repo, pr, c - 1);
        if (d > pushed) pushed = d;
      }
    }
    repo.pushedAt = pushed;
    repo.updatedAt = Math.max(pushed, repo.updatedAt || 0);
  }

  // ------------------------------------------------------------ children

  prCommitCount(pr) {
    return pr.nCommits + pr.extraCommits.length;
  }
  prReviewCount(pr) {
    return pr.nReviews + pr.extraReviews.length;
  }
  prCommentCount(pr) {
    return pr.nComments + pr.extraComments.length;
  }

  // Commit k of a pull request (0 = oldest).
  prCommit(repo, pr, k) {
    if (k >= pr.nCommits) {
      const c = pr.extraCommits[k - pr.nCommits];
      return c;
    }
    const seed = this.seed;
    const h = mix(seed, repo.idx, pr.number, k, 0xc0);
    const committed = this.prCommitDate(repo, pr, k);
    const authored = Math.max(pr.firstCommitAt - HOUR, committed - (mix(h, 1) % HOUR));
    return {
      oid: oid(seed, repo.idx, pr.number, k, 0xc1),
      committedDate: committed,
      authoredDate: authored,
      message: k === 0 ? pr.title : COMMIT_MSGS[mix(h, 2) % COMMIT_MSGS.length],
      authorIdx: pr.authorIdx,
    };
  }

  // The author identity of PR commit k: {name, email, userIdx} (userIdx
  // null: GitHub knows no account with that address).
  prCommitIdentity(repo, pr, k) {
    const c = this.prCommit(repo, pr, k);
    return commitIdentity(c.authorIdx, mix(this.seed, repo.idx, pr.number, k, 0xc0));
  }

  // committedDate of commit k without building the whole commit.
  prCommitDate(repo, pr, k) {
    if (k >= pr.nCommits) return pr.extraCommits[k - pr.nCommits].committedDate;
    const h = mix(this.seed, repo.idx, pr.number, k, 0xc0);
    const span = pr.lastCommitAt - pr.firstCommitAt;
    return pr.firstCommitAt + Math.floor((span * (k + 0.5 * unit(h))) / pr.nCommits);
  }

  prReview(repo, pr, k) {
    if (k >= pr.nReviews) return pr.extraReviews[k - pr.nReviews];
    const h = mix(this.seed, repo.idx, pr.number, k, 0xa7);
    const n = pr.nReviews;
    const span = pr.activityEnd - pr.createdAt;
    const t = pr.createdAt + Math.min(span, Math.floor((span * (k + 0.05 + 0.9 * unit(h))) / n));
    let state;
    if (k === n - 1 && pr.state === 'MERGED') state = 'APPROVED';
    else {
      const u = unit(mix(h, 1));
      state = u < 0.35 ? 'APPROVED' : u < 0.8 ? 'COMMENTED' : 'CHANGES_REQUESTED';
    }
    let a = mix(h, 2) % USERS.length;
    if (a === pr.authorIdx) a = (a + 1) % USERS.length;
    return {
      seq: k,
      state,
      submittedAt: t,
      authorIdx: a,
      body: REVIEW_BODIES[mix(h, 3) % REVIEW_BODIES.length],
    };
  }

  prComment(repo, pr, k) {
    if (k >= pr.nComments) return pr.extraComments[k - pr.nComments];
    const h = mix(this.seed, repo.idx, pr.number, k, 0xb3);
    const n = pr.nComments;
    const span = pr.activityEnd - pr.createdAt;
    const t = pr.createdAt + Math.min(span, Math.floor((span * (k + 0.05 + 0.9 * unit(h))) / n));
    const who = mix(h, 1) % (USERS.length + 1);
    return {
      seq: k,
      createdAt: t,
      authorIdx: who === USERS.length ? pr.authorIdx : who,
      body: COMMENT_BODIES[mix(h, 2) % COMMENT_BODIES.length],
    };
  }

  reviewId(repo, pr, k) {
    return nodeId('review', repo.idx, pr.number, k);
  }
  commentId(repo, pr, k) {
    return nodeId('comment', repo.idx, pr.number, k);
  }
  reviewDatabaseId(repo, pr, k) {
    return 2000000000 + repo.idx * 10000000 + pr.number * 1000 + k;
  }
  commentDatabaseId(repo, pr, k) {
    return 2500000000 + repo.idx * 10000000 + pr.number * 1000 + k;
  }

  prByNumber(repo, n) {
    const pr = repo.prs[Number(n) - 1];
    return pr && pr.number === Number(n) ? pr : null;
  }

  // Sorted pull-request list for a connection; cached per repo version.
  sortedPrs(repo, field, direction, states, baseRefName, headRefName) {
    const key = `${field}|${direction}|${(states || []).join(',')}|${baseRefName || ''}|${headRefName || ''}`;
    const cached = repo.sortCache.get(key);
    if (cached && cached.version === repo.version) return cached.list;
    let list = repo.prs;
    if (states && states.length) list = list.filter((p) => states.includes(p.state));
    if (baseRefName) list = list.filter((p) => p.baseRefName === baseRefName);
    if (headRefName) list = list.filter((p) => p.headRefName === headRefName);
    const keyOf = this.prSortKey(field);
    const desc = direction === 'DESC';
    list = list.slice().sort((a, b) => {
      const d = keyOf(a) - keyOf(b) || a.number - b.number;
      return desc ? -d : d;
    });
    if (repo.sortCache.size > 64) repo.sortCache.clear();
    repo.sortCache.set(key, { version: repo.version, list });
    return list;
  }

  prSortKey(field) {
    if (field === 'UPDATED_AT') return (p) => p.updatedAt;
    if (field === 'COMMENTS') return (p) => this.prCommentCount(p);
    return (p) => p.createdAt;
  }

  // ------------------------------------------------------------ history / compare

  _commitIndex(repo) {
    if (!repo.commitIndex) {
      const m = new Map();
      for (const pr of repo.prs) {
        const c = this.prCommitCount(pr);
        for (let k = 0; k < c; k++) m.set(this.prCommit(repo, pr, k).oid, [pr.number, k]);
      }
      repo.commitIndex = m;
    }
    return repo.commitIndex;
  }

  // A position in history: {main: i} on the default branch, or
  // {main: fork, pr, k} for commit k of a pull request's branch.
  resolveRef(repo, ref) {
    if (ref === undefined || ref === null) return null;
    let r = decodeURIComponent(String(ref));
    const colon = r.indexOf(':');
    if (colon > 0) r = r.slice(colon + 1);
    if (r === 'main' || r === 'HEAD' || r === 'refs/heads/main') return { main: repo.main.length - 1 };
    const tagRef = r.replace(/^refs\/tags\//, '');
    const rel = repo.releases.find((x) => x.tag === tagRef && !x.draft);
    if (rel) return this.resolveRef(repo, rel.sha);
    const head = r.replace(/^refs\/heads\//, '');
    const branchPr = repo.prs.find((p) => p.headRefName === head && p.state === 'OPEN');
    if (branchPr && this.prCommitCount(branchPr) > 0) {
      return { main: branchPr.fork, pr: branchPr.number, k: this.prCommitCount(branchPr) - 1 };
    }
    if (!/^[0-9a-f]{4,40}$/i.test(r)) return null;
    const sha = r.toLowerCase();
    if (repo.mainIndex.has(sha)) return { main: repo.mainIndex.get(sha) };
    const ci = this._commitIndex(repo);
    if (ci.has(sha)) {
      const [num, k] = ci.get(sha);
      return { main: this.prByNumber(repo, num).fork, pr: num, k };
    }
    if (sha.length >= 7 && sha.length < 40) {
      for (const [o, idx] of repo.mainIndex) if (o.startsWith(sha)) return { main: idx };
      for (const [o, v] of ci) if (o.startsWith(sha)) return { main: this.prByNumber(repo, v[0]).fork, pr: v[0], k: v[1] };
    }
    return null;
  }

  // The full commit record (for REST) at a position.
  commitAt(repo, pos) {
    if (pos.pr) {
      const pr = this.prByNumber(repo, pos.pr);
      const c = this.prCommit(repo, pr, pos.k);
      const u = user(c.authorIdx);
      const a = this.prCommitIdentity(repo, pr, pos.k);
      return {
        oid: c.oid, message: c.message, authoredDate: c.authoredDate, committedDate: c.committedDate,
        authorIdx: a.userIdx, authorName: a.name, authorEmail: a.email,
        committerIdx: c.authorIdx, committerName: u ? u.name : 'ghost', committerEmail: u ? u.email : 'ghost@users.noreply.github.com',
        parents: null, // see parentsOf()
        pos,
      };
    }
    return this.mainCommit(repo, pos.main);
  }

  // Parent shas of a commit record from commitAt()/mainCommit().
  parentsOf(repo, c) {
    if (c.parents) return c.parents;
    const pr = this.prByNumber(repo, c.pos.pr);
    const k = c.pos.k;
    return [k === 0 ? repo.main[pr.fork].oid : this.prCommit(repo, pr, k - 1).oid];
  }

  mainCommit(repo, i) {
    const e = repo.main[i];
    if (i === 0) {
      const u = USERS[repo.idx % USERS.length];
      return {
        oid: e.oid, message: 'Initial commit', authoredDate: e.date, committedDate: e.date,
        authorIdx: u.idx, authorName: u.name, authorEmail: u.email,
        committerIdx: u.idx, committerName: u.name, committerEmail: u.email, parents: [],
      };
    }
    const pr = this.prByNumber(repo, e.pr);
    const u = user(pr.authorIdx);
    return {
      oid: e.oid,
      message: `${pr.title} (#${pr.number})`,
      authoredDate: e.date,
      committedDate: e.date,
      authorIdx: pr.authorIdx,
      authorName: u ? u.name : 'ghost',
      authorEmail: u ? u.email : 'ghost@users.noreply.github.com',
      committerIdx: null,
      committerName: 'GitHub',
      committerEmail: 'noreply@github.com',
      parents: [repo.main[i - 1].oid],
      pr: pr.number,
    };
  }

  // Compare like GET /repos/{o}/{r}/compare/{base}...{head}.
  // Returns null when either side does not resolve.
  compare(repo, baseRef, headRef) {
    const b = this.resolveRef(repo, baseRef);
    const h = this.resolveRef(repo, headRef);
    if (!b || !h) return null;
    let ahead = [];
    let behindBy = 0;
    let mergeBase;
    if (b.pr && h.pr && b.pr === h.pr) {
      const mk = Math.min(b.k, h.k);
      mergeBase = { main: b.main, pr: b.pr, k: mk };
      for (let k = b.k + 1; k <= h.k; k++) ahead.push({ main: h.main, pr: h.pr, k });
      behindBy = Math.max(0, b.k - h.k);
    } else {
      const mb = Math.min(b.main, h.main);
      mergeBase = { main: mb };
      for (let i = mb + 1; i <= h.main; i++) ahead.push({ main: i });
      if (h.pr) for (let k = 0; k <= h.k; k++) ahead.push({ main: h.main, pr: h.pr, k });
      behindBy = (b.main - mb) + (b.pr ? b.k + 1 : 0);
    }
    const aheadBy = ahead.length;
    const status = aheadBy && behindBy ? 'diverged' : aheadBy ? 'ahead' : behindBy ? 'behind' : 'identical';
    return { base: b, head: h, mergeBase, status, aheadBy, behindBy, commits: ahead };
  }

  // ------------------------------------------------------------ mutations

  // A timestamp for a mutation: sandbox now, but always at least one second
  // after the previous mutation and after every generated updatedAt, moving
  // the sandbox clock forward when needed.
  mutationTime() {
    let t = this.clock.nowS();
    if (t <= this.lastMutationS) {
      const target = this.lastMutationS + 1;
      this.clock.offsetMs += (target * 1000) - this.clock.nowMs() + 1;
      t = target;
    }
    this.lastMutationS = t;
    return t;
  }

  _touch(repo, pr, t) {
    if (pr) pr.updatedAt = t;
    repo.version++;
    repo.updatedAt = Math.max(repo.updatedAt, t);
  }

  mutate(op) {
    if (!op || typeof op !== 'object') throw new MutationError('each op must be an object');
    const kind = op.op;
    if (kind === 'add_repo') return this._mAddRepo(op);
    const repo = this.findRepo(op.owner, op.repo);
    if (!repo) throw new MutationError(`unknown repo ${JSON.stringify(op.repo)}`);
    const needPr = () => {
      const pr = this.prByNumber(repo, op.number);
      if (!pr) throw new MutationError(`unknown pull request ${repo.name}#${op.number}`);
      return pr;
    };
    const rng = mulberry32(mix(this.seed, repo.idx, repo.version, 0x3a7));
    switch (kind) {
      case 'add_prs': {
        const count = clampInt(op.count, 1, 1, 10000);
        const numbers = [];
        for (let c = 0; c < count; c++) {
          const t = this.mutationTime();
          const n = repo.prs.length + 1;
          const pr = this._genPr(repo, n, t);
          Object.assign(pr, {
            state: 'OPEN', isDraft: !!op.draft, createdAt: t, updatedAt: t, activityEnd: t,
            mergedAt: null, closedAt: null, mergeOid: null, mergedByIdx: null,
            nCommits: clampInt(op.commits, 1 + (rng.u32() % 4), 1, 250), nReviews: 0, nComments: 0,
            firstCommitAt: t - 600 - (rng.u32() % (6 * HOUR)), lastCommitAt: t - 60,
          });
          if (op.title) pr.title = String(op.title);
          pr.fork = this._forkIndex(repo, pr.firstCommitAt);
          repo.prs.push(pr);
          numbers.push(n);
          this._touch(repo, pr, t);
        }
        repo.commitIndex = null;
        repo.pushedAt = Math.max(repo.pushedAt, this.lastMutationS);
        return { repo: repo.name, numbers };
      }
      case 'merge_pr': {
        const pr = needPr();
        if (pr.state !== 'OPEN') throw new MutationError(`${repo.name}#${pr.number} is ${pr.state}, not OPEN`);
        const t = this.mutationTime();
        pr.state = 'MERGED';
        pr.isDraft = false;
        pr.mergedAt = t;
        pr.closedAt = t;
        pr.mergeOid = oid(this.seed, repo.idx, pr.number, 0x3e6);
        pr.mergedByIdx = op.merged_by !== undefined ? loginIdx(op.merged_by) : (pr.authorIdx >= 0 && pr.authorIdx < 1000 ? pr.authorIdx : 0);
        this._appendMain(repo, pr);
        this._touch(repo, pr, t);
        repo.pushedAt = t;
        return { repo: repo.name, number: pr.number, mergeCommit: pr.mergeOid, mergedAt: iso(t) };
      }
      case 'close_pr': {
        const pr = needPr();
        if (pr.state !== 'OPEN') throw new MutationError(`${repo.name}#${pr.number} is ${pr.state}, not OPEN`);
        const t = this.mutationTime();
        pr.state = 'CLOSED';
        pr.closedAt = t;
        this._touch(repo, pr, t);
        return { repo: repo.name, number: pr.number, closedAt: iso(t) };
      }
      case 'reopen_pr': {
        const pr = needPr();
        if (pr.state !== 'CLOSED') throw new MutationError(`${repo.name}#${pr.number} is ${pr.state}, not CLOSED`);
        const t = this.mutationTime();
        pr.state = 'OPEN';
        pr.closedAt = null;
        this._touch(repo, pr, t);
        return { repo: repo.name, number: pr.number, updatedAt: iso(t) };
      }
      case 'touch_pr': {
        const pr = needPr();
        const t = this.mutationTime();
        if (op.title !== undefined) pr.title = String(op.title);
        if (op.draft !== undefined && pr.state === 'OPEN') pr.isDraft = !!op.draft;
        this._touch(repo, pr, t);
        return { repo: repo.name, number: pr.number, updatedAt: iso(t) };
      }
      case 'add_review': {
        const pr = needPr();
        const count = clampInt(op.count, 1, 1, 1000);
        const states = ['APPROVED', 'CHANGES_REQUESTED', 'COMMENTED', 'DISMISSED'];
        if (op.state !== undefined && !states.includes(op.state)) throw new MutationError(`bad review state ${op.state}`);
        let t;
        for (let c = 0; c < count; c++) {
          t = this.mutationTime();
          let a = op.author !== undefined ? loginIdx(op.author) : rng.u32() % USERS.length;
          if (op.author === undefined && a === pr.authorIdx) a = (a + 1) % USERS.length;
          own(pr, 'extraReviews').push({
            seq: this.prReviewCount(pr), state: op.state || 'APPROVED', submittedAt: t, authorIdx: a,
            body: op.body !== undefined ? String(op.body) : 'Looks good.',
          });
        }
        this._touch(repo, pr, t);
        return { repo: repo.name, number: pr.number, reviews: this.prReviewCount(pr), updatedAt: iso(t) };
      }
      case 'add_comment': {
        const pr = needPr();
        const count = clampInt(op.count, 1, 1, 1000);
        let t;
        for (let c = 0; c < count; c++) {
          t = this.mutationTime();
          own(pr, 'extraComments').push({
            seq: this.prCommentCount(pr), createdAt: t,
            authorIdx: op.author !== undefined ? loginIdx(op.author) : rng.u32() % USERS.length,
            body: op.body !== undefined ? String(op.body) : 'Sandbox comment.',
          });
        }
        this._touch(repo, pr, t);
        return { repo: repo.name, number: pr.number, comments: this.prCommentCount(pr), updatedAt: iso(t) };
      }
      case 'add_commits': {
        const pr = needPr();
        if (pr.state !== 'OPEN') throw new MutationError(`${repo.name}#${pr.number} is ${pr.state}; commits can only be pushed to an OPEN pull request`);
        const count = clampInt(op.count, 1, 1, 1000);
        let t;
        const oids = [];
        for (let c = 0; c < count; c++) {
          t = this.mutationTime();
          const k = this.prCommitCount(pr);
          const o = oid(this.seed, repo.idx, pr.number, k, 0xc2);
          own(pr, 'extraCommits').push({
            oid: o, committedDate: t, authoredDate: t,
            message: op.message !== undefined ? String(op.message) : 'Push from sandbox mutation', authorIdx: pr.authorIdx,
          });
          oids.push(o);
        }
        repo.commitIndex = null;
        repo.pushedAt = t;
        this._touch(repo, pr, t);
        return { repo: repo.name, number: pr.number, commits: this.prCommitCount(pr), oids, updatedAt: iso(t) };
      }
      case 'add_deployment': {
        const t = this.mutationTime();
        const env = op.environment || 'production';
        let sha = repo.main[repo.main.length - 1].oid;
        if (op.sha !== undefined || op.ref !== undefined) {
          const pos = this.resolveRef(repo, op.sha !== undefined ? op.sha : op.ref);
          if (!pos) throw new MutationError(`cannot resolve ${op.sha || op.ref} in ${repo.name}`);
          sha = this.commitAt(repo, pos).oid;
        }
        const statuses = op.statuses || [op.status || 'success'];
        const plan = [['in_progress', 0]];
        for (const s of statuses) plan.push([s, 1]);
        if (op.status === null || (Array.isArray(op.statuses) && op.statuses.length === 0)) plan.length = 0;
        const dep = this._createDeployment(repo, {
          sha, environment: env, at: t, plan, creatorIdx: BOT_ACTIONS, ref: op.ref, task: op.task,
        });
        // statuses were placed after t; keep the mutation clock ahead of them
        this.lastMutationS = Math.max(this.lastMutationS, dep.updatedAt);
        if (this.clock.nowS() < dep.updatedAt) this.clock.offsetMs += (dep.updatedAt * 1000) - this.clock.nowMs() + 1;
        repo.version++;
        return { repo: repo.name, id: dep.id, sha, environment: env, latest_status: dep.statuses.length ? dep.statuses[dep.statuses.length - 1].state : null };
      }
      case 'add_deployment_status': {
        const dep = repo.deploymentById.get(Number(op.id));
        if (!dep) throw new MutationError(`unknown deployment ${op.id} in ${repo.name}`);
        const states = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'];
        const st = op.state || 'success';
        if (!states.includes(st)) throw new MutationError(`bad deployment status state ${st}`);
        const t = this.mutationTime();
        this._addStatus(repo, dep, st, t, op.description);
        repo.version++;
        return { repo: repo.name, id: dep.id, state: st, statuses: dep.statuses.length };
      }
      case 'add_release': {
        const t = this.mutationTime();
        const tag = op.tag || `v9.${repo.releases.length}.0`;
        let sha = repo.main[repo.main.length - 1].oid;
        if (op.sha) {
          const pos = this.resolveRef(repo, op.sha);
          if (!pos) throw new MutationError(`cannot resolve ${op.sha} in ${repo.name}`);
          sha = this.commitAt(repo, pos).oid;
        }
        const rel = this._createRelease(repo, {
          tag, prerelease: op.prerelease, draft: op.draft, at: t, sha,
          authorIdx: op.author !== undefined ? loginIdx(op.author) : 0, name: op.name,
        });
        if (rel.publishedAt) rel.publishedAt = t;
        repo.version++;
        return { repo: repo.name, id: rel.id, tag };
      }
      default:
        throw new MutationError(`unknown op ${JSON.stringify(kind)}`);
    }
  }

  _mAddRepo(op) {
    const name = String(op.name || '');
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) throw new MutationError('add_repo needs a name of letters, digits, . _ -');
    if (this.repoByName.has(name.toLowerCase())) throw new MutationError(`repo ${name} exists`);
    const t = this.mutationTime();
    const repo = new Repo(this, this.repos.length, name, clampInt(op.prs, 0, 0, 100000));
    repo.ensureDeploys();
    if (!repo.prs.length) repo.createdAt = t;
    repo.pushedAt = Math.max(repo.pushedAt, t);
    repo.updatedAt = Math.max(repo.updatedAt, t);
    this._addRepo(repo);
    return { repo: repo.name, prs: repo.prs.length };
  }

  // ------------------------------------------------------------ truth

  truthPr(repo, pr, details) {
    const u = user(pr.authorIdx);
    const nC = this.prCommitCount(pr);
    const out = {
      number: pr.number,
      id: pr.id,
      title: pr.title,
      state: pr.state,
      isDraft: pr.isDraft,
      createdAt: iso(pr.createdAt),
      updatedAt: iso(pr.updatedAt),
      mergedAt: iso(pr.mergedAt),
      closedAt: iso(pr.closedAt),
      author: u ? u.login : null,
      authorType: u ? u.type : null,
      baseRefName: pr.baseRefName,
      headRefName: pr.headRefName,
      mergeCommit: pr.mergeOid,
      commits: nC,
      reviews: this.prReviewCount(pr),
      comments: this.prCommentCount(pr),
      firstCommitAt: nC ? iso(this.prCommit(repo, pr, 0).committedDate) : null,
    };
    if (details) {
      out.commitList = [];
      for (let k = 0; k < nC; k++) {
        const c = this.prCommit(repo, pr, k);
        const a = this.prCommitIdentity(repo, pr, k);
        const au = user(a.userIdx);
        out.commitList.push({ oid: c.oid, committedDate: iso(c.committedDate), authoredDate: iso(c.authoredDate), message: c.message,
          author: { name: a.name, email: a.email, login: au && au.type === 'User' ? au.login : null } });
      }
      out.reviewList = [];
      for (let k = 0; k < this.prReviewCount(pr); k++) {
        const r = this.prReview(repo, pr, k);
        const a = user(r.authorIdx);
        out.reviewList.push({ id: this.reviewId(repo, pr, k), state: r.state, submittedAt: iso(r.submittedAt), author: a ? a.login : null });
      }
      out.commentList = [];
      for (let k = 0; k < this.prCommentCount(pr); k++) {
        const c = this.prComment(repo, pr, k);
        const a = user(c.authorIdx);
        out.commentList.push({ id: this.commentId(repo, pr, k), createdAt: iso(c.createdAt), author: a ? a.login : null });
      }
    }
    return out;
  }

  truthRepo(repo, { summary, prNumber, withMain }) {
    const counts = { prs: repo.prs.length, open: 0, merged: 0, closed: 0, commits: 0, reviews: 0, comments: 0 };
    for (const pr of repo.prs) {
      counts[pr.state.toLowerCase()]++;
      counts.commits += this.prCommitCount(pr);
      counts.reviews += this.prReviewCount(pr);
      counts.comments += this.prCommentCount(pr);
    }
    counts.deployments = repo.deployments.length;
    counts.releases = repo.releases.length;
    counts.main_commits = repo.main.length;
    const out = {
      name: repo.name,
      full_name: `${this.orgLogin}/${repo.name}`,
      id: repo.id,
      node_id: repo.nodeId,
      private: repo.private,
      default_branch: 'main',
      created_at: iso(repo.createdAt),
      updated_at: iso(repo.updatedAt),
      pushed_at: iso(repo.pushedAt),
      head: repo.main[repo.main.length - 1].oid,
      counts,
    };
    if (prNumber !== undefined) {
      const pr = this.prByNumber(repo, prNumber);
      out.prs = pr ? [this.truthPr(repo, pr, true)] : [];
      return out;
    }
    if (summary) return out;
    out.prs = repo.prs.map((pr) => this.truthPr(repo, pr, false));
    out.deployments = repo.deployments.map((d) => {
      const last = d.statuses[d.statuses.length - 1];
      return {
        id: d.id, sha: d.sha, ref: d.ref, environment: d.environment, created_at: iso(d.createdAt),
        main_index: d.mainIdx, latest_status: last ? last.state : null, latest_status_at: last ? iso(last.createdAt) : null,
        statuses: d.statuses.map((s) => s.state),
      };
    });
    out.releases = repo.releases.map((r) => ({
      id: r.id, tag_name: r.tag, draft: r.draft, prerelease: r.prerelease, created_at: iso(r.createdAt),
      published_at: iso(r.publishedAt), sha: r.sha,
    }));
    if (withMain) out.main = repo.main.map((e, i) => ({ index: i, sha: e.oid, date: iso(e.date), pr: e.pr || null }));
    return out;
  }

  truth({ repo, summary, pr, main }) {
    const repos = repo ? [this.findRepo(null, repo)].filter(Boolean) : this.repos;
    return {
      org: this.orgLogin,
      seed: this.seedText,
      epoch: iso(this.epochS),
      now: iso(this.clock.nowS()),
      repos: repos.map((r) => this.truthRepo(r, { summary, prNumber: pr, withMain: main })),
    };
  }

  // GET /_sandbox/truth/commit-authors: how every PR commit names its
  // author, [{repo, pr, oid, name, email, login}] (login null: no account).
  truthCommitAuthors() {
    const out = [];
    for (const repo of this.repos)
      for (const pr of repo.prs)
        for (let k = 0; k < this.prCommitCount(pr); k++) {
          const a = this.prCommitIdentity(repo, pr, k);
          const u = user(a.userIdx);
          out.push({ repo: repo.name, pr: pr.number, oid: this.prCommit(repo, pr, k).oid,
            name: a.name, email: a.email, login: u && u.type === 'User' ? u.login : null });
        }
    return { commitAuthors: out };
  }
}

// A repository. Its identity (name, ids, creation time) exists from the
// start; its history is generated on first access of any history field.
class Repo {
  constructor(sb, i, forcedName, nPrs) {
    const seed = sb.seed;
    const rng = mulberry32(mix(seed, i, 0x4e90));
    const base = REPO_NAMES[i % REPO_NAMES.length];
    const name = forcedName || (i < REPO_NAMES.length ? base : `${base}-${Math.floor(i / REPO_NAMES.length) + 1}`);
    this.sb = sb;
    this.rng = rng;
    this.idx = i;
    this.name = name;
    this.nPrs = nPrs;
    this.id = 700000000 + i * 131 + (mix(seed, i, 0x1d) % 100);
    this.nodeId = nodeId('repo', i, this.id);
    this.description = `The ${name.replace(/-/g, ' ')} of ${sb.orgLogin}.`;
    this.language = rng.pick(LANGUAGES);
    this.private = i % 4 !== 0;
    this.createdAt = sb.epochS - rng.int(200, 1400) * DAY - rng.int(0, DAY);
    this.stars = rng.int(0, 300);
    this.commitIndex = null; // lazily: PR commit oid -> [number, k]
    this.version = 0;
    this.sortCache = new Map();
    this.nextDeploymentSeq = 1;
    this.nextStatusSeq = 1;
    this.nextReleaseSeq = 1;
    this.genMainLength = 0;
    this.generated = false;
    this.deploysGenerated = false;
    this._h = {};
  }
  ensure() {
    if (!this.generated) {
      this.generated = true;
      this.sb._generate(this);
    }
    return this;
  }
  ensureDeploys() {
    if (!this.deploysGenerated) {
      this.deploysGenerated = true;
      this.sb._generateDeploys(this);
    }
    return this;
  }
}
for (const f of ['prs', 'main', 'mainIndex', 'pushedAt', 'updatedAt']) {
  Object.defineProperty(Repo.prototype, f, {
    get() {
      if (!this.generated) this.ensure();
      return this._h[f];
    },
    set(v) {
      this._h[f] = v;
    },
  });
}
for (const f of ['deployments', 'deploymentById', 'releases']) {
  Object.defineProperty(Repo.prototype, f, {
    get() {
      if (!this.deploysGenerated) this.ensureDeploys();
      return this._h[f];
    },
    set(v) {
      this._h[f] = v;
    },
  });
}

class PullRequest {
  constructor(repo, number) {
    this.repo = repo;
    this.number = number;
    this.words = null;
    this.customTitle = undefined;
    this.customHead = undefined;
    this.state = null;
    this.isDraft = null;
    this.createdAt = null;
    this.updatedAt = null;
    this.activityEnd = null;
    this.mergedAt = null;
    this.closedAt = null;
    this.authorIdx = null;
    this.mergedByIdx = null;
    this.baseRefName = null;
    this.nCommits = null;
    this.nReviews = null;
    this.nComments = null;
    this.extraCommits = NONE; // children added by mutations (arrays once used)
    this.extraReviews = NONE;
    this.extraComments = NONE;
    this.firstCommitAt = null;
    this.lastCommitAt = null;
    this.additions = null;
    this.deletions = null;
    this.changedFiles = null;
    this.mergeOid = null;
    this.mainIdx = null;
    this.fork = null;
    this.customBody = undefined;
  }
  get id() {
    return nodeId('pr', this.repo.idx, this.number);
  }
  get databaseId() {
    return 1500000000 + this.repo.idx * 100000 + this.number;
  }
  get title() {
    if (this.customTitle !== undefined) return this.customTitle;
    const w = this.words;
    if (w[0] === 1) return `Bump ${PACKAGES[w[1]]} from ${w[2]}.${w[3]}.0 to ${w[2]}.${w[3] + 1}.0`;
    return `${VERBS[w[1]]} ${THINGS[w[2]]}`;
  }
  set title(v) {
    this.customTitle = v;
  }
  get headRefName() {
    if (this.customHead !== undefined) return this.customHead;
    const w = this.words;
    if (w[0] === 1) return `dependabot/${slug(PACKAGES[w[1]])}-${w[2]}.${w[3] + 1}.0`;
    return `${BRANCH_PREFIX[w[3]]}/${slug(`${VERBS[w[1]]} ${THINGS[w[2]]}`)}-${this.number}`;
  }
  set headRefName(v) {
    this.customHead = v;
  }
  get body() {
    return this.customBody !== undefined ? this.customBody
      : `${this.title}.\n\nThis change was generated by the pulse-host GitHub sandbox.`;
  }
}

class MutationError extends Error {}

const NONE = Object.freeze([]);

// The mutable array in pr[field], created on first use.
function own(pr, field) {
  if (pr[field] === NONE) pr[field] = [];
  return pr[field];
}

function clampInt(v, dflt, lo, hi) {
  if (v === undefined || v === null || v === '') return dflt;
  const n = Math.floor(Number(v));
  if (!Number.isFinite(n)) return dflt;
  return Math.max(lo, Math.min(hi, n));
}

function loginIdx(login) {
  const i = LOGINS.indexOf(String(login));
  if (i < 0) throw new MutationError(`unknown user ${login}; known: ${LOGINS.join(', ')}`);
  return i;
}

// Seconds since the epoch -> "YYYY-MM-DDTHH:MM:SSZ" (hot path: no Date).
function iso(t) {
  if (t === null || t === undefined) return null;
  if (!Number.isFinite(t) || t < 0 || t >= 253402300800) return `${new Date(t * 1000).toISOString().slice(0, 19)}Z`;
  const days = Math.floor(t / 86400);
  let sec = t - days * 86400;
  const hh = Math.floor(sec / 3600);
  sec -= hh * 3600;
  const mm = Math.floor(sec / 60);
  const ss = sec - mm * 60;
  // civil-from-days (proleptic Gregorian), valid for the whole range above
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${y}-${P2[m]}-${P2[d]}T${P2[hh]}:${P2[mm]}:${P2[ss]}Z`;
}
const P2 = [];
for (let i = 0; i < 60; i++) P2.push(i < 10 ? `0${i}` : String(i));

module.exports = {
  Sandbox, MutationError, user, iso, nodeId, decodeNodeId, USERS, BOTS, LOGINS,
  BOT_ACTIONS, BOT_DEPENDABOT, GHOST, DEFAULT_EPOCH_S,
};

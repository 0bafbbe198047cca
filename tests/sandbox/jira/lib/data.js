'use strict';
// Deterministic Jira-Cloud-shaped dataset: projects, boards, sprints,
// statuses, issue types, issues with changelogs, dev-status PR links.
//
// Everything is derived from (seed, projects, issues per project, gh org,
// gh repos) and a fixed base date; nothing reads the wall clock. Issues are
// stored compactly; JSON is built on request by render.js.

const DAY = 86400000;
const HOUR = 3600000;
const MIN = 60000;

const BASE_MS = Date.UTC(2026, 5, 1, 0, 0, 0); // 2026-06-01T00:00:00Z
const NOW_MS = BASE_MS + 90 * DAY;              // sandbox "now" at start
const SPRINT_LEN = 14 * DAY;

// ---------------------------------------------------------------- PRNG
function xmur3(str) {
  let h = 1779033703 ^ str.length;
  for (let i = 0; i < str.length; i++) {
    h = Math.imul(h ^ str.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  return function () {
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return (h ^= h >>> 16) >>> 0;
  };
}
function mulberry32(a) {
  return function () {
    a |= 0; a = (a + 0x6D2B79F5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function rngFor(seed, label) { return mulberry32(xmur3(String(seed) + '/' + label)()); }
function rint(rng, n) { return Math.floor(rng() * n); }
function pick(rng, arr) { return arr[rint(rng, arr.length)]; }
function wpick(rng, weights) { // weights: array of numbers -> index
  let s = 0; for (const w of weights) s += w;
  let r = rng() * s;
  for (let i = 0; i < weights.length; i++) { r -= weights[i]; if (r < 0) return i; }
  return weights.length - 1;
}
function hex(rng, n) { let s = ''; for (let i = 0; i < n; i++) s += '0123456789abcdef'[rint(rng, 16)]; return s; }

// ---------------------------------------------------------- catalogues
const STATUS_CATEGORIES = {
  new: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do', search: 'TODO' },
  indeterminate: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress', search: 'IN_PROGRESS' },
  done: { id: 3, key: 'done', colorName: 'green', name: 'Done', search: 'DONE' },
};
// index order matters: S_* constants below
const STATUSES = [
  { id: '10000', name: 'To Do', category: 'new', description: 'Work that has not been started.' },
  { id: '3', name: 'In Progress', category: 'indeterminate', description: 'This issue is being actively worked on at the moment by the assignee.' },
  { id: '10002', name: 'In Review', category: 'indeterminate', description: 'Waiting for code review.' },
  { id: '10003', name: 'Blocked', category: 'indeterminate', description: 'Work cannot continue until something else happens.' },
  { id: '10001', name: 'Done', category: 'done', description: 'Work has been completed.' },
  { id: '10004', name: "Won't Do", category: 'done', description: 'This issue will not be worked on.' },
];
const S_TODO = 0, S_PROG = 1, S_REVIEW = 2, S_BLOCKED = 3, S_DONE = 4, S_WONT = 5;

const ISSUE_TYPES = [
  { id: '10000', name: 'Epic', subtask: false, hierarchyLevel: 1, avatarId: 10307, description: 'Epics track collections of related bugs, stories, and tasks.' },
  { id: '10001', name: 'Story', subtask: false, hierarchyLevel: 0, avatarId: 10315, description: "Stories track functionality or features expressed as user goals." },
  { id: '10002', name: 'Task', subtask: false, hierarchyLevel: 0, avatarId: 10318, description: 'Tasks track small, distinct pieces of work.' },
  { id: '10003', name: 'Sub-task', subtask: true, hierarchyLevel: -1, avatarId: 10316, description: 'Subtasks track small pieces of work that are part of a larger task.' },
  { id: '10004', name: 'Bug', subtask: false, hierarchyLevel: 0, avatarId: 10303, description: 'Bugs track problems or errors.' },
  { id: '10005', name: 'Incident', subtask: false, hierarchyLevel: 0, avatarId: 10304, description: 'For system outages or incidents.' },
  { id: '10006', name: 'Spike', subtask: false, hierarchyLevel: 0, avatarId: 10311, description: 'Custom type: time-boxed research (only in one project).' },
];
const T_EPIC = 0, T_STORY = 1, T_TASK = 2, T_SUB = 3, T_BUG = 4, T_INC = 5, T_SPIKE = 6;

const PRIORITIES = [
  { id: '1', name: 'Highest' }, { id: '2', name: 'High' }, { id: '3', name: 'Medium' },
  { id: '4', name: 'Low' }, { id: '5', name: 'Lowest' },
];
const RESOLUTIONS = [
  { id: '10000', name: 'Done', description: 'Work has been completed on this issue.' },
  { id: '10001', name: "Won't Do", description: 'This issue won\'t be actioned.' },
];

const PROJECT_DEFS = [
  ['PLAT', 'Platform'], ['MOB', 'Mobile'], ['OPS', 'Operations'], ['WEB', 'Web Frontend'],
  ['DATA', 'Data Engineering'], ['SEC', 'Security'], ['INFRA', 'Infrastructure'], ['API', 'Public API'],
  ['PAY', 'Payments'], ['CORE', 'Core Services'], ['SRCH', 'Search'], ['ML', 'Machine Learning'],
];

const USER_DEFS = [
  // [displayName, email, kind]; index 0 is the API user (/myself)
  ['Sandbox Admin', null, 'atlassian'],
  ['Alice Nguyen', 'alice@example.com', 'atlassian'],
  ['Bob Martins', 'bob@example.com', 'atlassian'],
  ['Chen Wei', 'chen@example.com', 'atlassian'],
  ['Dana Kowalski', 'dana@example.com', 'atlassian'],
  ['Emeka Obi', 'emeka@example.com', 'atlassian'],
  ['Fatima Zahra', 'fatima@example.com', 'atlassian'],
  ['Gustavo Lima', 'gustavo@example.com', 'atlassian'],
  ['Hana Sato', 'hana@example.com', 'atlassian'],
  ['Ivan Petrov', 'ivan@example.com', 'atlassian'],
  ['Julia Schmidt (former)', null, 'atlassian'], // inactive
  ['Automation for Jira', null, 'app'],
];
const U_ME = 0, U_INACTIVE = 10, U_AUTOMATION = 11;
const USER_TZS = ['America/Los_Angeles', 'Europe/Berlin', 'Asia/Kolkata', 'America/New_York',
  'Europe/London', 'Asia/Tokyo', 'America/Sao_Paulo', 'Australia/Sydney'];

const LABELS = ['backend', 'frontend', 'tech-debt', 'customer', 'security', 'performance'];
const NOUNS = ['login flow', 'billing export', 'search index', 'push notifications', 'audit log',
  'rate limiter', 'CSV import', 'dashboard', 'session cache', 'webhook retries', 'SSO settings',
  'user profile', 'report builder', 'API gateway', 'feature flags', 'onboarding wizard',
  'payment retries', 'mobile sync', 'alerting rules', 'data retention job'];
const VERBS = {
  [T_EPIC]: ['Revamp', 'Launch', 'Migrate', 'Rebuild'],
  [T_STORY]: ['As a user I can manage', 'Add', 'Support', 'Allow admins to configure'],
  [T_TASK]: ['Upgrade', 'Document', 'Clean up', 'Configure'],
  [T_SUB]: ['Write tests for', 'Implement', 'Review', 'Wire up'],
  [T_BUG]: ['Fix crash in', 'Fix timeout in', 'Wrong totals in', 'Fix flaky'],
  [T_INC]: ['Outage:', 'Degraded', 'Elevated errors in', 'Incident: stuck'],
  [T_SPIKE]: ['Investigate', 'Prototype', 'Evaluate options for', 'Research'],
};
const SPRINT_GOALS = ['Stabilise releases', 'Ship the billing beta', 'Reduce p95 latency',
  'Close security findings', 'Finish the migration', ''];

// Repository names used by tests/sandbox/github (lib/model.js): repository
// i is REPO_NAMES[i % 20], with "-2", "-3"... appended past the first 20.
const GH_REPO_NAMES = [
  'api-gateway', 'billing-service', 'web-app', 'mobile-app', 'auth-service',
  'data-pipeline', 'search-service', 'notifications', 'payments', 'inventory',
  'analytics', 'admin-portal', 'infra-terraform', 'docs-site', 'design-system',
  'recommendations', 'shipping', 'catalog', 'checkout', 'user-profile',
];
function ghSandboxRepoNames(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const base = GH_REPO_NAMES[i % GH_REPO_NAMES.length];
    out.push(i < GH_REPO_NAMES.length ? base : base + '-' + (Math.floor(i / GH_REPO_NAMES.length) + 1));
  }
  return out;
}

// ------------------------------------------------------------- helpers
function catOf(statusIdx) { return STATUSES[statusIdx].category; }
function isDone(statusIdx) { return catOf(statusIdx) === 'done'; }

// ---------------------------------------------------------------- store
class Store {
  constructor(opts) {
    this.opts = Object.assign({ seed: 'pulse', projects: 3, issues: 60, ghOrg: 'acme', ghRepos: 3, ghPrs: 40, ghRepoNames: null }, opts || {});
    this.generate();
  }

  generate() {
    const t0 = Date.now();
    const o = this.opts;
    this.baseMs = BASE_MS;
    this.now = NOW_MS;
    this.version = 1;
    this.nextHistoryId = 10000;
    this.deleted = [];            // [{key,id,at}]
    this.issueById = new Map();
    this.issueByKey = new Map();

    this.buildUsers();
    this.buildProjects();
    this.buildSprints();

    const all = [];
    for (let p = 0; p < this.projects.length; p++) {
      for (const iss of this.generateProject(p)) all.push(iss);
    }
    // Global numeric ids follow creation order across projects, like a real site.
    all.sort((a, b) => a.created - b.created || a.proj - b.proj || a.num - b.num);
    let id = 10000;
    for (const iss of all) {
      iss.id = id++;
      for (const h of iss.histories) h.id = this.nextHistoryId++;
    }
    this.nextIssueId = id;
    this.issues = all; // includes deleted ones later (flagged)
    for (const iss of all) { this.issueById.set(iss.id, iss); this.issueByKey.set(iss.key, iss); }
    this.assignPullRequests();
    this.genMs = Date.now() - t0;
  }

  buildUsers() {
    const rng = rngFor(this.opts.seed, 'users');
    this.users = USER_DEFS.map(([name, email, kind], i) => {
      const accountId = kind === 'app' ? '557058:' + hex(rng, 8) + '-' + hex(rng, 4) + '-' + hex(rng, 4) + '-' + hex(rng, 4) + '-' + hex(rng, 12)
        : (i % 2 === 0 ? '712020:' + hex(rng, 8) + '-' + hex(rng, 4) + '-' + hex(rng, 4) + '-' + hex(rng, 4) + '-' + hex(rng, 12) : hex(rng, 24));
      return {
        idx: i, accountId, displayName: name, emailAddress: email,
        accountType: kind, active: i !== U_INACTIVE,
        timeZone: USER_TZS[i % USER_TZS.length],
      };
    });
    this.userByAccount = new Map(this.users.map(u => [u.accountId, u]));
    // human users that get assigned work
    this.workers = this.users.filter(u => u.accountType === 'atlassian' && u.idx !== U_ME).map(u => u.idx);
  }

  buildProjects() {
    const n = Math.max(1, this.opts.projects | 0);
    this.projects = [];
    for (let i = 0; i < n; i++) {
      const def = PROJECT_DEFS[i] || ['P' + (i + 1), 'Project ' + (i + 1)];
      this.projects.push({
        idx: i, id: 10000 + i, key: def[0], name: def[1],
        boardId: i + 1, boardType: def[0] === 'OPS' ? 'kanban' : 'scrum',
        lead: this.workers[i % this.workers.length],
        hasSpike: false, nextNum: 1, sprints: [],
      });
    }
    this.spikeProject = this.projects[Math.min(1, n - 1)];
    this.spikeProject.hasSpike = true;
    this.projectByKey = new Map(this.projects.map(p => [p.key, p]));
  }

  buildSprints() {
    this.sprints = [];
    let sid = 1;
    for (const p of this.projects) {
      if (p.boardType !== 'scrum') continue;
      const rng = rngFor(this.opts.seed, 'sprints/' + p.key);
      const first = BASE_MS - SPRINT_LEN + p.idx * DAY; // staggered by project
      for (let k = 0; ; k++) {
        const start = first + k * SPRINT_LEN + 9 * HOUR;
        if (start > NOW_MS + 2 * SPRINT_LEN) break;
        const sp = {
          id: sid++, boardId: p.boardId, proj: p.idx, name: p.key + ' Sprint ' + (k + 1),
          start, end: start + SPRINT_LEN - 2 * HOUR,
          // planned a few days ahead, but never after the initial "now"
          created: Math.min(start - 3 * DAY - rint(rng, 8) * HOUR, NOW_MS - (k + 1) * HOUR),
          completeOffset: rint(rng, 20) * HOUR, // after end, when closed
          goal: pick(rng, SPRINT_GOALS),
        };
        this.sprints.push(sp);
        p.sprints.push(sp);
      }
    }
    this.sprintById = new Map(this.sprints.map(s => [s.id, s]));
  }

  // state of a sprint at the sandbox clock
  sprintState(sp) {
    if (this.now >= sp.end) return 'closed';
    if (this.now >= sp.start) return 'active';
    return 'future';
  }

  generateProject(p) {
    const proj = this.projects[p];
    const rng = rngFor(this.opts.seed, 'project/' + proj.key);
    const M = Math.max(0, this.opts.issues | 0);
    // creation times: sorted, spread over [BASE, NOW-2h)
    const span = NOW_MS - 2 * HOUR - BASE_MS;
    const gaps = new Float64Array(M + 1);
    let gsum = 0;
    for (let i = 0; i <= M; i++) { gaps[i] = -Math.log(1 - rng()); gsum += gaps[i]; }
    const out = [];
    const epics = [];
    const standard = []; // candidates for sub-task parents
    let acc = 0;
    for (let j = 0; j < M; j++) {
      acc += gaps[j];
      const created = BASE_MS + Math.floor(span * acc / gsum);
      const num = j + 1;
      let type;
      // deterministic head so every type exists in small datasets
      const head = [T_EPIC, T_STORY, T_SUB, T_BUG, T_TASK, T_INC, T_STORY, T_SPIKE];
      if (num <= head.length) type = head[num - 1];
      else {
        const w = [4, 33, 18, 14, 18, proj.key === 'OPS' ? 20 : 5, proj.hasSpike ? 6 : 0];
        type = wpick(rng, w);
      }
      if (type === T_SPIKE && !proj.hasSpike) type = T_TASK;
      let parent = null;
      if (type === T_SUB) {
        if (standard.length === 0) type = T_TASK;
        else parent = standard[Math.max(0, standard.length - 1 - rint(rng, Math.min(30, standard.length)))];
      } else if (type !== T_EPIC && epics.length && (num === 2 || rng() < 0.6)) {
        parent = epics[Math.max(0, epics.length - 1 - rint(rng, Math.min(10, epics.length)))];
      }
      const heavy = num === 7 || rng() < 0.004;
      const iss = this.simulateIssue(rng, proj, num, type, created, parent, heavy);
      out.push(iss);
      if (type === T_EPIC) epics.push(iss);
      else if (type !== T_SUB) standard.push(iss);
    }
    proj.nextNum = M + 1;
    return out;
  }

  makeIssueShell(proj, num, type, created, parent, reporter, assignee, priority, summary) {
    return {
      id: 0, key: proj.key + '-' + num, proj: proj.idx, num, type,
      status: S_TODO, priority, assignee, reporter, creator: reporter,
      created, updated: created, resolution: -1, resolutiondate: null,
      statusCategoryChanged: created,
      summary, labels: [], points: null, sprints: [], parent, children: [],
      histories: [], prs: [], deleted: false,
    };
  }

  simulateIssue(rng, proj, num, type, created, parent, heavy) {
    const noun = pick(rng, NOUNS);
    const summary0 = pick(rng, VERBS[type]) + ' ' + noun;
    const reporter = rng() < 0.1 ? U_ME : pick(rng, this.workers);
    let assignee = rng() < 0.8 ? pick(rng, this.workers) : -1;
    let priority = (type === T_BUG || type === T_INC) ? wpick(rng, [2, 4, 3, 1, 0]) : wpick(rng, [1, 2, 8, 2, 1]);
    const iss = this.makeIssueShell(proj, num, type, created, parent, reporter, assignee, priority, summary0);
    if (parent) parent.children.push(iss);
    if (type === T_STORY || type === T_SPIKE) iss.points = pick(rng, [1, 2, 3, 5, 8, null]);
    if (rng() < 0.5) iss.labels = [pick(rng, LABELS)];

    const age = (NOW_MS - created) / (NOW_MS - BASE_MS); // 0..1
    let K;
    if (heavy) K = 110 + rint(rng, 150);
    else if (type === T_EPIC) K = 1 + rint(rng, 6);
    else if (age < 0.08 && rng() < 0.5) K = rint(rng, 2); // fresh: mostly untouched
    else K = Math.round((7 + rng() * 39) * (0.2 + 0.8 * age));
    const review = type === T_STORY || type === T_TASK || type === T_BUG || type === T_SPIKE;

    // --- event sequence (times assigned afterwards)
    const evs = iss.histories; // {id, t, a: authorIdx|-1, items}; id/t set below
    let status = S_TODO;
    let resolution = -1;
    let labels = iss.labels.slice();
    let points = iss.points;
    let summary = summary0;
    let lastStatusEv = -1, lastCatEv = -1, lastDoneEv = -1;
    const authorFor = () => {
      const r = rng();
      if (r < 0.01) return -1;               // no author (system / anonymous)
      if (r < 0.06) return U_AUTOMATION;
      if (assignee >= 0 && r < 0.7) return assignee;
      return pick(rng, this.workers);
    };
    const moveTo = (to) => {
      const wasDone = isDone(status), willDone = isDone(to);
      let resFrom = -2, resTo = -2; // -2: no resolution item
      if (!wasDone && willDone) { resFrom = -1; resTo = to === S_WONT ? 1 : 0; }
      else if (wasDone && !willDone) { resFrom = resolution; resTo = -1; }
      const items = this.transitionItems(status, to, resFrom, resTo);
      if (resTo !== -2) resolution = resTo;
      const catChanged = catOf(status) !== catOf(to);
      status = to;
      evs.push({ id: 0, t: 0, a: authorFor(), items });
      lastStatusEv = evs.length - 1;
      if (catChanged) lastCatEv = evs.length - 1;
      if (willDone) lastDoneEv = evs.length - 1;
    };
    let everInProgress = false;
    while (evs.length < K) {
      if (rng() < 0.45) { // field change
        const r = rng();
        if (r < 0.35) {
          let to = rng() < 0.1 ? -1 : pick(rng, this.workers);
          if (to === assignee) to = assignee === -1 ? pick(rng, this.workers) : -1;
          evs.push({ id: 0, t: 0, a: authorFor(), items: this.single('a', (assignee + 1) * 64 + to + 1, () => this.assigneeItem(assignee, to)) });
          assignee = to;
        } else if (r < 0.55) {
          let to = rint(rng, 5); if (to === priority) to = (to + 1) % 5;
          evs.push({ id: 0, t: 0, a: authorFor(), items: this.single('p', priority * 8 + to, () => this.priorityItem(priority, to)) });
          priority = to;
        } else if (r < 0.65) {
          const to = summary0 + ' (' + pick(rng, ['revised', 'scope cut', 'v2', 'follow-up', 'clarified']) + ' ' + (evs.length + 1) + ')';
          evs.push({ id: 0, t: 0, a: authorFor(), items: [{ field: 'summary', fieldtype: 'jira', fieldId: 'summary', from: null, fromString: summary, to: null, toString: to }] });
          summary = to;
        } else if (r < 0.8 && (type === T_STORY || type === T_SPIKE)) {
          const to = pick(rng, [1, 2, 3, 5, 8, 13]);
          if (to !== points) {
            const pf = points;
            evs.push({ id: 0, t: 0, a: authorFor(), items: this.single('sp', (pf === null ? 0 : pf + 1) * 32 + to, () => ({ field: 'Story point estimate', fieldtype: 'custom', fieldId: 'customfield_10016', from: null, fromString: pf === null ? null : String(pf), to: null, toString: String(to) })) });
            points = to;
          }
        } else {
          const lab = pick(rng, LABELS);
          const next = labels.includes(lab) ? labels.filter(x => x !== lab) : labels.concat([lab]).sort();
          const fromS = labels.join(' '), toS = next.join(' ');
          evs.push({ id: 0, t: 0, a: authorFor(), items: this.single('l', fromS + '>' + toS, () => ({ field: 'labels', fieldtype: 'jira', fieldId: 'labels', from: null, fromString: fromS, to: null, toString: toS })) });
          labels = next;
        }
        continue;
      }
      // status change
      let stop = false;
      switch (status) {
        case S_TODO:
          moveTo(rng() < 0.04 ? S_WONT : S_PROG); break;
        case S_PROG: {
          const r = rng();
          if (review && r < 0.6) moveTo(S_REVIEW);
          else if (r < 0.72) moveTo(S_BLOCKED);
          else if (!review || r < 0.8) moveTo(S_DONE);
          else moveTo(S_TODO); // de-prioritised
          break;
        }
        case S_REVIEW:
          moveTo(rng() < 0.7 ? S_DONE : S_PROG); break; // review rejected -> back
        case S_BLOCKED:
          moveTo(rng() < 0.9 ? S_PROG : S_WONT); break;
        default: // done / won't do -> reopen
          moveTo(rng() < 0.5 ? S_TODO : S_PROG); break;
      }
      if (status === S_PROG) everInProgress = true;
      if (isDone(status) && !heavy && rng() < 0.6) stop = true;
      if (stop) break;
    }
    // --- times: sorted points in (created, created+span]
    const n = evs.length;
    if (n) {
      let spanMs = (NOW_MS - 5 * MIN - created) * (heavy ? 0.9 : 0.15 + 0.85 * rng());
      if (spanMs < n * 1000) spanMs = Math.max(0, NOW_MS - 5 * MIN - created);
      let s = 0;
      if (!this._gapBuf || this._gapBuf.length < n + 1) this._gapBuf = new Float64Array(Math.max(1024, 2 * (n + 1)));
      const g = this._gapBuf;
      for (let i = 0; i <= n; i++) { g[i] = -Math.log(1 - rng()) + 1e-6; s += g[i]; }
      let a = 0;
      for (let i = 0; i < n; i++) {
        a += g[i];
        const t = created + Math.max(1000, Math.floor(spanMs * a / s));
        evs[i].t = t;
      }
    }
    // --- final state
    iss.status = status; iss.resolution = resolution; iss.assignee = assignee;
    iss.priority = priority; iss.summary = summary; iss.labels = labels; iss.points = points;
    iss.updated = n ? iss.histories[n - 1].t : created;
    iss.resolutiondate = isDone(status) && lastDoneEv >= 0 ? iss.histories[lastDoneEv].t : null;
    iss.statusCategoryChanged = lastCatEv >= 0 ? iss.histories[lastCatEv].t : created;
    iss._everInProgress = everInProgress;
    iss._firstProgress = null;
    for (const h of iss.histories) {
      if (h.items.some(it => it.fieldId === 'status' && it.to === STATUSES[S_PROG].id)) { iss._firstProgress = h.t; break; }
    }
    // --- sprints (scrum projects; sub-tasks and epics are not planned into sprints here)
    if (proj.boardType === 'scrum' && type !== T_EPIC && type !== T_SUB && rng() < 0.8) {
      const from = iss._firstProgress || created;
      const until = iss.resolutiondate || NOW_MS;
      for (const sp of proj.sprints) {
        if (sp.end + 2 * HOUR <= from) continue;
        if (sp.start > until && iss.sprints.length) break;
        iss.sprints.push(sp.id);
        if (iss.sprints.length >= 3) break;
      }
    }
    return iss;
  }

  // ---- shared changelog item objects (immutable, reused to save memory)
  // An items array made only of shared items is itself shared.
  // frozen one-item array, cached under (kind, key)
  single(kind, key, build) {
    if (!this._arrCache) this._arrCache = new Map();
    let m = this._arrCache.get(kind);
    if (!m) { m = new Map(); this._arrCache.set(kind, m); }
    let a = m.get(key);
    if (!a) { a = Object.freeze([Object.freeze(build())]); m.set(key, a); }
    return a;
  }
  // frozen items array of a status change (plus resolution item when
  // resFrom/resTo != -2), cached
  transitionItems(from, to, resFrom, resTo) {
    if (!this._trCache) this._trCache = new Map();
    const k = ((from * 8 + to) * 4 + resFrom + 2) * 4 + resTo + 2;
    let a = this._trCache.get(k);
    if (!a) {
      const items = [];
      if (resTo !== -2) items.push(this.resolutionItem(resFrom, resTo));
      items.push(this.statusItem(from, to));
      a = Object.freeze(items);
      this._trCache.set(k, a);
    }
    return a;
  }
  statusItem(from, to) {
    const k = 's' + from + '>' + to;
    let it = this._itemCache && this._itemCache.get(k);
    if (!this._itemCache) this._itemCache = new Map();
    if (!it) {
      it = Object.freeze({ field: 'status', fieldtype: 'jira', fieldId: 'status', from: STATUSES[from].id, fromString: STATUSES[from].name, to: STATUSES[to].id, toString: STATUSES[to].name });
      this._itemCache.set(k, it);
    }
    return it;
  }
  resolutionItem(from, to) {
    if (!this._itemCache) this._itemCache = new Map();
    const k = 'r' + from + '>' + to;
    let it = this._itemCache.get(k);
    if (!it) {
      it = Object.freeze({ field: 'resolution', fieldtype: 'jira', fieldId: 'resolution',
        from: from < 0 ? null : RESOLUTIONS[from].id, fromString: from < 0 ? null : RESOLUTIONS[from].name,
        to: to < 0 ? null : RESOLUTIONS[to].id, toString: to < 0 ? null : RESOLUTIONS[to].name });
      this._itemCache.set(k, it);
    }
    return it;
  }
  priorityItem(from, to) {
    if (!this._itemCache) this._itemCache = new Map();
    const k = 'p' + from + '>' + to;
    let it = this._itemCache.get(k);
    if (!it) {
      it = Object.freeze({ field: 'priority', fieldtype: 'jira', fieldId: 'priority', from: PRIORITIES[from].id, fromString: PRIORITIES[from].name, to: PRIORITIES[to].id, toString: PRIORITIES[to].name });
      this._itemCache.set(k, it);
    }
    return it;
  }
  assigneeItem(from, to) {
    if (!this._itemCache) this._itemCache = new Map();
    const k = 'a' + from + '>' + to;
    let it = this._itemCache.get(k);
    if (!it) {
      const f = from < 0 ? null : this.users[from], t = to < 0 ? null : this.users[to];
      it = Object.freeze({ field: 'assignee', fieldtype: 'jira', fieldId: 'assignee',
        from: f ? f.accountId : null, fromString: f ? f.displayName : null,
        to: t ? t.accountId : null, toString: t ? t.displayName : null,
        tmpFromAccountId: f ? f.accountId : null, tmpToAccountId: t ? t.accountId : null });
      this._itemCache.set(k, it);
    }
    return it;
  }

  // ---- dev-status: link some issues to GitHub pull requests
  assignPullRequests() {
    const nRepos = Math.max(1, this.opts.ghRepos | 0);
    this.repoNames = this.opts.ghRepoNames && this.opts.ghRepoNames.length
      ? this.opts.ghRepoNames.slice() : ghSandboxRepoNames(nRepos);
    const nr = this.repoNames.length;
    const maxPr = Math.max(1, this.opts.ghPrs | 0);
    const counters = new Array(nr).fill(0);
    const rng = rngFor(this.opts.seed, 'devstatus');
    for (const iss of this.issues) { // id order
      const eligible = iss.type !== T_EPIC && iss._everInProgress;
      const r1 = rng(), r2 = rng(), r3 = rng();
      if (!eligible || r1 >= 0.5) continue;
      const n = r2 < 0.7 ? 1 : r2 < 0.92 ? 2 : 3;
      const done = isDone(iss.status);
      const start = iss._firstProgress || iss.created;
      for (let k = 0; k < n; k++) {
        const repo = (iss.proj + (k > 0 && r3 < 0.5 ? 1 : 0)) % nr;
        // PR numbers stay within 1..ghPrs so they exist in the GitHub
        // sandbox; with many issues a PR is shared by several issues.
        const number = (counters[repo]++ % maxPr) + 1;
        const last = k === n - 1;
        let status;
        if (last) status = done ? (iss.status === S_WONT ? 'DECLINED' : 'MERGED') : 'OPEN';
        else status = rng() < 0.7 ? 'MERGED' : 'DECLINED';
        const end = done ? (iss.resolutiondate || iss.updated) : iss.updated;
        const created = start + Math.floor((end - start) * (k / (n + 1)) * 0.9) + 10 * MIN;
        const lastUpdate = status === 'OPEN' ? Math.max(created, iss.updated - rint(rng, 6) * HOUR)
          : Math.max(created + MIN, end - rint(rng, 4) * HOUR - MIN);
        const reviewers = [];
        const nrev = rint(rng, 3);
        for (let q = 0; q < nrev; q++) reviewers.push(pick(rng, this.workers));
        iss.prs.push({
          repo, number, status, created, lastUpdate,
          author: iss.assignee >= 0 ? iss.assignee : pick(rng, this.workers),
          reviewers: [...new Set(reviewers)], commentCount: rint(rng, 9),
          branch: 'feature/' + iss.key + '-' + (k + 1),
          title: iss.key + ' ' + iss.summary,
        });
      }
    }
  }

  // ---------------------------------------------------------- lookups
  findIssue(idOrKey) {
    if (idOrKey === undefined || idOrKey === null) return null;
    const s = String(idOrKey);
    let iss = /^\d+$/.test(s) ? this.issueById.get(+s) : this.issueByKey.get(s.toUpperCase());
    if (!iss || iss.deleted) return null;
    return iss;
  }
  liveIssues() { return this.issues.filter(i => !i.deleted); }
  totalHistories() { let n = 0; for (const i of this.issues) if (!i.deleted) n += i.histories.length; return n; }
  statusByName(name) {
    const n = String(name).toLowerCase();
    const i = STATUSES.findIndex(s => s.name.toLowerCase() === n || s.id === String(name));
    return i;
  }

  // --------------------------------------------------------- mutations
  pushHistory(iss, items, author) {
    const h = { id: this.nextHistoryId++, t: this.now, a: author === undefined ? U_ME : author, items };
    iss.histories.push(h);
    iss.updated = this.now;
    this.version++;
    return h;
  }

  applyStatus(iss, to, items) {
    const from = iss.status;
    if (from === to) return;
    if (!isDone(from) && isDone(to)) {
      const res = to === S_WONT ? 1 : 0;
      items.push(this.resolutionItem(-1, res)); iss.resolution = res; iss.resolutiondate = this.now;
    } else if (isDone(from) && !isDone(to)) {
      items.push(this.resolutionItem(iss.resolution, -1)); iss.resolution = -1; iss.resolutiondate = null;
    }
    items.push(this.statusItem(from, to));
    if (catOf(from) !== catOf(to)) iss.statusCategoryChanged = this.now;
    iss.status = to;
  }

  mutate(op) {
    if (!op || typeof op !== 'object') throw new MutateError('op must be an object');
    switch (op.op) {
      case 'edit_issue': case 'transition': {
        const iss = this.findIssue(op.key || op.id);
        if (!iss) throw new MutateError('no such issue: ' + (op.key || op.id), 404);
        const items = [];
        if (op.summary !== undefined && op.summary !== iss.summary) {
          items.push({ field: 'summary', fieldtype: 'jira', fieldId: 'summary', from: null, fromString: iss.summary, to: null, toString: String(op.summary) });
          iss.summary = String(op.summary);
        }
        if (op.priority !== undefined) {
          const p = PRIORITIES.findIndex(x => x.name.toLowerCase() === String(op.priority).toLowerCase() || x.id === String(op.priority));
          if (p < 0) throw new MutateError('unknown priority: ' + op.priority);
          if (p !== iss.priority) { items.push(this.priorityItem(iss.priority, p)); iss.priority = p; }
        }
        if (op.assignee !== undefined) {
          let a = -1;
          if (op.assignee !== null) {
            const u = this.userByAccount.get(op.assignee) || this.users.find(x => x.displayName === op.assignee);
            if (!u) throw new MutateError('unknown assignee: ' + op.assignee);
            a = u.idx;
          }
          if (a !== iss.assignee) { items.push(this.assigneeItem(iss.assignee, a)); iss.assignee = a; }
        }
        const target = op.op === 'transition' ? op.to : op.status;
        if (target !== undefined) {
          const s = this.statusByName(target);
          if (s < 0) throw new MutateError('unknown status: ' + target);
          this.applyStatus(iss, s, items);
        }
        if (!items.length) throw new MutateError('nothing changed for ' + iss.key);
        const h = this.pushHistory(iss, items);
        return { key: iss.key, id: String(iss.id), historyId: String(h.id), updated: iss.updated };
      }
      case 'add_issues': {
        const proj = this.projectByKey.get(String(op.project || '').toUpperCase());
        if (!proj) throw new MutateError('unknown project: ' + op.project);
        const count = Math.max(1, Math.min(10000, op.count === undefined ? 1 : op.count | 0));
        let type = T_TASK;
        if (op.type) {
          type = ISSUE_TYPES.findIndex(t => t.name.toLowerCase() === String(op.type).toLowerCase());
          if (type < 0 || type === T_SUB || (type === T_SPIKE && !proj.hasSpike)) throw new MutateError('unusable type: ' + op.type);
        }
        const keys = [];
        for (let i = 0; i < count; i++) {
          const num = proj.nextNum++;
          const iss = this.makeIssueShell(proj, num, type, this.now, null, U_ME, -1, 2,
            op.summary ? String(op.summary) + (count > 1 ? ' #' + (i + 1) : '') : 'Sandbox-created issue ' + proj.key + '-' + num);
          iss.id = this.nextIssueId++;
          this.issues.push(iss);
          this.issueById.set(iss.id, iss); this.issueByKey.set(iss.key, iss);
          keys.push({ key: iss.key, id: String(iss.id) });
        }
        this.version++;
        return { created: keys };
      }
      case 'delete_issue': {
        const iss = this.findIssue(op.key || op.id);
        if (!iss) throw new MutateError('no such issue: ' + (op.key || op.id), 404);
        const gone = [];
        const del = (x) => {
          x.deleted = true; gone.push(x.key);
          this.deleted.push({ key: x.key, id: String(x.id), at: this.now });
          for (const c of x.children) {
            if (c.deleted) continue;
            if (c.type === T_SUB) del(c);
            else { // epic child: parent link removed
              this.pushHistory(c, [{ field: 'IssueParentAssociation', fieldtype: 'jira', from: String(x.id), fromString: x.key, to: null, toString: null }]);
              c.parent = null;
            }
          }
        };
        del(iss);
        if (iss.parent) iss.parent.children = iss.parent.children.filter(c => c !== iss);
        this.version++;
        return { deleted: gone };
      }
      default:
        throw new MutateError('unknown op: ' + op.op);
    }
  }
}

class MutateError extends Error {
  constructor(msg, status) { super(msg); this.status = status || 400; }
}

module.exports = {
  Store, MutateError, STATUSES, STATUS_CATEGORIES, ISSUE_TYPES, PRIORITIES, RESOLUTIONS,
  T_EPIC, T_STORY, T_TASK, T_SUB, T_BUG, T_INC, T_SPIKE, S_TODO, S_PROG, S_REVIEW, S_BLOCKED, S_DONE, S_WONT,
  U_ME, U_AUTOMATION, BASE_MS, NOW_MS, DAY, HOUR, MIN, catOf, isDone,
};

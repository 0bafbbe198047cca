#!/usr/bin/env node
'use strict';
// tests/connectors/github-check.js: compare what pulse-host loaded from the
// GitHub sandbox with the sandbox's own truth (/_sandbox/truth).
//
//   node github-check.js DIR
//
// DIR holds truth.json (GET /_sandbox/truth?main=1 of every repo, merged
// into one {repos:[...]}), details.json ({"repo#number": truth of one PR
// with its commit/review/comment lists}), db.json (the warehouse dump
// written by github-dump.sql) and options.json ({envRegex, releases}).
// Prints one line per mismatch (at most 40) and exits 1 if there is any.

const fs = require('fs');
const path = require('path');

const dir = process.argv[2];
const read = (f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
const truth = read('truth.json');
const details = read('details.json');
const db = read('db.json');
const opts = read('options.json');

const problems = [];
let checked = 0;
function eq(what, got, want) {
  checked++;
  const g = got === undefined ? null : got;
  const w = want === undefined ? null : want;
  if (JSON.stringify(g) !== JSON.stringify(w)) problems.push(`${what}: got ${JSON.stringify(g)}, want ${JSON.stringify(w)}`);
}

const org = truth.org;
const repoId = (name) => `${org}/${name}`.toLowerCase();
const envRe = new RegExp(opts.envRegex || 'prod|production', 'i');

// ---- repositories
const dbRepos = new Map((db.repositories || []).map((r) => [r.external_id, r]));
eq('repository count', dbRepos.size, truth.repos.length);
for (const r of truth.repos) {
  const d = dbRepos.get(repoId(r.name));
  if (!d) {
    problems.push(`repository ${r.full_name} missing`);
    continue;
  }
  eq(`${r.full_name} full_name`, d.full_name, r.full_name);
  eq(`${r.full_name} is_private`, d.is_private, r.private);
  eq(`${r.full_name} created_at`, d.created_at, r.created_at);
  eq(`${r.full_name} pushed_at`, d.pushed_at, r.pushed_at);
  eq(`${r.full_name} default_branch`, d.default_branch, r.default_branch);
}

// ---- pull requests
const dbPrs = new Map((db.prs || []).map((p) => [`${p.repository_external_id}#${p.number}`, p]));
const kids = (table) => new Map((db[table] || []).map((c) => [c.pr_external_id, c]));
const dbCommits = kids('prs_commits');
const dbReviews = kids('prs_reviews');
const dbComments = kids('prs_comments');
let nPrs = 0;
let nCommits = 0;
let nReviews = 0;
let nComments = 0;
for (const r of truth.repos) {
  for (const p of r.prs) {
    nPrs++;
    nCommits += p.commits;
    nReviews += p.reviews;
    nComments += p.comments;
    const key = `${repoId(r.name)}#${p.number}`;
    const d = dbPrs.get(key);
    if (!d) {
      problems.push(`PR ${key} missing`);
      continue;
    }
    eq(`${key} external_id`, d.external_id, p.id);
    eq(`${key} title`, d.title, p.title);
    eq(`${key} state`, d.state, p.state);
    eq(`${key} is_draft`, d.is_draft, p.isDraft);
    eq(`${key} author`, d.author, p.author);
    eq(`${key} base_ref`, d.base_ref, p.baseRefName);
    eq(`${key} head_ref`, d.head_ref, p.headRefName);
    eq(`${key} merge_commit_sha`, d.merge_commit_sha, p.mergeCommit);
    eq(`${key} created_at`, d.created_at, p.createdAt);
    eq(`${key} updated_at`, d.updated_at, p.updatedAt);
    eq(`${key} merged_at`, d.merged_at, p.mergedAt);
    eq(`${key} closed_at`, d.closed_at, p.closedAt);
    eq(`${key} commits_count`, d.commits_count, p.commits);
    eq(`${key} reviews_count`, d.reviews_count, p.reviews);
    eq(`${key} comments_count`, d.comments_count, p.comments);
    // Every child row arrived, also past the first page of a connection.
    eq(`${key} prs_commits rows`, (dbCommits.get(p.id) || { n: 0 }).n, p.commits);
    eq(`${key} prs_reviews rows`, (dbReviews.get(p.id) || { n: 0 }).n, p.reviews);
    eq(`${key} prs_comments rows`, (dbComments.get(p.id) || { n: 0 }).n, p.comments);
  }
}
eq('prs count', (db.prs || []).length, nPrs);
eq('prs_commits total', db.totals.prs_commits, nCommits);
eq('prs_reviews total', db.totals.prs_reviews, nReviews);
eq('prs_comments total', db.totals.prs_comments, nComments);

// ---- sampled PRs in detail: every child id, and first_commit_at
for (const [key, p] of Object.entries(details)) {
  const [name] = key.split('#');
  const d = dbPrs.get(`${repoId(name)}#${p.number}`);
  if (!d) continue;
  const first = p.commitList.reduce((m, c) => (m === null || c.authoredDate < m ? c.authoredDate : m), null);
  eq(`${key} first_commit_at (earliest authored)`, d.first_commit_at, first);
  eq(`${key} commit shas`, (dbCommits.get(p.id) || { shas: [] }).shas.slice().sort(), p.commitList.map((c) => c.oid).sort());
  eq(`${key} review ids`, (dbReviews.get(p.id) || { ids: [] }).ids.slice().sort(), p.reviewList.map((c) => c.id).sort());
  eq(`${key} comment ids`, (dbComments.get(p.id) || { ids: [] }).ids.slice().sort(), p.commentList.map((c) => c.id).sort());
  const c0 = p.commitList[0];
  const dc = (db.sample_commits || []).find((x) => x.sha === (c0 && c0.oid) && x.pr_external_id === p.id);
  if (c0) {
    eq(`${key} commit ${c0.oid.slice(0, 7)} authored_at`, dc && dc.authored_at, c0.authoredDate);
    eq(`${key} commit ${c0.oid.slice(0, 7)} committed_at`, dc && dc.committed_at, c0.committedDate);
  }
}

// ---- deployments, releases, deployment commits
const dbDeps = new Map((db.deployments || []).map((d) => [d.external_id, d]));
const dbDc = new Map((db.deployment_commits || []).map((d) => [d.deployment_external_id, d.shas]));
let nDeps = 0;
let nRel = 0;
let nDc = 0;
for (const r of truth.repos) {
  for (const t of r.deployments) {
    nDeps++;
    const key = `deployment:${t.id}`;
    const d = dbDeps.get(key);
    if (!d) {
      problems.push(`${key} (${r.name}) missing`);
      continue;
    }
    eq(`${key} repository`, d.repository_external_id, repoId(r.name));
    eq(`${key} source`, d.source, 'deployment');
    eq(`${key} environment`, d.environment, t.environment);
    eq(`${key} is_production`, d.is_production, envRe.test(t.environment));
    eq(`${key} sha`, d.sha, t.sha);
    eq(`${key} ref`, d.ref, t.ref);
    eq(`${key} status`, d.status, t.latest_status);
    eq(`${key} finished_at`, d.finished_at, t.latest_status_at);
    eq(`${key} created_at`, d.created_at, t.created_at);
  }
  for (const rel of r.releases) {
    const d = dbDeps.get(`release:${rel.id}`);
    const counts = opts.releases && !rel.draft && !rel.prerelease && rel.published_at;
    if (counts) nRel++;
    eq(`release:${rel.id} (${rel.tag_name}, draft=${rel.draft}, prerelease=${rel.prerelease}) present`, !!d, !!counts);
    if (d && counts) {
      eq(`release:${rel.id} finished_at`, d.finished_at, rel.published_at);
      eq(`release:${rel.id} is_production`, d.is_production, true);
      eq(`release:${rel.id} source`, d.source, 'release');
    }
  }
  // Commits shipped by each successful production deployment: the
  // default-branch commits since the previous one.
  const prod = r.deployments
    .filter((t) => envRe.test(t.environment) && t.latest_status === 'success')
    .sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id - b.id));
  for (let i = 0; i < prod.length; i++) {
    const cur = prod[i];
    const prev = prod[i - 1];
    let want = [];
    if (prev && prev.sha !== cur.sha) want = r.main.slice(prev.main_index + 1, cur.main_index + 1).map((m) => m.sha);
    nDc += want.length;
    eq(`deployment:${cur.id} (${r.name}) shipped commits`, (dbDc.get(`deployment:${cur.id}`) || []).slice().sort(), want.sort());
  }
}
eq('deployments count', (db.deployments || []).length, nDeps + nRel);
eq('deployment_commits total', db.totals.deployment_commits, nDc);
eq('raw rows not completed', db.totals.raw_open, 0);

if (problems.length) {
  for (const p of problems.slice(0, 40)) console.log(`MISMATCH ${p}`);
  console.log(`${problems.length} mismatches in ${checked} checks`);
  process.exit(1);
}
console.log(`all ${checked} checks passed: ${nPrs} prs, ${nCommits} commits, ${nReviews} reviews, ` +
  `${nComments} comments, ${nDeps} deployments, ${nRel} releases, ${nDc} deployment commits`);

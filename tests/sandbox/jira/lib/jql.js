'use strict';
// A small JQL subset: enough for sync clients, strict about everything else.
//
//   query   := [or] [ORDER BY sort (, sort)*]
//   or      := and ((OR | "||") and)*
//   and     := not ((AND | "&&") not)*
//   not     := (NOT | "!") not | "(" or ")" | clause
//   clause  := field op value | field [NOT] IN "(" value, ... ")" | field IS [NOT] (EMPTY|NULL)
//
// Fields: project, issuetype/type, key/issuekey/issue/id, status,
// statusCategory, priority, parent, assignee/reporter, sprint, labels,
// created/createdDate, updated/updatedDate, resolved/resolutiondate.
// Date literals are read in the user's time zone (see tz.js).
// Anything else is a 400 with a Jira-shaped message, never ignored.

const tz = require('./tz');
const D = require('./data');

class JqlError extends Error {
  constructor(msg) { super(msg); this.status = 400; }
}

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'empty', 'null', 'order', 'by', 'asc', 'desc']);
const RESERVED_CHARS = new Set(['{', '}', '[', ']', ';', '?', '#', '^', '$', '%', '`', '|', '&', '@']);

function tokenize(s) {
  const toks = [];
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    const pos = i;
    if (c === '(' || c === ')' || c === ',') { toks.push({ t: c, v: c, pos }); i++; continue; }
    if (c === '&' && s[i + 1] === '&') { toks.push({ t: 'kw', v: 'and', pos }); i += 2; continue; }
    if (c === '|' && s[i + 1] === '|') { toks.push({ t: 'kw', v: 'or', pos }); i += 2; continue; }
    if (c === '!' && s[i + 1] === '=') { toks.push({ t: 'op', v: '!=', pos }); i += 2; continue; }
    if (c === '!' && s[i + 1] === '~') { toks.push({ t: 'op', v: '!~', pos }); i += 2; continue; }
    if (c === '!') { toks.push({ t: 'kw', v: 'not', pos }); i++; continue; }
    if (c === '>' || c === '<') {
      if (s[i + 1] === '=') { toks.push({ t: 'op', v: c + '=', pos }); i += 2; } else { toks.push({ t: 'op', v: c, pos }); i++; }
      continue;
    }
    if (c === '=' || c === '~') { toks.push({ t: 'op', v: c, pos }); i++; continue; }
    if (c === '"' || c === "'") {
      let j = i + 1, out = '';
      while (j < n && s[j] !== c) {
        if (s[j] === '\\' && j + 1 < n) { out += s[j + 1]; j += 2; } else { out += s[j]; j++; }
      }
      if (j >= n) throw new JqlError(`Error in the JQL Query: The quoted string '${s.slice(i + 1)}' has not been completed. (line 1, character ${i + 1})`);
      toks.push({ t: 'str', v: out, pos }); i = j + 1; continue;
    }
    const cf = /^cf\[\d+\]/i.exec(s.slice(i, i + 24));
    if (cf) { toks.push({ t: 'word', v: cf[0], pos }); i += cf[0].length; continue; }
    if (RESERVED_CHARS.has(c)) {
      throw new JqlError(`Error in the JQL Query: The character '${c}' is a reserved JQL character. You must enclose it in a string or use the escape '\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}' instead. (line 1, character ${i + 1})`);
    }
    let j = i;
    while (j < n && !/[\s(),=!<>~"']/.test(s[j]) && !RESERVED_CHARS.has(s[j])) j++;
    const w = s.slice(i, j);
    const lw = w.toLowerCase();
    toks.push(KEYWORDS.has(lw) ? { t: 'kw', v: lw, pos, raw: w } : { t: 'word', v: w, pos });
    i = j;
  }
  return toks;
}

function parse(jql) {
  const toks = tokenize(jql);
  let p = 0;
  const peek = () => toks[p];
  const isKw = (v) => toks[p] && toks[p].t === 'kw' && toks[p].v === v;
  const where = (tok) => tok ? `(line 1, character ${tok.pos + 1})` : 'before the end of the query.';
  const fail = (expect) => {
    const tok = peek();
    if (!tok) throw new JqlError(`Error in the JQL Query: Expecting ${expect} before the end of the query.`);
    throw new JqlError(`Error in the JQL Query: Expecting ${expect} but got '${tok.raw || tok.v}'. ${where(tok)}`);
  };

  function parseValue() {
    const tok = peek();
    if (!tok) fail('either a value, list or function');
    if (tok.t === 'str' || tok.t === 'word') {
      p++;
      if (tok.t === 'word' && peek() && peek().t === '(') { // function call
        p++;
        const args = [];
        while (peek() && peek().t !== ')') {
          const a = peek();
          if (a.t === 'str' || a.t === 'word') { args.push(a.v); p++; } else fail("')'");
          if (peek() && peek().t === ',') p++;
        }
        if (!peek()) fail("')'");
        p++;
        return { fn: tok.v, args, pos: tok.pos };
      }
      return { v: tok.v, quoted: tok.t === 'str', pos: tok.pos };
    }
    if (tok.t === 'kw' && (tok.v === 'empty' || tok.v === 'null')) { p++; return { empty: true, pos: tok.pos }; }
    fail('either a value, list or function');
  }
  function parseList() {
    if (!peek() || peek().t !== '(') fail("'('");
    p++;
    const vals = [];
    for (;;) {
      vals.push(parseValue());
      const tok = peek();
      if (tok && tok.t === ',') { p++; continue; }
      if (tok && tok.t === ')') { p++; break; }
      fail("')'");
    }
    return vals;
  }
  function parseClause() {
    const ftok = peek();
    if (!ftok || !(ftok.t === 'word' || ftok.t === 'str')) fail('a field name');
    p++;
    const field = ftok.v;
    const tok = peek();
    if (!tok) fail('an operator');
    if (tok.t === 'op') {
      p++;
      return { type: 'clause', field, fpos: ftok.pos, op: tok.v, values: [parseValue()] };
    }
    if (tok.t === 'kw' && tok.v === 'in') { p++; return { type: 'clause', field, fpos: ftok.pos, op: 'in', values: parseList() }; }
    if (tok.t === 'kw' && tok.v === 'not' && toks[p + 1] && toks[p + 1].t === 'kw' && toks[p + 1].v === 'in') {
      p += 2; return { type: 'clause', field, fpos: ftok.pos, op: 'not in', values: parseList() };
    }
    if (tok.t === 'kw' && tok.v === 'is') {
      p++;
      let neg = false;
      if (isKw('not')) { neg = true; p++; }
      if (!(isKw('empty') || isKw('null'))) fail("'EMPTY' or 'NULL'");
      p++;
      return { type: 'clause', field, fpos: ftok.pos, op: neg ? 'is not' : 'is', values: [{ empty: true }] };
    }
    if (tok.t === 'word' && /^(was|changed)$/i.test(tok.v)) {
      throw new JqlError(`Error in the JQL Query: the sandbox does not support the '${tok.v.toUpperCase()}' history operator. ${where(tok)}`);
    }
    fail("operator such as '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' or 'IS NOT'");
  }
  function parseNot() {
    if (isKw('not')) { p++; return { type: 'not', item: parseNot() }; }
    if (peek() && peek().t === '(') {
      p++;
      const e = parseOr();
      if (!peek() || peek().t !== ')') fail("')'");
      p++;
      return e;
    }
    return parseClause();
  }
  function parseAnd() {
    const items = [parseNot()];
    while (isKw('and')) { p++; items.push(parseNot()); }
    return items.length === 1 ? items[0] : { type: 'and', items };
  }
  function parseOr() {
    const items = [parseAnd()];
    while (isKw('or')) { p++; items.push(parseAnd()); }
    return items.length === 1 ? items[0] : { type: 'or', items };
  }

  let where_ = null;
  if (peek() && !isKw('order')) where_ = parseOr();
  const order = [];
  if (isKw('order')) {
    p++;
    if (!isKw('by')) fail("'by'");
    p++;
    for (;;) {
      const f = peek();
      if (!f || !(f.t === 'word' || f.t === 'str')) fail('a field name');
      p++;
      let dir = null;
      if (isKw('asc') || isKw('desc')) { dir = peek().v; p++; }
      order.push({ field: f.v, dir, pos: f.pos });
      if (peek() && peek().t === ',') { p++; continue; }
      break;
    }
  }
  if (p < toks.length) {
    if (where_) fail("either 'OR' or 'AND'");
    fail('a field name');
  }
  return { where: where_, order };
}

// ------------------------------------------------------------ compile

const FIELD_ALIASES = {
  project: 'project', issuetype: 'issuetype', type: 'issuetype',
  key: 'key', issuekey: 'key', issue: 'key', id: 'key',
  status: 'status', statuscategory: 'statuscategory', priority: 'priority',
  parent: 'parent', assignee: 'assignee', reporter: 'reporter', creator: 'reporter',
  sprint: 'sprint', labels: 'labels', label: 'labels',
  created: 'created', createddate: 'created', updated: 'updated', updateddate: 'updated',
  resolved: 'resolved', resolutiondate: 'resolved',
};
const DATE_FIELDS = new Set(['created', 'updated', 'resolved']);
const SORTABLE = {
  updated: 'updated', updateddate: 'updated', created: 'created', createddate: 'created',
  resolved: 'resolved', resolutiondate: 'resolved', key: 'key', issuekey: 'key', id: 'id',
  priority: 'priority', status: 'status', issuetype: 'issuetype', type: 'issuetype', project: 'project',
};

function parseDateLiteral(val, field, ctx) {
  const bad = () => new JqlError(`Date value '${val.v}' for field '${field}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.`);
  if (val.fn) {
    const f = val.fn.toLowerCase();
    if (f === 'now' && val.args.length === 0) return { t: ctx.now, minute: false };
    throw new JqlError(`Error in the JQL Query: the sandbox does not support the function '${val.fn}()' for field '${field}'.`);
  }
  const s = String(val.v).trim();
  let m = /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$/.exec(s);
  if (m) {
    const y = +m[1], mo = +m[2], d = +m[3], h = m[4] === undefined ? 0 : +m[4], mi = m[5] === undefined ? 0 : +m[5];
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59) throw bad();
    const probe = new Date(Date.UTC(y, mo - 1, d));
    if (probe.getUTCMonth() !== mo - 1) throw bad();
    return { t: tz.localToUtc(ctx.tz, y, mo, d, h, mi), minute: true };
  }
  if (/^\d{11,}$/.test(s)) return { t: +s, minute: false }; // epoch millis
  // relative period: "-5d", "4w 2d", "-1h 30m"
  m = /^([-+]?)((?:\s*\d+\s*[wdhm])+)$/i.exec(s);
  if (m) {
    let ms = 0;
    const re = /(\d+)\s*([wdhm])/gi;
    let q;
    while ((q = re.exec(m[2]))) {
      const k = q[2].toLowerCase();
      ms += +q[1] * (k === 'w' ? 7 * 86400000 : k === 'd' ? 86400000 : k === 'h' ? 3600000 : 60000);
    }
    return { t: ctx.now + (m[1] === '-' ? -ms : ms), minute: false };
  }
  throw bad();
}

function compile(jql, store, ctx) {
  // ctx: { tz, now, myselfIdx }
  const ast = parse(String(jql || ''));
  const pred = ast.where ? compileNode(ast.where, store, ctx) : null;
  const sort = compileSort(ast.order);
  return { pred, sort, bounded: !!ast.where };
}

function valueNotExist(v, field) {
  return new JqlError(`The value '${v}' does not exist for the field '${field}'.`);
}

function compileNode(node, store, ctx) {
  if (node.type === 'and') {
    const fs = node.items.map(n => compileNode(n, store, ctx));
    return (i) => { for (const f of fs) if (!f(i)) return false; return true; };
  }
  if (node.type === 'or') {
    const fs = node.items.map(n => compileNode(n, store, ctx));
    return (i) => { for (const f of fs) if (f(i)) return true; return false; };
  }
  if (node.type === 'not') {
    const f = compileNode(node.item, store, ctx);
    return (i) => !f(i);
  }
  return compileClause(node, store, ctx);
}

function opUnsupported(op, field) {
  return new JqlError(`The operator '${op.toUpperCase()}' is not supported by the '${field}' field.`);
}

function compileClause(c, store, ctx) {
  const fname = c.field;
  const f = FIELD_ALIASES[fname.toLowerCase()];
  if (!f) {
    if (/^cf\[\d+\]$|^customfield_\d+$/i.test(fname)) throw new JqlError(`Error in the JQL Query: the sandbox does not support searching custom field '${fname}'.`);
    if (/^(text|summary|description|comment)$/i.test(fname)) throw new JqlError(`Error in the JQL Query: the sandbox does not support text search on '${fname}'.`);
    throw new JqlError(`Field '${fname}' does not exist or you do not have permission to view it.`);
  }
  const op = c.op;
  const vals = c.values;
  if (op === '~' || op === '!~') throw opUnsupported(op, fname);

  if (DATE_FIELDS.has(f)) {
    const get = f === 'created' ? (i) => i.created : f === 'updated' ? (i) => i.updated : (i) => i.resolutiondate;
    if (op === 'is' || op === 'is not') {
      if (f !== 'resolved') return op === 'is' ? () => false : () => true;
      return op === 'is' ? (i) => i.resolutiondate === null : (i) => i.resolutiondate !== null;
    }
    if (op === 'in' || op === 'not in') {
      const ts = vals.map(v => parseDateLiteral(v, fname, ctx).t);
      const set = new Set(ts);
      const floorMin = (t) => t - (t % 60000);
      return op === 'in' ? (i) => { const t = get(i); return t !== null && set.has(floorMin(t)); }
        : (i) => { const t = get(i); return t === null || !set.has(floorMin(t)); };
    }
    const v = vals[0];
    if (v.empty) {
      if (op === '=') return f === 'resolved' ? (i) => i.resolutiondate === null : () => false;
      if (op === '!=') return f === 'resolved' ? (i) => i.resolutiondate !== null : () => true;
      throw opUnsupported(op, fname);
    }
    const { t, minute } = parseDateLiteral(v, fname, ctx);
    switch (op) {
      case '>=': return (i) => { const x = get(i); return x !== null && x >= t; };
      case '>': return (i) => { const x = get(i); return x !== null && x > t; };
      case '<=': return (i) => { const x = get(i); return x !== null && x <= t; };
      case '<': return (i) => { const x = get(i); return x !== null && x < t; };
      case '=': return minute ? (i) => { const x = get(i); return x !== null && x >= t && x < t + 60000; } : (i) => get(i) === t;
      case '!=': return minute ? (i) => { const x = get(i); return x === null || x < t || x >= t + 60000; } : (i) => get(i) !== t;
      default: throw opUnsupported(op, fname);
    }
  }

  // set-valued fields: resolve literal values -> comparable keys
  if (!['=', '!=', 'in', 'not in', 'is', 'is not'].includes(op)) throw opUnsupported(op, fname);
  const positive = op === '=' || op === 'in' || op === 'is';
  let resolveOne, getter, emptyCheck = null;
  switch (f) {
    case 'project':
      resolveOne = (v) => {
        const s = String(v.v);
        const p = store.projects.find(x => x.key.toLowerCase() === s.toLowerCase() || String(x.id) === s || x.name.toLowerCase() === s.toLowerCase());
        if (!p) throw valueNotExist(s, 'project');
        return p.idx;
      };
      getter = (i) => i.proj;
      break;
    case 'issuetype':
      resolveOne = (v) => {
        const s = String(v.v).toLowerCase();
        const t = D.ISSUE_TYPES.findIndex(x => x.name.toLowerCase() === s || x.id === s ||
          (s === 'subtask' && x.subtask) || (s === 'sub-task' && x.subtask));
        if (t < 0) throw valueNotExist(v.v, 'issuetype');
        return t;
      };
      getter = (i) => i.type;
      break;
    case 'status':
      resolveOne = (v) => { const s = store.statusByName(v.v); if (s < 0) throw valueNotExist(v.v, 'status'); return s; };
      getter = (i) => i.status;
      break;
    case 'statuscategory':
      resolveOne = (v) => {
        const s = String(v.v).toLowerCase();
        for (const [k, c] of Object.entries(D.STATUS_CATEGORIES)) {
          if (k === s || c.name.toLowerCase() === s || String(c.id) === s) return k;
        }
        throw valueNotExist(v.v, 'statusCategory');
      };
      getter = (i) => D.catOf(i.status);
      break;
    case 'priority':
      resolveOne = (v) => {
        const s = String(v.v).toLowerCase();
        const x = D.PRIORITIES.findIndex(q => q.name.toLowerCase() === s || q.id === s);
        if (x < 0) throw valueNotExist(v.v, 'priority');
        return x;
      };
      getter = (i) => i.priority;
      break;
    case 'key': case 'parent':
      resolveOne = (v) => {
        const s = String(v.v);
        const iss = store.findIssue(s);
        if (!iss) {
          if (f === 'parent') throw valueNotExist(s, 'parent');
          throw new JqlError(`An issue with key '${s}' does not exist for field '${fname}'.`);
        }
        return iss.id;
      };
      getter = f === 'key' ? (i) => i.id : (i) => (i.parent ? i.parent.id : null);
      emptyCheck = f === 'parent' ? (i) => i.parent === null : () => false;
      break;
    case 'assignee': case 'reporter':
      resolveOne = (v) => {
        if (v.fn) {
          if (v.fn.toLowerCase() === 'currentuser') return ctx.myselfIdx;
          throw new JqlError(`Error in the JQL Query: the sandbox does not support the function '${v.fn}()' for field '${fname}'.`);
        }
        const u = store.userByAccount.get(String(v.v)) || store.users.find(x => x.displayName.toLowerCase() === String(v.v).toLowerCase() || (x.emailAddress && x.emailAddress === v.v));
        if (!u) throw valueNotExist(v.v, fname);
        return u.idx;
      };
      getter = f === 'assignee' ? (i) => i.assignee : (i) => i.reporter;
      emptyCheck = f === 'assignee' ? (i) => i.assignee < 0 : () => false;
      break;
    case 'sprint': {
      resolveOne = (v) => {
        if (v.fn) throw new JqlError(`Error in the JQL Query: the sandbox does not support the function '${v.fn}()' for field 'sprint'.`);
        const s = String(v.v);
        const sp = /^\d+$/.test(s) ? store.sprintById.get(+s) : store.sprints.find(x => x.name.toLowerCase() === s.toLowerCase());
        if (!sp) throw valueNotExist(s, 'sprint');
        return sp.id;
      };
      const vs = vals.filter(v => !v.empty).map(resolveOne);
      const set = new Set(vs);
      const hit = (i) => i.sprints.some(s => set.has(s));
      if (op === 'is') return (i) => i.sprints.length === 0;
      if (op === 'is not') return (i) => i.sprints.length > 0;
      return positive ? hit : (i) => !hit(i);
    }
    case 'labels': {
      const vs = new Set(vals.filter(v => !v.empty).map(v => String(v.v)));
      const hit = (i) => i.labels.some(l => vs.has(l));
      if (op === 'is') return (i) => i.labels.length === 0;
      if (op === 'is not') return (i) => i.labels.length > 0;
      return positive ? hit : (i) => !hit(i);
    }
    default:
      throw new JqlError(`Field '${fname}' does not exist or you do not have permission to view it.`);
  }
  if (op === 'is' || op === 'is not') {
    // project, type, status, priority and key are never empty
    if (!emptyCheck) return op === 'is' ? () => false : () => true;
    return op === 'is' ? emptyCheck : (i) => !emptyCheck(i);
  }
  if ((op === '=' || op === '!=') && vals.length !== 1) throw opUnsupported(op, fname);
  const set = new Set();
  let wantEmpty = false;
  for (const v of vals) {
    if (v.empty) { wantEmpty = true; continue; }
    set.add(resolveOne(v));
  }
  if (wantEmpty && !emptyCheck) emptyCheck = () => false;
  const hit = (i) => set.has(getter(i)) || (wantEmpty && emptyCheck(i));
  return positive ? hit : (i) => !hit(i);
}

function keyCmp(a, b) {
  if (a.proj !== b.proj) return a.key.split('-')[0] < b.key.split('-')[0] ? -1 : 1;
  return a.num - b.num;
}

function compileSort(order) {
  const cmps = [];
  for (const o of order) {
    const f = SORTABLE[o.field.toLowerCase()];
    if (!f) {
      if (FIELD_ALIASES[o.field.toLowerCase()] || /^(rank|summary|assignee|reporter|sprint|duedate|labels)$/i.test(o.field)) throw new JqlError(`Error in the JQL Query: the sandbox does not support sorting by '${o.field}'.`);
      throw new JqlError(`Not able to sort using field '${o.field}'.`);
    }
    const dir = o.dir === 'desc' ? -1 : 1;
    let cmp;
    switch (f) {
      case 'updated': cmp = (a, b) => a.updated - b.updated; break;
      case 'created': cmp = (a, b) => a.created - b.created; break;
      case 'resolved': cmp = (a, b) => (a.resolutiondate === null ? Infinity : a.resolutiondate) - (b.resolutiondate === null ? Infinity : b.resolutiondate) || 0; break;
      case 'key': cmp = keyCmp; break;
      case 'id': cmp = (a, b) => a.id - b.id; break;
      case 'priority': cmp = (a, b) => a.priority - b.priority; break;
      case 'status': cmp = (a, b) => D.STATUSES[a.status].name.localeCompare(D.STATUSES[b.status].name); break;
      case 'issuetype': cmp = (a, b) => D.ISSUE_TYPES[a.type].name.localeCompare(D.ISSUE_TYPES[b.type].name); break;
      case 'project': cmp = (a, b) => a.proj - b.proj; break;
    }
    cmps.push((a, b) => { const r = cmp(a, b); return (r !== r) ? 0 : r * dir; });
  }
  // Default (no ORDER BY) and final tie-break: issue id descending (newest first).
  return (a, b) => {
    for (const c of cmps) { const r = c(a, b); if (r) return r; }
    return cmps.length ? a.id - b.id : b.id - a.id;
  };
}

module.exports = { compile, parse, tokenize, JqlError, parseDateLiteral };

'use strict';
// Time-zone helpers built only on Intl (no tz database of our own).
//
// Jira renders issue timestamps as "2026-06-03T10:15:00.000-0700" (the
// offset of the calling user's profile time zone) and interprets JQL date
// literals ("2026/06/03 10:15", "2026-06-03") in that same zone. These
// helpers do both conversions for an IANA zone name.

const dtfCache = new Map();
const offCache = new Map();

function formatter(tz) {
  let f = dtfCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit',
      day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    dtfCache.set(tz, f);
  }
  return f;
}

function isValidTimeZone(tz) {
  try { formatter(tz).format(0); return true; } catch (_) { return false; }
}

// UTC offset of `tz` at instant `ms`, in minutes (east positive).
// Cached per 15-minute bucket: every real zone changes offset on a
// quarter-hour boundary.
function offsetMinutes(tz, ms) {
  if (tz === 'UTC' || tz === 'Etc/UTC') return 0;
  const bucket = Math.floor(ms / 900000);
  let m = offCache.get(tz);
  if (!m) { m = new Map(); offCache.set(tz, m); }
  let off = m.get(bucket);
  if (off !== undefined) return off;
  const t = bucket * 900000;
  const p = {};
  for (const part of formatter(tz).formatToParts(t)) p[part.type] = part.value;
  const asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second);
  off = Math.round((asUtc - t) / 60000);
  if (m.size > 200000) m.clear();
  m.set(bucket, off);
  return off;
}

function pad(n, w) { return String(n).padStart(w, '0'); }

// Jira REST v3 timestamp: yyyy-MM-ddTHH:mm:ss.SSS+HHMM in zone `tz`.
function formatJira(ms, tz) {
  if (ms === null || ms === undefined) return null;
  const off = offsetMinutes(tz, ms);
  const d = new Date(ms + off * 60000);
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return pad(d.getUTCFullYear(), 4) + '-' + pad(d.getUTCMonth() + 1, 2) + '-' + pad(d.getUTCDate(), 2) +
    'T' + pad(d.getUTCHours(), 2) + ':' + pad(d.getUTCMinutes(), 2) + ':' + pad(d.getUTCSeconds(), 2) +
    '.' + pad(d.getUTCMilliseconds(), 3) + sign + pad(Math.floor(a / 60), 2) + pad(a % 60, 2);
}

// Agile API / truth timestamp: ISO-8601 UTC with milliseconds and "Z".
function formatIsoZ(ms) {
  if (ms === null || ms === undefined) return null;
  return new Date(ms).toISOString();
}

// X-RateLimit-Reset format: yyyy-MM-ddTHH:mmZ.
function formatResetHeader(ms) {
  return new Date(ms).toISOString().slice(0, 16) + 'Z';
}

// Wall time (y, mo 1-12, d, h, mi) in zone `tz` -> UTC epoch ms.
// In a DST gap the result is shifted forward like java.time does; in an
// overlap the earlier instant is chosen.
function localToUtc(tz, y, mo, d, h, mi) {
  const guess = Date.UTC(y, mo - 1, d, h, mi, 0, 0);
  const off1 = offsetMinutes(tz, guess);
  let t = guess - off1 * 60000;
  const off2 = offsetMinutes(tz, t);
  if (off2 !== off1) {
    const t2 = guess - off2 * 60000;
    // Pick a candidate whose own offset confirms it.
    if (offsetMinutes(tz, t2) === off2) t = t2;
  }
  return t;
}

module.exports = { isValidTimeZone, offsetMinutes, formatJira, formatIsoZ, formatResetHeader, localToUtc };

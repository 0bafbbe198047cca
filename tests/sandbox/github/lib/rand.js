'use strict';
// Deterministic randomness for the GitHub sandbox.
//
// Two tools:
//   mulberry32(seed)  a small sequential PRNG, used where values are drawn in
//                     a fixed order (repository and pull-request headers).
//   mix(a, b, c, ...) a stateless hash of integers, used for lazily generated
//                     children (commit i of PR n), so any item can be computed
//                     on its own without generating the ones before it.
// Both return unsigned 32-bit integers; unit() turns one into [0, 1).

class Mulberry32 {
  constructor(seed) {
    this.a = seed >>> 0;
  }
  u32() {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  float() {
    return this.u32() / 4294967296;
  }
  int(lo, hi) {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }
  pick(arr) {
    return arr[Math.floor(this.float() * arr.length)];
  }
  chance(p) {
    return this.float() < p;
  }
}

function mulberry32(seed) {
  return new Mulberry32(seed);
}

// Final avalanche of murmur3.
function fmix(h) {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mix(...vals) {
  let h = 0x9e3779b9;
  for (const v of vals) {
    h = Math.imul(h ^ (v >>> 0), 0x01000193) >>> 0;
    h = fmix(h + 0x7f4a7c15);
  }
  return h >>> 0;
}

const unit = (u32) => u32 / 4294967296;

// Hash of a string to a u32 (for --seed given as text and for names).
function strHash(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  }
  return fmix(h);
}

const HEX2 = [];
for (let i = 0; i < 256; i++) HEX2.push(i.toString(16).padStart(2, '0'));

function hex8(u) {
  return HEX2[(u >>> 24) & 255] + HEX2[(u >>> 16) & 255] + HEX2[(u >>> 8) & 255] + HEX2[u & 255];
}

// A 40-hex git object id derived from a key of integers.
function oid(...key) {
  let s = '';
  let h = mix(...key);
  for (let i = 0; i < 5; i++) {
    h = mix(h, i, 0x5eed);
    s += hex8(h);
  }
  return s;
}

function b64(s) {
  return Buffer.from(s, 'utf8').toString('base64');
}

function unb64(s) {
  try {
    return Buffer.from(String(s), 'base64').toString('utf8');
  } catch (e) {
    return '';
  }
}

module.exports = { mulberry32, mix, unit, strHash, oid, b64, unb64, hex8 };

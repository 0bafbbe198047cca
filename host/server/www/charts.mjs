// charts.mjs: the console's SVG charts, drawn here (no library): a weekly
// line with its points, and a horizontal stacked bar.
const NS = 'http://www.w3.org/2000/svg';

function s(tag, attrs, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text != null) e.textContent = text;
  return e;
}

// points: [{label, value (number|null), title}]. A null value breaks the
// line and is drawn as a hollow mark on the axis.
export function lineChart(points, { label, width = 320, height = 120 } = {}) {
  const pad = { l: 8, r: 8, t: 10, b: 18 };
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-label': label, class: 'chart line' });
  const vals = points.map((p) => p.value).filter((v) => v != null);
  const max = Math.max(1e-9, ...vals);
  const w = width - pad.l - pad.r, hgt = height - pad.t - pad.b;
  const x = (i) => pad.l + (points.length < 2 ? w / 2 : (i * w) / (points.length - 1));
  const y = (v) => pad.t + hgt - (v / max) * hgt;
  svg.append(s('line', { x1: pad.l, x2: width - pad.r, y1: pad.t + hgt, y2: pad.t + hgt, class: 'axis' }));
  let d = '', pen = false;
  points.forEach((p, i) => {
    if (p.value == null) { pen = false; return; }
    d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`;
    pen = true;
  });
  if (d) svg.append(s('path', { d, class: 'series' }));
  points.forEach((p, i) => {
    const c = s('circle', { cx: x(i), cy: p.value == null ? pad.t + hgt : y(p.value),
      r: 3, class: p.value == null ? 'point empty' : 'point' });
    c.append(s('title', {}, p.title));
    svg.append(c);
  });
  if (points.length) {
    svg.append(s('text', { x: pad.l, y: height - 4, class: 'tick' }, points[0].label));
    svg.append(s('text', { x: width - pad.r, y: height - 4, class: 'tick end' }, points[points.length - 1].label));
  }
  return svg;
}

// parts: [{name, value (number|null), display}]; nulls are left out.
export function stackedBar(parts, { label, width = 320, height = 28 } = {}) {
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-label': label, class: 'chart stacked' });
  const total = parts.reduce((a, p) => a + (p.value || 0), 0);
  let x0 = 0;
  parts.forEach((p, i) => {
    if (!p.value || !total) return;
    const w = (p.value / total) * width;
    const r = s('rect', { x: x0, y: 0, width: Math.max(w, 1), height, class: `seg seg${i}` });
    r.append(s('title', {}, `${p.name}: ${p.display}`));
    svg.append(r);
    x0 += w;
  });
  return svg;
}

// bars: [{label, value (number), title}], one column each from the axis;
// the first and last labels under the axis. The scale's top is printed
// at the top left, so a reader can tell 0.2/s from 200/s.
export function barChart(bars, { label, unit = '', width = 960, height = 150 } = {}) {
  const pad = { l: 8, r: 8, t: 16, b: 20 };
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-label': label, class: 'chart bars' });
  const max = Math.max(1e-9, ...bars.map((b) => b.value || 0));
  const w = width - pad.l - pad.r, hgt = height - pad.t - pad.b;
  const bw = bars.length ? w / bars.length : w;
  svg.append(s('line', { x1: pad.l, x2: width - pad.r, y1: pad.t + hgt, y2: pad.t + hgt, class: 'axis' }));
  bars.forEach((b, i) => {
    if (!b.value) return;
    const bh = Math.max((b.value / max) * hgt, 1);
    const r = s('rect', { x: (pad.l + i * bw + bw * 0.1).toFixed(1), y: (pad.t + hgt - bh).toFixed(1),
      width: Math.max(bw * 0.8, 1).toFixed(1), height: bh.toFixed(1), class: 'bar-col' });
    r.append(s('title', {}, b.title));
    svg.append(r);
  });
  svg.append(s('text', { x: pad.l, y: 11, class: 'tick max' }, `max ${+max.toFixed(3)}${unit}`));
  if (bars.length) {
    svg.append(s('text', { x: pad.l, y: height - 4, class: 'tick' }, bars[0].label));
    svg.append(s('text', { x: width - pad.r, y: height - 4, class: 'tick end' }, bars[bars.length - 1].label));
  }
  return svg;
}

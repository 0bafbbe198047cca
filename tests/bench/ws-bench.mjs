// ws-bench.mjs URL N JOB_ID OUT: N WebSocket viewers of one daemon. Prints
// "open N" when all are connected, then waits until every viewer got
// job JOB_ID's job_completed (or 120 s), and writes a JSON summary to OUT:
// emit->delivery delay percentiles (from the event's "ts", set by the job
// process, to receipt here) and counts.
import { writeFileSync } from 'node:fs';

const [url, nStr, jobId, out] = process.argv.slice(2);
const n = Number(nStr);
const nowUs = () => (performance.timeOrigin + performance.now()) * 1000;
const delays = [];
let open = 0, completed = 0, progress = 0, failed = 0;
const sockets = [];

function done() {
  delays.sort((a, b) => a - b);
  const q = (p) => delays.length ? delays[Math.min(delays.length - 1, Math.floor(p * delays.length))] / 1000 : null;
  const s = { viewers: n, connected: open, failed, completed, progress_events: progress,
    delay_ms_p50: q(0.5), delay_ms_p99: q(0.99), delay_ms_max: q(1) };
  writeFileSync(out, JSON.stringify(s) + '\n');
  for (const ws of sockets) ws.close();
  setTimeout(() => process.exit(0), 200);
}

for (let i = 0; i < n; i++) {
  const ws = new WebSocket(url);
  sockets.push(ws);
  ws.onopen = () => { if (++open === n) console.log(`open ${n}`); };
  ws.onerror = () => { failed++; };
  ws.onmessage = (m) => {
    const t = nowUs();
    const ev = JSON.parse(m.data);
    if (String(ev.job_id) !== jobId) return;
    if (ev.ts) delays.push(t - ev.ts);
    if (ev.event === 'job_progress') progress++;
    if (ev.event === 'job_completed' && ++completed === n) done();
  };
}
setTimeout(done, 120000);

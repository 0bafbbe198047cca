// ws-bench.mjs URL N JOB_ID OUT: N WebSocket viewers of one daemon. Prints
// "open N" when all are connected, then waits until every viewer got
// job JOB_ID's job_completed (or 120 s), and writes a JSON summary to OUT:
// emit->delivery delay percentiles (from the event's "ts", set by the job
// process, to receipt here) and counts.
//
// The delay is also split at the daemon's "sent_ts" (when it serialised
// the event once for all viewers): ts->sent_ts is the job process's pipe
// and the daemon's read, sent_ts->receipt is the fan-out plus this
// client's own queueing. The client's own load is reported beside it, so
// a saturated load generator is not mistaken for a slow daemon: its CPU
// use (share of one core) and its event-loop lag while events flowed.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const [url, nStr, jobId, out] = process.argv.slice(2);
const n = Number(nStr);
const nowUs = () => (performance.timeOrigin + performance.now()) * 1000;
const delays = [], pipe = [], fanout = [];
let open = 0, completed = 0, progress = 0, failed = 0;
let cpu0 = null, t0 = 0;
const sockets = [];
const lag = monitorEventLoopDelay({ resolution: 5 });

function pct(a, p) {
  return a.length ? a[Math.min(a.length - 1, Math.floor(p * a.length))] / 1000 : null;
}

function done() {
  for (const a of [delays, pipe, fanout]) a.sort((x, y) => x - y);
  lag.disable();
  const cpu = cpu0 ? process.cpuUsage(cpu0) : null;
  const wallUs = t0 ? nowUs() - t0 : 0;
  const s = { viewers: n, connected: open, failed, completed, progress_events: progress,
    delay_ms_p50: pct(delays, 0.5), delay_ms_p99: pct(delays, 0.99), delay_ms_max: pct(delays, 1),
    pipe_ms_p99: pct(pipe, 0.99), fanout_ms_p50: pct(fanout, 0.5), fanout_ms_p99: pct(fanout, 0.99),
    client_cpu_percent: cpu && wallUs ? Math.round(100 * (cpu.user + cpu.system) / wallUs) : null,
    client_lag_ms_p50: lag.count ? lag.percentile(50) / 1e6 : null,
    client_lag_ms_p99: lag.count ? lag.percentile(99) / 1e6 : null,
    client_lag_ms_max: lag.count ? lag.max / 1e6 : null };
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
    if (!cpu0) { // the first event of the job: the client's load from here
      cpu0 = process.cpuUsage();
      t0 = t;
      lag.enable();
    }
    if (ev.ts) delays.push(t - ev.ts);
    if (ev.ts && ev.sent_ts) { pipe.push(ev.sent_ts - ev.ts); fanout.push(t - ev.sent_ts); }
    if (ev.event === 'job_progress') progress++;
    if (ev.event === 'job_completed' && ++completed === n) done();
  };
}
setTimeout(done, 120000);

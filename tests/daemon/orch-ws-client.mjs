// orch-ws-client.mjs URL OUTFILE [SECONDS]: connect to the daemon's
// progress WebSocket (URL includes ?token=...), write every event as one
// JSON line to OUTFILE (with "recv_us" added), for SECONDS or until
// SIGTERM. Prints "open" on stdout once connected, "refused" if the
// handshake fails. Needs a global WebSocket (node >= 22, or node 20/21
// with --experimental-websocket).
import { appendFileSync, writeFileSync } from 'node:fs';

const [url, out, secs] = process.argv.slice(2);
writeFileSync(out, '');
const ws = new WebSocket(url);
let opened = false;
const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
ws.onopen = () => { opened = true; console.log('open'); };
ws.onmessage = (m) => {
  const ev = JSON.parse(m.data);
  ev.recv_us = nowUs();
  appendFileSync(out, JSON.stringify(ev) + '\n');
};
ws.onerror = () => { if (!opened) { console.log('refused'); process.exit(3); } };
ws.onclose = () => process.exit(opened ? 0 : 3);
process.on('SIGTERM', () => { ws.close(); process.exit(0); });
setTimeout(() => { ws.close(); process.exit(0); }, (Number(secs) || 60) * 1000);

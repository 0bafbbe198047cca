// vectorize-ws-client.mjs URL OUTFILE [SECONDS]: connect to the daemon's
// progress WebSocket (URL includes ?token=...), subscribe to the
// "vectorization" channel only, and write every event as one JSON line to
// OUTFILE, for SECONDS or until SIGTERM. Prints "open" once subscribed,
// "refused" if the handshake fails. Needs a global WebSocket (node >= 22,
// or node 20/21 with --experimental-websocket).
import { appendFileSync, writeFileSync } from 'node:fs';

const [url, out, secs] = process.argv.slice(2);
writeFileSync(out, '');
const ws = new WebSocket(url);
let opened = false;
ws.onopen = () => {
  opened = true;
  ws.send(JSON.stringify({ subscribe: ['vectorization'] }));
  console.log('open');
};
ws.onmessage = (m) => appendFileSync(out, m.data + '\n');
ws.onerror = () => { if (!opened) { console.log('refused'); process.exit(3); } };
ws.onclose = () => process.exit(opened ? 0 : 3);
process.on('SIGTERM', () => { ws.close(); process.exit(0); });
setTimeout(() => { ws.close(); process.exit(0); }, (Number(secs) || 60) * 1000);

// sec-ws-client.mjs URL MESSAGE OUTFILE [SECONDS]: connect to the
// daemon's progress WebSocket, send MESSAGE (raw text; "" sends nothing)
// once open, and append every message received as one line to OUTFILE;
// when the server closes, append "close CODE REASON". Prints "open" once
// connected, "refused" if the handshake fails.
import { appendFileSync, writeFileSync } from 'node:fs';

const [url, msg, out, secs] = process.argv.slice(2);
writeFileSync(out, '');
const ws = new WebSocket(url);
let opened = false;
ws.onopen = () => {
  opened = true;
  console.log('open');
  if (msg) ws.send(msg);
};
ws.onmessage = (m) => appendFileSync(out, String(m.data) + '\n');
ws.onerror = () => { if (!opened) { console.log('refused'); process.exit(3); } };
ws.onclose = (e) => {
  appendFileSync(out, `close ${e.code} ${e.reason}\n`);
  process.exit(opened ? 0 : 3);
};
process.on('SIGTERM', () => { ws.close(); process.exit(0); });
setTimeout(() => { ws.close(); process.exit(0); }, (Number(secs) || 60) * 1000);

// Makes the test's signing keys: an RSA (kid rsa-1) and a P-256 (kid
// ec-1) key the provider publishes, and a stranger P-256 key (kid
// stranger) it does not. Writes ALL.json {"op": {"keys": [...]},
// "stranger": JWK} and OP.json {"keys": [...]} (the provider's).
//
//   node keys.mjs ALL.json OP.json
import fs from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';

const jwk = (type, opts, kid, alg) => {
	const { privateKey } = generateKeyPairSync(type, opts);
	return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
};
const rsa = jwk('rsa', { modulusLength: 2048 }, 'rsa-1', 'RS256');
const ec = jwk('ec', { namedCurve: 'P-256' }, 'ec-1', 'ES256');
const stranger = jwk('ec', { namedCurve: 'P-256' }, 'stranger', 'ES256');
const op = { keys: [rsa, ec] };
fs.writeFileSync(process.argv[2], JSON.stringify({ op, stranger }));
fs.writeFileSync(process.argv[3], JSON.stringify(op));

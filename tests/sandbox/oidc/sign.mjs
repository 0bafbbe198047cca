// Crafts ID tokens for the single sign-on refusal tests, with jose (a
// dependency of oidc-provider). Reads a JSON file holding an array of
//   {"jwk": private JWK, "alg": "RS256"|"ES256", "kid": "...",
//    "claims": {...}, "tamper": true|false}
// and prints one compact JWS a line, in order. tamper changes the
// payload after signing (the signature then no longer matches).
import fs from 'node:fs';
import { importJWK, SignJWT } from 'jose';

const specs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
for (const spec of specs) {
	const key = await importJWK(spec.jwk, spec.alg);
	let jws = await new SignJWT(spec.claims)
		.setProtectedHeader({ alg: spec.alg, kid: spec.kid, typ: 'JWT' })
		.sign(key);
	if (spec.tamper) {
		const [h, p, s] = jws.split('.');
		const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
		claims.email = 'mallory@example.com';
		jws = [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
	}
	console.log(jws);
}

// A real, certified OpenID Provider for the single sign-on tests: the npm
// package oidc-provider (installed into the build tree by the test, never
// committed), run on loopback with its development sign-in form. This
// file only configures it: one confidential client, the signing keys the
// test made (so the test can also sign tokens the provider publishes),
// and accounts read from a JSON file on every look-up (so the test can
// change a person's name or groups between two sign-ins).
//
//   node server.mjs PORT KEYS.json ACCOUNTS.json CLIENT_ID CLIENT_SECRET REDIRECT_URI
//
// KEYS.json: {"keys": [private JWKs with kid]}; ACCOUNTS.json:
// {"LOGIN": {"email", "name", "groups": [...]}}. Prints "listening URL".
import fs from 'node:fs';
import Provider from 'oidc-provider';

const [port, keysFile, accountsFile, clientId, clientSecret, redirectUri] =
	process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
	clients: [{
		client_id: clientId,
		client_secret: clientSecret,
		redirect_uris: [redirectUri],
		grant_types: ['authorization_code'],
		response_types: ['code'],
		token_endpoint_auth_method: 'client_secret_basic',
	}],
	jwks: JSON.parse(fs.readFileSync(keysFile, 'utf8')),
	cookies: { keys: ['pulse-sso-test-cookie-key'] },
	claims: {
		openid: ['sub'],
		email: ['email', 'email_verified'],
		profile: ['name'],
		groups: ['groups'],
	},
	scopes: ['openid', 'email', 'profile', 'groups'],
	// the scope claims go into the ID token itself (pulse-host reads
	// only the ID token)
	conformIdTokenClaims: false,
	pkce: { required: () => true },
	features: { devInteractions: { enabled: true } },
	// a first-party client: the grant is given without a consent page
	async loadExistingGrant(ctx) {
		const id = ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
		if (id)
			return ctx.oidc.provider.Grant.find(id);
		const grant = new ctx.oidc.provider.Grant({
			clientId: ctx.oidc.client.clientId,
			accountId: ctx.oidc.session.accountId,
		});
		grant.addOIDCScope('openid email profile groups');
		await grant.save();
		return grant;
	},
	async findAccount(ctx, sub) {
		const accounts = JSON.parse(fs.readFileSync(accountsFile, 'utf8'));
		const a = accounts[sub];
		if (!a)
			return undefined;
		return {
			accountId: sub,
			async claims() {
				return { sub, email: a.email, email_verified: true,
					 name: a.name, groups: a.groups };
			},
		};
	},
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));
provider.listen(Number(port), '127.0.0.1', () => {
	console.log(`listening ${issuer}`);
});

// A real OpenID provider (panva/oidc-provider, certified) on loopback for the registry's single
// sign-on tests: authorization-code flow with PKCE required, RS256 ID tokens with a JWKS,
// userinfo, refresh tokens and RP-initiated logout. Sign-in and consent are the package's
// development interactions (any password; the login is the account id).
//
//   node provider.mjs <config.json>
//
// config.json: {"accounts": "<path of the accounts file>", "client_id", "client_secret",
// "redirect_uris": [...], "post_logout_redirect_uris": [...]}. The accounts file is
// {"<account id>": {"email", "email_verified", "name", "groups": [...], "disabled": false}} and is
// read at every lookup: an account marked disabled (or removed) is unknown at once, so userinfo
// and refresh-token grants fail for it. The provider binds 127.0.0.1 on a free port and prints
// one line, "issuer <url>", when it is ready.

import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

function accountFile() {
  return JSON.parse(readFileSync(config.accounts, 'utf8'));
}

async function findAccount(_ctx, id) {
  const record = accountFile()[id];
  if (!record || record.disabled) {
    return undefined;
  }
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        email: record.email,
        email_verified: record.email_verified === true,
        name: record.name || id,
        // groups: null in the accounts file leaves the claim out (a provider that sends none).
        ...(record.groups === null ? {} : { groups: record.groups || [] }),
      };
    },
  };
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', use: 'sig', alg: 'RS256' };

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: config.client_id,
        client_secret: config.client_secret,
        redirect_uris: config.redirect_uris,
        post_logout_redirect_uris: config.post_logout_redirect_uris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
        id_token_signed_response_alg: 'RS256',
      },
    ],
    findAccount,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    // The registry asks for these scopes; a refresh token lets it re-validate after the
    // access token expired.
    scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    pkce: { required: () => true },
    jwks: { keys: [signingKey] },
    cookies: { keys: ['registry-test-provider-only'] },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      userinfo: { enabled: true },
    },
    ttl: { AccessToken: Number(config.access_token_ttl || 3600) },
  });
  // Loopback over plain HTTP: the provider's cookies must not be marked secure.
  provider.proxy = false;
  server.on('request', provider.callback());
  process.stdout.write(`issuer ${issuer}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));

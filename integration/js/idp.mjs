// A real OpenID Connect provider for minikafka's OAUTHBEARER tests
// (panva/oidc-provider, a certified OP): client_credentials grant, RS256 JWT
// access tokens (typ at+jwt) with a groups claim, JWKS on loopback.
//
// Environment: IDP_PORT (0 = random, default), IDP_AUDIENCE (kafka-broker),
// IDP_TTL (access token lifetime in seconds, 300).
// A new signing key (kid = its JWK thumbprint) is generated at every start,
// so restarting the process rotates the key. Once listening it prints one
// JSON line: {"issuer": ..., "jwks_uri": ..., "token_endpoint": ..., "kid": ...}.
import Provider from 'oidc-provider';
import http from 'node:http';
import { generateKeyPair, exportJWK, calculateJwkThumbprint } from 'jose';

const PORT = Number(process.env.IDP_PORT || 0);
const AUDIENCE = process.env.IDP_AUDIENCE || 'kafka-broker';
const TTL = Number(process.env.IDP_TTL || 300);

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const exported = await exportJWK(privateKey);
const kid = await calculateJwkThumbprint(exported);
const jwk = { ...exported, kid, alg: 'RS256', use: 'sig' };

// client_id -> secret and the groups put into its access tokens
const clients = {
  'kafka-client-a': { secret: 'secret-a', groups: ['kafka-producers', 'team-a'] },
  'kafka-client-b': { secret: 'secret-b', groups: ['kafka-consumers'] },
};


// The issuer URL needs the port, so bind first, then build the provider.
const srv = http.createServer();
await new Promise((resolve) => srv.listen(PORT, '127.0.0.1', resolve));
const ISSUER = `http://127.0.0.1:${srv.address().port}`;

const provider = new Provider(ISSUER, {
  jwks: { keys: [jwk] },
  clients: Object.entries(clients).map(([id, c]) => ({
    client_id: id,
    client_secret: c.secret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
  scopes: ['kafka'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // no `resource` parameter in the request: use the Kafka audience
      defaultResource: () => 'urn:kafka:broker', // must be an absolute URI
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'kafka',
        audience: AUDIENCE,
        accessTokenFormat: 'jwt',
        accessTokenTTL: TTL,
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  extraTokenClaims: (ctx, token) =>
    token.kind === 'ClientCredentials' ? { groups: clients[token.clientId]?.groups ?? [] } : undefined,
});
srv.on('request', provider.callback());

const disc = `${ISSUER}/.well-known/openid-configuration`;
const meta = await (await fetch(disc)).json();
console.log(JSON.stringify({ issuer: ISSUER, jwks_uri: meta.jwks_uri, token_endpoint: meta.token_endpoint, kid }));

const stop = () => srv.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

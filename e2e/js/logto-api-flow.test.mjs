// The restaurant team's setup script written with Logto's own Management API
// client (@logto/api), then a sign-in with @logto/node as the user it
// created: the access token must carry exactly the permissions the roles
// grant. e2e/logto_api_flow_test.go starts the server and passes only a
// bootstrap M2M app made with `gatehouse app create`.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import LogtoClient from '@logto/node';
import { createManagementApi } from '@logto/api/management';
import { createRemoteJWKSet, jwtVerify } from 'jose';

import { Browser, memoryStorage, signInWithBrowser } from './browser.mjs';

const endpoint = process.env.GATEHOUSE_ENDPOINT.replace(/\/+$/, '');
const issuer = `${endpoint}/oidc`;
const api = 'https://api.example';
const redirectUri = 'http://localhost:3000/api/logto/callback';

const { apiClient } = createManagementApi('default', {
  clientId: process.env.M2M_ID,
  clientSecret: process.env.M2M_SECRET,
  baseUrl: endpoint,
  apiIndicator: 'https://default.logto.app/api',
});

/** Calls the API and returns data, failing with the server's error otherwise. */
const call = async (method, path, options, status) => {
  const { data, error, response } = await apiClient[method](path, options);
  assert.equal(response.status, status, `${method} ${path}: ${response.status} ${JSON.stringify(error)}`);
  return data;
};

test('setup script with @logto/api, sign-in with @logto/node', async () => {
  const resource = await call('POST', '/api/resources', { body: { name: 'Orders API', indicator: api } }, 201);
  const permissions = ['read:orders', 'write:orders', 'read:menus', 'write:menus', 'read:staff', 'write:staff', 'read:reports', 'manage:billing'];
  const scopeIds = {};
  for (const name of permissions) {
    const scope = await call('POST', '/api/resources/{resourceId}/scopes', {
      params: { path: { resourceId: resource.id } },
      body: { name, description: `Allows ${name}` },
    }, 201);
    scopeIds[name] = scope.id;
  }
  const withResource = await call('GET', '/api/resources', { params: { query: { includeScopes: 'true' } } }, 200);
  assert.equal(withResource.find((r) => r.id === resource.id).scopes.length, 8);

  const staff = await call('POST', '/api/roles', {
    body: { name: 'staff', description: 'Kitchen staff', type: 'User', scopeIds: [scopeIds['read:orders'], scopeIds['read:menus']] },
  }, 200);
  await call('POST', '/api/roles', {
    body: { name: 'owner', description: 'Owner', type: 'User', scopeIds: Object.values(scopeIds) },
  }, 200);
  const workerRole = await call('POST', '/api/roles', {
    body: { name: 'order-worker', description: 'Worker', type: 'MachineToMachine', scopeIds: [scopeIds['read:orders'], scopeIds['write:orders']] },
  }, 200);

  const app = await call('POST', '/api/applications', {
    body: { name: 'Next.js dashboard', type: 'Traditional', oidcClientMetadata: { redirectUris: [redirectUri], postLogoutRedirectUris: ['http://localhost:3000/'] } },
  }, 200);
  const secrets = await call('GET', '/api/applications/{id}/secrets', { params: { path: { id: app.id } } }, 200);
  assert.equal(secrets[0].name, 'Default secret');

  const worker = await call('POST', '/api/applications', { body: { name: 'Order worker', type: 'MachineToMachine' } }, 200);
  await call('POST', '/api/applications/{applicationId}/roles', {
    params: { path: { applicationId: worker.id } },
    body: { roleIds: [workerRole.id] },
  }, 201);

  const user = await call('POST', '/api/users', {
    body: { username: 'kitchen01', password: 'Kitchen-Pass-2024!', primaryEmail: 'kitchen@example.com', name: 'Kitchen' },
  }, 200);
  await call('POST', '/api/users/{userId}/roles', { params: { path: { userId: user.id } }, body: { roleIds: [staff.id] } }, 201);
  const userRoles = await call('GET', '/api/users/{userId}/roles', { params: { path: { userId: user.id } } }, 200);
  assert.deepEqual(userRoles.map((r) => r.name), ['staff']);

  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));

  // The worker takes a token with client credentials.
  const workerToken = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${worker.id}:${worker.secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: api, scope: 'read:orders write:orders read:menus' }),
  }).then((r) => r.json());
  const { payload: workerClaims } = await jwtVerify(workerToken.access_token, jwks, { issuer, audience: api });
  assert.equal(workerClaims.scope, 'read:orders write:orders');

  // The user signs in to the dashboard with Logto's SDK.
  let signInUrl;
  const client = new LogtoClient(
    { endpoint, appId: app.id, appSecret: app.secret, resources: [api], scopes: ['email', ...permissions] },
    { navigate: (url) => { signInUrl = url; }, storage: memoryStorage() }
  );
  await client.signIn(redirectUri);
  const callback = await signInWithBrowser(new Browser([redirectUri]), signInUrl, { username: 'kitchen01', password: 'Kitchen-Pass-2024!', redirectUri });
  await client.handleSignInCallback(callback);
  const accessToken = await client.getAccessToken(api);
  const { payload } = await jwtVerify(accessToken, jwks, { issuer, audience: api });
  assert.equal(payload.sub, user.id);
  assert.equal(payload.scope, 'read:orders read:menus');
});

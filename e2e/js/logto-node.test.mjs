// Drives a running Gatehouse with Logto's own SDKs, exactly as a Logto
// customer's app does: @logto/node's LogtoClient (a Traditional web app,
// the client @logto/next and @logto/express wrap) for sign-in, tokens,
// userinfo and sign-out, and @logto/api's client credentials for a
// machine-to-machine app. The server and its records are set up by
// e2e/logto_node_test.go, which passes them in the environment.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import LogtoClient from '@logto/node';
import { createManagementApi } from '@logto/api/management';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';

import { Browser, memoryStorage, signInWithBrowser } from './browser.mjs';

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    throw new Error(`environment variable ${name} is required (set by e2e/logto_node_test.go)`);
  }
  return value;
};

const endpoint = env('GATEHOUSE_ENDPOINT').replace(/\/+$/, '');
const issuer = `${endpoint}/oidc`;
const appId = env('APP_ID');
const appSecret = env('APP_SECRET');
const redirectUri = env('REDIRECT_URI');
const postLogoutRedirectUri = env('POST_LOGOUT_REDIRECT_URI');
const username = env('USERNAME');
const password = env('PASSWORD');
const userId = env('USER_ID');
const resource = env('RESOURCE');
const resourceScopes = env('RESOURCE_SCOPES').split(' ');
const expectedScopes = env('EXPECTED_SCOPES');
const userRole = process.env.USER_ROLE;
const m2mId = env('M2M_ID');
const m2mSecret = env('M2M_SECRET');
const managementApi = 'https://default.logto.app/api';

/** Describes an error from the SDK with everything it carries. */
const describeError = (error) => {
  const parts = [String(error?.stack ?? error)];
  for (const key of ['code', 'data', 'cause']) {
    if (error?.[key] !== undefined) {
      parts.push(`${key}: ${typeof error[key] === 'object' ? JSON.stringify(error[key], null, 1) : error[key]}`);
    }
  }
  return parts.join('\n');
};

/** Runs one SDK call and names it when it fails. */
const sdk = async (what, fn) => {
  try {
    return await fn();
  } catch (error) {
    throw new Error(`@logto SDK call ${what} failed:\n${describeError(error)}`, { cause: error });
  }
};

const decodePart = (jwt, index) => JSON.parse(Buffer.from(jwt.split('.')[index], 'base64url').toString('utf8'));

let discovery;
let jwks;

before(async () => {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`);
  assert.equal(response.status, 200, 'discovery');
  discovery = await response.json();
  assert.equal(discovery.issuer, issuer);
  jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
});

/** Verifies a JWT access token as a resource server does, and returns its claims. */
const verifyAccessToken = async (token, audience) => {
  assert.equal(token.split('.').length, 3, `access token for ${audience} is not a JWT: ${token}`);
  const header = decodeProtectedHeader(token);
  assert.equal(header.typ, 'at+jwt', `access token header ${JSON.stringify(header)}`);
  const unverified = decodePart(token, 1);
  assert.equal(typeof unverified.aud, 'string', `aud must be a string, got ${JSON.stringify(unverified.aud)}`);
  try {
    const { payload } = await jwtVerify(token, jwks, { issuer, audience });
    return payload;
  } catch (error) {
    throw new Error(`jose jwtVerify of the access token failed: ${describeError(error)}\nheader ${JSON.stringify(header)}\npayload ${JSON.stringify(unverified)}`);
  }
};

describe('@logto/node LogtoClient (Traditional web app)', () => {
  test('sign-in, tokens, userinfo and sign-out', async () => {
    const navigations = [];
    const storage = memoryStorage();
    const client = new LogtoClient(
      {
        endpoint,
        appId,
        appSecret,
        resources: [resource],
        scopes: ['email', 'roles', ...resourceScopes],
      },
      {
        storage,
        navigate: (url, params) => {
          navigations.push({ url, params });
        },
      }
    );
    const browser = new Browser([redirectUri, postLogoutRedirectUri]);

    // Sign-in: the SDK builds the authorization URL, the browser signs in.
    await sdk('signIn', () => client.signIn(redirectUri));
    const signInUrl = navigations.at(-1)?.url;
    assert.ok(signInUrl?.startsWith(discovery.authorization_endpoint), `navigated to ${signInUrl}`);
    const authParams = new URL(signInUrl).searchParams;
    assert.equal(authParams.get('client_id'), appId);
    assert.deepEqual(authParams.getAll('resource'), [resource]);
    const callbackUrl = await signInWithBrowser(browser, signInUrl, { username, password, redirectUri });
    const callbackParams = new URL(callbackUrl).searchParams;
    assert.equal(callbackParams.get('iss'), issuer, `callback ${callbackUrl}`);
    assert.equal(await client.isSignInRedirected(callbackUrl), true);

    // The code exchange, with the SDK's own ID token verification.
    await sdk('handleSignInCallback', () => client.handleSignInCallback(callbackUrl));
    assert.equal(await client.isAuthenticated(), true, 'isAuthenticated after the callback');
    const refreshToken1 = await client.getRefreshToken();
    assert.ok(refreshToken1, 'no refresh token (offline_access is one of the SDK reserved scopes)');

    const claims = await sdk('getIdTokenClaims', () => client.getIdTokenClaims());
    assert.equal(claims.sub, userId);
    assert.equal(claims.username, username);
    assert.equal(claims.iss, issuer);
    assert.equal(claims.aud, appId);
    if (userRole) {
      assert.ok(Array.isArray(claims.roles) && claims.roles.includes(userRole), `roles claim ${JSON.stringify(claims.roles)}`);
    }
    const idToken = await client.getIdToken();
    assert.equal(typeof idToken, 'string');

    // Userinfo with the access token of the code exchange.
    const userInfo = await sdk('fetchUserInfo', () => client.fetchUserInfo());
    assert.equal(userInfo.sub, userId);
    assert.equal(userInfo.username, username);

    // An access token for the API: a refresh grant with resource.
    const apiToken1 = await sdk(`getAccessToken(${resource})`, () => client.getAccessToken(resource));
    const apiClaims1 = await verifyAccessToken(apiToken1, resource);
    assert.equal(apiClaims1.aud, resource);
    assert.equal(apiClaims1.scope, expectedScopes);
    assert.equal(apiClaims1.sub, userId);
    assert.equal(apiClaims1.client_id, appId);
    const sdkClaims = await sdk('getAccessTokenClaims', () => client.getAccessTokenClaims(resource));
    assert.equal(sdkClaims.scope, expectedScopes);
    const refreshToken2 = await client.getRefreshToken();
    assert.ok(refreshToken2 && refreshToken2 !== refreshToken1, 'the refresh token did not rotate');

    // A cached token is returned as is; with the cache cleared, the SDK
    // refreshes again with the rotated refresh token.
    assert.equal(await client.getAccessToken(resource), apiToken1, 'cached access token');
    await client.clearAccessToken();
    const apiToken2 = await sdk(`getAccessToken(${resource}) after clearAccessToken`, () => client.getAccessToken(resource));
    assert.notEqual(apiToken2, apiToken1);
    const apiClaims2 = await verifyAccessToken(apiToken2, resource);
    assert.equal(apiClaims2.scope, expectedScopes);
    assert.notEqual(apiClaims2.jti, apiClaims1.jti);

    // No resource: an opaque token for userinfo, from yet another refresh
    // (whose ID token the SDK verifies too).
    const oidcToken = await sdk('getAccessToken()', () => client.getAccessToken());
    assert.ok(oidcToken, 'getAccessToken() without resource');
    const userInfo2 = await sdk('fetchUserInfo after refresh', () => client.fetchUserInfo());
    assert.equal(userInfo2.sub, userId);
    assert.equal((await sdk('getIdTokenClaims after refresh', () => client.getIdTokenClaims())).sub, userId);

    // What @logto/next's getLogtoContext asks for.
    const context = await sdk('getContext', () =>
      client.getContext({ getAccessToken: true, resource, fetchUserInfo: true })
    );
    assert.equal(context.isAuthenticated, true, 'getContext: isAuthenticated');
    assert.equal(context.claims.sub, userId);
    assert.equal(context.userInfo.sub, userId);
    assert.deepEqual(context.scopes, expectedScopes.split(' '));

    // Sign-out: the SDK revokes the refresh token and navigates to end_session.
    const lastRefreshToken = await client.getRefreshToken();
    navigations.length = 0;
    await sdk('signOut', () => client.signOut(postLogoutRedirectUri));
    assert.equal(await client.isAuthenticated(), false, 'isAuthenticated after signOut');
    const signOutUrl = new URL(navigations.at(-1)?.url ?? 'about:blank');
    assert.equal(`${signOutUrl.origin}${signOutUrl.pathname}`, discovery.end_session_endpoint, `signOut navigated to ${signOutUrl}`);
    assert.equal(signOutUrl.searchParams.get('client_id'), appId);
    assert.equal(signOutUrl.searchParams.get('post_logout_redirect_uri'), postLogoutRedirectUri);
    const signOut = await browser.request(signOutUrl.toString());
    assert.equal(signOut.response.status, 303, `end session:\n${signOut.trail.join('\n')}`);
    assert.equal(signOut.location, postLogoutRedirectUri);

    // The SDK's revocation (client_id in the body, Basic auth) took effect.
    const refreshed = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from(`${appId}:${appSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: lastRefreshToken }).toString(),
    });
    const refreshedBody = await refreshed.json();
    assert.equal(refreshed.status, 400, `refresh after signOut: ${JSON.stringify(refreshedBody)}`);
    assert.equal(refreshedBody.error, 'invalid_grant');

    // The browser session is over: prompt=none comes back login_required.
    await sdk('signIn with prompt none', () => client.signIn({ redirectUri, prompt: 'none' }));
    const silent = await browser.request(navigations.at(-1).url);
    assert.ok(silent.location?.startsWith(redirectUri), `prompt=none:\n${silent.trail.join('\n')}`);
    assert.equal(new URL(silent.location).searchParams.get('error'), 'login_required');
    await assert.rejects(client.handleSignInCallback(silent.location), (error) => {
      assert.equal(error.code, 'callback_uri_verification.error_found');
      return true;
    });
  });
});

describe('machine-to-machine app', () => {
  test('@logto/api client credentials for the Management API', async () => {
    const { clientCredentials } = createManagementApi('default', {
      clientId: m2mId,
      clientSecret: m2mSecret,
      baseUrl: endpoint,
      apiIndicator: managementApi,
    });
    const token = await sdk('ClientCredentials.getAccessToken', () => clientCredentials.getAccessToken());
    assert.equal(token.scope, 'all');
    assert.ok(token.expiresAt > Date.now() / 1000);
    const claims = await verifyAccessToken(token.value, managementApi);
    assert.equal(claims.aud, managementApi);
    assert.equal(claims.scope, 'all');
    assert.equal(claims.sub, m2mId);
    assert.equal(claims.client_id, m2mId);
  });

  test('client_credentials with HTTP Basic authentication', async () => {
    const response = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from(`${encodeURIComponent(m2mId)}:${encodeURIComponent(m2mSecret)}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: managementApi, scope: 'all' }).toString(),
    });
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.scope, 'all');
    assert.equal(typeof body.expires_in, 'number');
    assert.equal(body.refresh_token, undefined);
    const { payload } = await jwtVerify(body.access_token, jwks, { issuer, audience: managementApi });
    assert.equal(payload.sub, m2mId);
    assert.equal(payload.scope, 'all');
  });
});

// A scripted browser for Gatehouse's server-rendered sign-in page, shared by
// the SDK tests: it keeps cookies, follows redirects by hand and stops where
// the app takes over.
import assert from 'node:assert/strict';

/** A browser's cookie jar for one origin, enough for the sign-in page. */
class CookieJar {
  cookies = new Map();

  store(response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [k, v = ''] = a.split('=');
        const key = k.trim().toLowerCase();
        return (key === 'max-age' && Number(v) <= 0) || (key === 'expires' && Date.parse(v) < Date.now());
      });
      if (expired || value === '') {
        this.cookies.delete(name);
      } else {
        this.cookies.set(name, value);
      }
    }
  }

  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/**
 * The user's browser: follows redirects by hand, keeping cookies, and
 * stops at the app's redirect URI or at a page.
 */
export class Browser {
  jar = new CookieJar();

  /** stopAt lists URL prefixes (the app's redirect URIs) where the browser hands over to the app. */
  constructor(stopAt) {
    this.stopAt = stopAt;
  }

  async request(url, init = {}) {
    const trail = [];
    let method = init.method ?? 'GET';
    let body = init.body;
    let headers = init.headers ?? {};
    for (let hops = 0; hops < 10; hops++) {
      const response = await fetch(url, {
        method,
        body,
        headers: { ...headers, ...(this.jar.cookies.size > 0 && { Cookie: this.jar.header() }) },
        redirect: 'manual',
      });
      this.jar.store(response);
      trail.push(`${method} ${url} -> ${response.status}`);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) {
        return { response, url, trail };
      }
      const next = new URL(location, url).toString();
      if (this.stopAt.some((prefix) => next.startsWith(prefix))) {
        await response.body?.cancel();
        return { response, url, location: next, trail };
      }
      await response.body?.cancel();
      url = next;
      method = 'GET';
      body = undefined;
      headers = {};
    }
    throw new Error(`too many redirects:\n${trail.join('\n')}`);
  }
}

const decodeEntities = (s) =>
  s.replaceAll('&amp;', '&').replaceAll('&#x2F;', '/').replaceAll('&#47;', '/').replaceAll('&quot;', '"').replaceAll('&#39;', "'");

const attribute = (tag, name) => {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return match ? decodeEntities(match[1]) : undefined;
};

/** Parses the server-rendered sign-in form: its action and CSRF token. */
export const parseSignInForm = (html, pageUrl) => {
  const form = /<form\b[^>]*\bid="sign-in-form"[^>]*>/.exec(html)?.[0];
  assert.ok(form, `no <form id="sign-in-form"> on ${pageUrl}:\n${html.slice(0, 800)}`);
  const action = attribute(form, 'action');
  assert.ok(action, `sign-in form has no action: ${form}`);
  const csrf = [...html.matchAll(/<input\b[^>]*>/g)]
    .map(([tag]) => tag)
    .find((tag) => attribute(tag, 'name') === 'csrf_token');
  assert.ok(csrf, `sign-in form has no csrf_token input on ${pageUrl}`);
  return { action: new URL(action, pageUrl).toString(), csrfToken: attribute(csrf, 'value') ?? '' };
};

/** The browser part of sign-in: the page, the form post, back to the app. */
export const signInWithBrowser = async (browser, signInUrl, { username, password, redirectUri }) => {
  const page = await browser.request(signInUrl);
  const html = await page.response.text();
  assert.equal(page.response.status, 200, `sign-in page:\n${page.trail.join('\n')}\n${html.slice(0, 500)}`);
  const { action, csrfToken } = parseSignInForm(html, page.url);
  const posted = await browser.request(action, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf_token: csrfToken, identifier: username, password }).toString(),
  });
  const text = posted.location ? '' : await posted.response.text();
  assert.ok(
    posted.location?.startsWith(redirectUri),
    `sign-in did not return to ${redirectUri}:\n${posted.trail.join('\n')}\n${text.slice(0, 500)}`
  );
  return posted.location;
};

/** An in-memory session storage, as a server app keeps per user. */
export const memoryStorage = () => {
  const items = new Map();
  return {
    items,
    getItem: async (key) => items.get(key) ?? null,
    setItem: async (key, value) => {
      items.set(key, value);
    },
    removeItem: async (key) => {
      items.delete(key);
    },
  };
};


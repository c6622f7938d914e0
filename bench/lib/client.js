'use strict';
// A tiny browser stand-in: the site's cookies (the session, and before a login the visitor's CSRF cookie), the CSRF
// token from the last page, and its own X-Forwarded-For address (the bench app runs with TRUST_PROXY=loopback, so
// each simulated client has its own rate-limit bucket).

const PASSWORD = 'Bench Mark!2026';
let nextIp = 1;

/** A fresh client address 10.0.x.y, different for every call. */
function newIp() {
  const n = nextIp++;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

class Client {
  constructor(baseUrl, ip = newIp()) {
    this.baseUrl = baseUrl;
    this.ip = ip;
    this.cookies = new Map();
    this.csrf = '';
  }

  headers(extra = {}) {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    return { 'X-Forwarded-For': this.ip, ...(cookie ? { Cookie: cookie } : {}), ...extra };
  }

  keepCookies(res) {
    for (const line of res.headers.getSetCookie()) {
      const [name, value] = line.split(';')[0].split('=');
      if (value) this.cookies.set(name, value);
      else this.cookies.delete(name);
    }
  }

  async get(path, extraHeaders) {
    const request = () => fetch(this.baseUrl + path, { headers: this.headers(extraHeaders), redirect: 'manual' });
    // A GET is safe to repeat: once, when a kept-alive connection was closed by the server as it was reused.
    const res = await request().catch((error) => {
      console.error(`  (GET ${path} failed: ${error.cause?.code ?? error.cause?.message ?? error.message}; retrying once)`);
      return request();
    });
    this.keepCookies(res);
    const body = await res.text();
    const token = /<meta name="csrf-token" content="([^"]+)"/.exec(body) || /name="_csrf" value="([^"]+)"/.exec(body);
    if (token) this.csrf = token[1];
    return { status: res.status, body, headers: res.headers };
  }

  async postForm(path, fields) {
    const res = await fetch(this.baseUrl + path, {
      method: 'POST',
      headers: this.headers({ 'Content-Type': 'application/x-www-form-urlencoded' }),
      body: new URLSearchParams({ _csrf: this.csrf, ...fields }).toString(),
      redirect: 'manual',
    });
    this.keepCookies(res);
    await res.arrayBuffer();
    return { status: res.status, location: res.headers.get('location') };
  }

  async register(username) {
    await this.get('/register');
    const res = await this.postForm('/register', { username, email: `${username}@bench.example`, password: PASSWORD });
    if (res.status !== 303) throw new Error(`register ${username}: HTTP ${res.status}`);
  }

  async login(identifier) {
    await this.get('/login');
    const res = await this.postForm('/login', { identifier, password: PASSWORD });
    if (res.status !== 303) throw new Error(`login ${identifier}: HTTP ${res.status}`);
    await this.get('/'); // the CSRF token of the new session
  }

  /** POST /upload-photos: `_csrf` first, then every file in `photos`. Answers 303 when accepted. */
  async upload(files) {
    const form = new FormData();
    form.append('_csrf', this.csrf);
    files.forEach((bytes, i) => form.append('photos', new Blob([bytes], { type: 'image/jpeg' }), `bench-${i}.jpg`));
    const res = await fetch(this.baseUrl + '/upload-photos', { method: 'POST', headers: this.headers(), body: form, redirect: 'manual' });
    await res.arrayBuffer();
    if (res.status !== 303) throw new Error(`upload: HTTP ${res.status}`);
  }
}

/** Registers and logs in a new user; returns its logged-in client. */
async function newUser(baseUrl, username) {
  const client = new Client(baseUrl);
  await client.register(username);
  await client.login(username);
  return client;
}

module.exports = { Client, newUser, newIp, PASSWORD };

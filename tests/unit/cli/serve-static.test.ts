/**
 * `voxseg serve`'s HTTP server (src/cli/serve-server.ts) without an upstream: the security headers
 * on every response, MIME types, the index fallback, refused traversal (plain, %-encoded,
 * backslash, through a symbolic link), and the `serve` command's start line and usage errors.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../../src/cli/serve-server';
import { BIN, voxseg } from './run';

const tmp = mkdtempSync(join(tmpdir(), 'voxseg-serve-'));
const root = join(tmp, 'dist');
let server: { url: string; close(): Promise<void> };

/** GET a raw path (not normalised as fetch would): status, headers and body. */
function rawGet(url: string, path: string, method = 'GET') {
  const u = new URL(url);
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((res, rej) => {
    const req = request({ host: u.hostname, port: u.port, path, method }, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (c) => (body += c));
      r.on('end', () => res({ status: r.statusCode ?? 0, headers: r.headers, body }));
    });
    req.on('error', rej);
    req.end();
  });
}

const SECURITY = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

beforeAll(async () => {
  mkdirSync(join(root, 'assets'), { recursive: true });
  mkdirSync(join(root, 'models', 'm'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>voxseg</title>');
  writeFileSync(join(root, 'assets', 'app.js'), 'export {};');
  writeFileSync(join(root, 'assets', 'w.mjs'), 'export {};');
  writeFileSync(join(root, 'assets', 'codec.wasm'), new Uint8Array([0, 97, 115, 109]));
  writeFileSync(join(root, 'assets', 'style.css'), 'body{}');
  writeFileSync(join(root, 'favicon.svg'), '<svg/>');
  writeFileSync(join(root, 'logo.png'), new Uint8Array([137, 80, 78, 71]));
  writeFileSync(join(root, 'models', 'index.json'), '{}');
  writeFileSync(join(root, 'models', 'm', 'model.onnx'), new Uint8Array([8, 1]));
  writeFileSync(join(tmp, 'secret.txt'), 'TOP-SECRET');
  symlinkSync(join(tmp, 'secret.txt'), join(root, 'link.txt'));
  server = await startServer({
    root,
    servers: [{ name: 'pacs', url: 'https://pacs.example.org:8443/dicom-web', auth: { kind: 'none' } }],
    port: 0,
  });
});
afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('voxseg serve: static files', () => {
  it('sends the isolation and security headers and a strict CSP on every response', async () => {
    for (const path of ['/', '/assets/app.js', '/missing.js', '/dicomweb/unknown/studies']) {
      const r = await fetch(server.url.replace(/\/$/, '') + path);
      for (const [k, v] of Object.entries(SECURITY)) expect(r.headers.get(k), `${k} on ${path}`).toBe(v);
      const csp = r.headers.get('content-security-policy') ?? '';
      const directives = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
      expect(directives['default-src']).toEqual(["'self'"]);
      expect(directives['script-src']).toEqual(["'self'", "'wasm-unsafe-eval'"]);
      expect(directives['script-src']).not.toContain("'unsafe-inline'");
      expect(directives['worker-src']).toEqual(["'self'", 'blob:']);
      expect(directives['connect-src']).toEqual(["'self'", 'https://pacs.example.org:8443']);
      expect(directives['object-src']).toEqual(["'none'"]);
      expect(directives['base-uri']).toEqual(["'none'"]);
      expect(directives['frame-ancestors']).toEqual(["'none'"]);
      await r.arrayBuffer();
    }
  });

  it('serves files with their MIME types and index.html for /', async () => {
    const want: Record<string, string> = {
      '/': 'text/html',
      '/index.html': 'text/html',
      '/assets/app.js': 'text/javascript',
      '/assets/w.mjs': 'text/javascript',
      '/assets/codec.wasm': 'application/wasm',
      '/assets/style.css': 'text/css',
      '/favicon.svg': 'image/svg+xml',
      '/logo.png': 'image/png',
      '/models/index.json': 'application/json',
      '/models/m/model.onnx': 'application/octet-stream',
    };
    for (const [path, type] of Object.entries(want)) {
      const r = await fetch(server.url.replace(/\/$/, '') + path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type')?.split(';')[0], path).toBe(type);
      await r.arrayBuffer();
    }
    expect(await (await fetch(server.url)).text()).toContain('<title>voxseg</title>');
    expect([...new Uint8Array(await (await fetch(server.url + 'assets/codec.wasm')).arrayBuffer())]).toEqual([
      0, 97, 115, 109,
    ]);
    expect((await fetch(server.url + 'nothing-here.js')).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST', body: 'x' })).status).toBe(405);
  });

  it('refuses paths outside the served folder', async () => {
    for (const path of [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/..%5csecret.txt',
      '/link.txt',
      '/%00index.html',
    ]) {
      const r = await rawGet(server.url, path);
      expect(r.status, path).toBeGreaterThanOrEqual(400);
      expect(r.body, path).not.toContain('TOP-SECRET');
      expect(r.headers['cross-origin-embedder-policy'], path).toBe('require-corp');
    }
  });
});

describe('voxseg serve: the command', () => {
  it('logs one start line with the URL and proxied servers but no secret, and serves', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'serve', root, '--port', '0', '--dicomweb', 'pacs=http://127.0.0.1:9/dicom-web', '--user', 'alice'],
      { env: { ...process.env, VOXSEG_DICOMWEB_PASSWORD: 'pw-never-shown' } },
    );
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    try {
      await expect.poll(() => out, { timeout: 20_000 }).toMatch(/http:\/\/127\.0\.0\.1:\d+\//);
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(out)![0];
      expect(out).toContain('/dicomweb/pacs -> pacs (http://127.0.0.1:9/dicom-web, user alice)');
      expect(out).not.toContain('pw-never-shown');
      expect(out.trim().split('\n')).toHaveLength(1);
      const r = await fetch(url);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-security-policy')).toContain("connect-src 'self' http://127.0.0.1:9;");
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise((res) => child.on('exit', (c) => res(c)));
    expect(code).toBe(0);
  });

  it('warns when it listens beyond this machine with credentials', async () => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        'serve',
        root,
        '--port',
        '0',
        '--host',
        '0.0.0.0',
        '--dicomweb',
        'pacs=http://127.0.0.1:9/x',
        '--user',
        'al',
      ],
      { env: { ...process.env, VOXSEG_DICOMWEB_PASSWORD: 'pw' } },
    );
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    try {
      await expect
        .poll(() => err, { timeout: 20_000 })
        .toContain('warning: listening on 0.0.0.0 with credentials for pacs');
    } finally {
      child.kill('SIGTERM');
    }
    await new Promise((res) => child.on('exit', res));
  });

  it('names a folder without a built app, and refuses bad options', () => {
    const r = voxseg(['serve', tmp, '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no index.html here');
    const noPassword = voxseg(['serve', root, '--dicomweb', 'p=http://h/dw', '--user', 'u']);
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain('VOXSEG_DICOMWEB_PASSWORD');
    const inUrl = voxseg(['serve', root, '--dicomweb', 'p=http://u:secret@h/dw']);
    expect(inUrl.code).toBe(2);
    expect(inUrl.stderr).toContain('not in the URL');
    expect(inUrl.stderr).not.toContain('secret');
    expect(voxseg(['serve', root, '--dicomweb', 'bad name=http://h']).code).toBe(2);
  });
});

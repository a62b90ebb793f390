/**
 * The HTTP server behind `voxseg serve` (also started by the e2e tests and the bench): serves
 * the built app folder and proxies `/dicomweb/NAME/…` to configured DICOMweb servers
 * (./serve-proxy.ts). Node's own `http`, no dependency.
 *
 * Every response (files, proxied answers, errors) carries:
 * - cross-origin isolation (COOP same-origin, COEP require-corp, CORP same-origin), which the app
 *   needs for SharedArrayBuffer and threaded WebAssembly;
 * - a strict Content-Security-Policy: scripts only from this origin (plus 'wasm-unsafe-eval' to
 *   compile the WebAssembly codecs and onnxruntime), workers from this origin or blob:, network
 *   requests only to this origin and the configured servers' origins, no plugins, no framing.
 *   `style-src` allows 'unsafe-inline' because Svelte sets style attributes (positions, colours)
 *   at run time; no inline script is allowed. A defence in depth for an app that displays
 *   strings taken from DICOM files;
 * - nosniff and no referrer.
 *
 * Static files: GET/HEAD only; `/` and folders give their index.html; a path that decodes to
 * `..` segments, a NUL, or that resolves (symbolic links followed) outside the root is refused.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { proxyRequest, type ProxiedServer } from './serve-proxy';

export type { ProxiedServer } from './serve-proxy';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

export function mimeType(path: string): string {
  return MIME[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** The Content-Security-Policy for an app whose network requests go to itself and `servers`. */
export function contentSecurityPolicy(servers: readonly ProxiedServer[]): string {
  const origins = [...new Set(servers.map((s) => new URL(s.url).origin))];
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    `connect-src ${["'self'", ...origins].join(' ')}`,
    "img-src 'self' data: blob:",
    "style-src 'self' 'unsafe-inline'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(servers: readonly ProxiedServer[]): OutgoingHttpHeaders {
  return {
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp',
    'cross-origin-resource-policy': 'same-origin',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy': contentSecurityPolicy(servers),
  };
}

function plain(res: ServerResponse, status: number, text: string, headers: OutgoingHttpHeaders): void {
  res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
  res.end(text + '\n');
}

async function serveFile(req: IncomingMessage, res: ServerResponse, root: string, headers: OutgoingHttpHeaders) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    plain(res, 405, 'method not allowed', { ...headers, allow: 'GET, HEAD' });
    return;
  }
  let path: string;
  try {
    path = decodeURIComponent((req.url ?? '/').split(/[?#]/)[0]);
  } catch {
    plain(res, 400, 'malformed path', headers);
    return;
  }
  if (!path.startsWith('/') || path.includes('\0') || path.split(/[/\\]/).some((s) => s === '..')) {
    plain(res, 403, 'forbidden path', headers);
    return;
  }
  let file = join(root, path);
  try {
    if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
    const real = await realpath(file);
    if (real !== root && !real.startsWith(root + sep)) {
      plain(res, 403, 'forbidden path', headers);
      return;
    }
    const st = await stat(real);
    if (!st.isFile()) throw new Error('not a file');
    res.writeHead(200, {
      ...headers,
      'content-type': mimeType(real),
      'content-length': st.size,
      // hashed build assets never change; everything else is checked again
      'cache-control': path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(real);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  } catch {
    plain(res, 404, 'not found', headers);
  }
}

/**
 * Serve `root` (a built app folder: dist, or an e2e build) on `host:port` (defaults 127.0.0.1 and
 * a free port) and proxy `/dicomweb/NAME/…` to each server. `url` is where the app opens.
 */
export async function startServer(opts: {
  root: string;
  servers: ProxiedServer[];
  port?: number;
  host?: string;
}): Promise<{ url: string; close(): Promise<void> }> {
  const root = await realpath(resolve(opts.root));
  const servers = opts.servers.map((s) => ({ ...s, url: s.url.replace(/\/+$/, '') }));
  const headers = securityHeaders(servers);
  const host = opts.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    if (proxyRequest(req, res, servers, headers)) return;
    serveFile(req, res, root, headers).catch(() => res.destroy());
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', rej);
      res();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    close: () =>
      new Promise<void>((res) => {
        server.close(() => res());
        server.closeAllConnections();
      }),
  };
}

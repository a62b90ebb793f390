/**
 * The DICOMweb reverse proxy of `voxseg serve`: `/dicomweb/NAME/rest?query` → `${server.url}/rest?query`,
 * streaming both ways (request and response bodies are piped, never buffered), so a browser app
 * served by voxseg reaches a PACS inside the network without the PACS sending CORS headers.
 *
 * Decisions:
 * - Node's own http/https: proxying one prefix to one upstream is a request + two pipes; a
 *   library would add a dependency to audit for no gain.
 * - Credentials configured for the server replace the browser's Authorization header; with
 *   auth 'none' the browser's header passes through. The browser never sees configured
 *   credentials, and WWW-Authenticate is dropped from answers so the browser shows no login
 *   dialog of its own (the app says what went wrong).
 * - Only GET, HEAD and POST (QIDO/WADO/STOW); a path with `..` segments (plain or %-encoded) is
 *   refused, so the proxy cannot be used to reach the rest of the upstream server (Orthanc's REST
 *   API beside its /dicom-web, say) with the configured credentials.
 * - Hop-by-hop headers (and those the Connection header names) are dropped both ways; cookies,
 *   Origin and Referer are not forwarded, Set-Cookie is not returned. Redirects to the upstream
 *   base are rewritten to the proxy prefix.
 * - An upstream that cannot be reached → 502 with a plain-text body naming the server.
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { DicomwebAuth } from '../io/dicomweb/types';

export interface ProxiedServer {
  name: string;
  /** Upstream DICOMweb base URL (http or https), no trailing slash. */
  url: string;
  /** Added server-side; 'none' passes the browser's own Authorization header through. */
  auth: DicomwebAuth;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
const NOT_FORWARDED = new Set(['host', 'cookie', 'origin', 'referer']);
const NOT_RETURNED = new Set(['set-cookie', 'www-authenticate']);

export function authorizationHeader(auth: DicomwebAuth): string | undefined {
  if (auth.kind === 'basic') return `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
  if (auth.kind === 'bearer') return `Bearer ${auth.token}`;
  return undefined;
}

/** Headers minus hop-by-hop ones (and those `Connection` names) and the names in `drop`. */
function filterHeaders(headers: IncomingMessage['headers'], drop: Set<string>): OutgoingHttpHeaders {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || drop.has(k) || named.includes(k)) continue;
    out[k] = v;
  }
  return out;
}

function plain(res: ServerResponse, status: number, text: string, extra: OutgoingHttpHeaders = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...extra });
  res.end(text + '\n');
}

/**
 * Handle `/dicomweb/…` requests; `security` are the headers every response carries. Returns
 * false when the path is not under /dicomweb/ (the caller serves it as a file).
 */
export function proxyRequest(
  req: IncomingMessage,
  res: ServerResponse,
  servers: readonly ProxiedServer[],
  security: OutgoingHttpHeaders,
): boolean {
  const raw = req.url ?? '/';
  const m = /^\/dicomweb\/([^/?#]+)([^?#]*)(\?[^#]*)?$/.exec(raw);
  if (!m) return false;
  const [, name, rest, query = ''] = m;
  const server = servers.find((s) => s.name === decodeURIComponent(name));
  if (!server) {
    const known = servers.map((s) => s.name).join(', ') || 'none';
    plain(res, 404, `no DICOMweb server named '${name}' is configured (configured: ${known})`, security);
    return true;
  }
  if (!['GET', 'HEAD', 'POST'].includes(req.method ?? '')) {
    plain(res, 405, `${req.method} is not proxied to '${server.name}' (GET, HEAD and POST only)`, {
      ...security,
      allow: 'GET, HEAD, POST',
    });
    return true;
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    plain(res, 400, 'malformed path', security);
    return true;
  }
  if (decoded.split(/[/\\]/).some((seg) => seg === '..' || seg === '.')) {
    plain(res, 400, `path segments '.' and '..' are not proxied to '${server.name}'`, security);
    return true;
  }

  const base = new URL(server.url);
  const basePath = base.pathname.replace(/\/+$/, '');
  const headers = filterHeaders(req.headers, NOT_FORWARDED);
  headers.host = base.host;
  const auth = authorizationHeader(server.auth);
  if (auth) headers.authorization = auth;
  const send = base.protocol === 'https:' ? httpsRequest : httpRequest;
  const upstream = send({
    protocol: base.protocol,
    hostname: base.hostname.replace(/^\[|\]$/g, ''),
    port: base.port || undefined,
    method: req.method,
    path: basePath + rest + query,
    headers,
  });
  upstream.on('response', (up) => {
    const out = filterHeaders(up.headers, NOT_RETURNED);
    const loc = typeof out.location === 'string' ? out.location : undefined;
    if (loc?.startsWith(base.origin + basePath))
      out.location = `/dicomweb/${name}${loc.slice((base.origin + basePath).length)}`;
    res.writeHead(up.statusCode ?? 502, up.statusMessage, { ...out, ...security });
    up.pipe(res);
    up.on('error', () => res.destroy());
  });
  upstream.on('error', (e) => {
    const cause = (e as NodeJS.ErrnoException).code ?? e.message;
    plain(
      res,
      502,
      `DICOMweb server '${server.name}' (${base.origin}${basePath}) is not reachable (${cause})`,
      security,
    );
  });
  // the browser went away: stop the upstream transfer too
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
  return true;
}

/**
 * HTTP for the DICOMweb client: one `fetch` per request with the server's credentials, and every
 * failure turned into a VoxsegError('server', "<server>: <cause>") a user can act on (wrong
 * password, access denied, not found, too large, server error, not reachable). Messages never
 * carry the password or token. An abort (the caller's AbortSignal) passes through unchanged.
 */
import { VoxsegError, errorMessage } from '../../core/errors';
import type { DicomwebAuth, DicomwebServer } from './types';

export type FetchFn = typeof fetch;

/** The Authorization header for the server's credentials (none for 'none'). */
export function authHeader(auth: DicomwebAuth): string | undefined {
  if (auth.kind === 'bearer') return `Bearer ${auth.token}`;
  if (auth.kind === 'basic') return `Basic ${base64Utf8(`${auth.user}:${auth.password}`)}`;
  return undefined;
}

function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Replace the server's secrets in a text that will be shown (a server could echo a header). */
export function scrub(text: string, auth: DicomwebAuth): string {
  const secrets: string[] = [];
  if (auth.kind === 'basic' && auth.password) secrets.push(auth.password, base64Utf8(`${auth.user}:${auth.password}`));
  if (auth.kind === 'bearer' && auth.token) secrets.push(auth.token);
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  return out;
}

/** Errors worth a retry: the server went away, a body was cut, a 5xx. */
const transient = new WeakMap<object, string>();

/** The short cause of a transient error ("ECONNREFUSED", "HTTP 503"), or undefined for others. */
export function transientCause(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? transient.get(err) : undefined;
}

/** VoxsegError('server') whose message is "<server name>: <reason>" (`reason` alone in .reason). */
export function serverError(
  server: DicomwebServer,
  reason: string,
  opts: { cause?: unknown; transient?: string } = {},
): VoxsegError {
  const err = new VoxsegError('server', reason, { file: server.name, cause: opts.cause });
  if (opts.transient !== undefined) transient.set(err, opts.transient);
  return err;
}

/** True when `err` comes from the caller's signal aborting (it is then re-thrown as is). */
export function isAbort(err: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  return err instanceof Error && err.name === 'AbortError';
}

const CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed by the server',
  UND_ERR_SOCKET: 'connection closed by the server',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  ETIMEDOUT: 'timed out',
  UND_ERR_CONNECT_TIMEOUT: 'timed out',
  UND_ERR_HEADERS_TIMEOUT: 'timed out',
  UND_ERR_BODY_TIMEOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
};

/**
 * The cause of a network failure in words. Node's fetch says "fetch failed" and hides the code in
 * `cause`; browsers say only "Failed to fetch" / "NetworkError …", for a server that is down and
 * for a request CORS blocked alike.
 */
export function networkCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (err as { code?: string })?.code;
  if (code) return CAUSES[code] ?? code;
  const msg = cause?.message ?? errorMessage(err);
  if (msg === 'terminated') return 'connection closed by the server';
  if (/failed to fetch|networkerror|load failed/i.test(msg))
    return 'network error: the server is down, or it does not allow this origin (CORS)';
  return msg;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: BodyInit;
  signal?: AbortSignal;
  /** What was sent, for a 413 message ("12.3 MB in 40 instances"). */
  sent?: string;
  /** Statuses the caller handles itself (returned instead of thrown), e.g. 406 for a fallback. */
  accept?: number[];
}

/** GET/POST `${server.url}${path}`; a non-2xx answer (not in `accept`) becomes a VoxsegError. */
export async function request(
  server: DicomwebServer,
  fetchFn: FetchFn,
  path: string,
  opts: RequestOptions = {},
): Promise<Response> {
  const url = `${server.url}${path}`;
  const headers: Record<string, string> = { ...opts.headers };
  const auth = authHeader(server.auth);
  if (auth) headers['Authorization'] = auth;
  let res: Response;
  try {
    res = await fetchFn(url, { method: opts.method ?? 'GET', headers, body: opts.body, signal: opts.signal });
  } catch (err) {
    if (isAbort(err, opts.signal)) throw err;
    const cause = networkCause(err);
    throw serverError(server, `server not reachable at ${server.url} (${cause})`, { cause: err, transient: cause });
  }
  if (res.ok || opts.accept?.includes(res.status)) return res;
  throw await statusError(server, res, path, opts.sent);
}

/** The message for a failed HTTP status (the body is read for 5xx and 4xx detail). */
export async function statusError(
  server: DicomwebServer,
  res: Response,
  path: string,
  sent?: string,
): Promise<VoxsegError> {
  const s = res.status;
  // what the server wrote back, with any echo of the credentials masked (our own words hold none)
  const detail = scrub(await shortBody(res), server.auth);
  let reason: string;
  if (s === 401) reason = `wrong user name or password (HTTP 401)`;
  else if (s === 403) reason = `access denied (HTTP 403)`;
  else if (s === 404) reason = `not found on the server (${path.split('?')[0]})`;
  else if (s === 406)
    reason = `the server cannot send this series in a transfer syntax voxseg decodes (HTTP 406)${detail ? `: ${detail}` : ''}`;
  else if (s === 413)
    reason =
      `request too large (HTTP 413): the server limits uploads to less than what was sent` +
      `${sent ? ` (${sent})` : ''}; send fewer instances at once or raise the server's upload limit`;
  else if (s >= 500) reason = `server error (HTTP ${s})${detail ? `: ${detail}` : ''}`;
  else reason = `the server refused the request (HTTP ${s})${detail ? `: ${detail}` : ''}`;
  return serverError(server, reason, s >= 500 ? { transient: reason } : {});
}

/** The first ~200 characters of an error body, on one line (empty when there is none or it is HTML noise). */
async function shortBody(res: Response): Promise<string> {
  let text = '';
  try {
    text = await res.text();
  } catch {
    return '';
  }
  text = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** "12.3 MB" */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

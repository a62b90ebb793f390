/**
 * What the DICOMweb commands (`serve`, `pull`, `push`, `segment dicomweb:…`) share: the server and
 * credential options and the parsing of server references.
 *
 * - `--dicomweb NAME=URL` (repeatable) names servers; `--user U --password P` or `--token T`
 *   apply to every server of the command (the named ones and a full URL given as input).
 *   The password and token may come from VOXSEG_DICOMWEB_PASSWORD / VOXSEG_DICOMWEB_TOKEN, so
 *   they need not appear on a command line (visible to other users in the process list).
 * - A series or study is `dicomweb:NAME/studies/S[/series/R]` or a full URL
 *   `http(s)://host/base/studies/S[/series/R]`, whose base is everything before `/studies/`.
 * - URLs with credentials in them (`https://u:p@host`) are refused: they would be printed.
 */
import { DicomwebClient } from '../io/dicomweb/index';
import type { DicomwebAuth, DicomwebServer } from '../io/dicomweb/types';
import { authorizationHeader } from './serve-proxy';
import { usage } from './util';

/** parseArgs options of the server/credential flags (spread into a command's own options). */
export const dicomwebOptions = {
  dicomweb: { type: 'string', multiple: true },
  user: { type: 'string', short: 'u' },
  password: { type: 'string' },
  token: { type: 'string' },
} as const;

export const dicomwebHelp = `      --dicomweb NAME=URL
                        a DICOMweb server (base URL, e.g. https://pacs/dicom-web) to refer to
                        as dicomweb:NAME; repeatable
  -u, --user USER       HTTP basic authentication for the servers (password from --password
      --password P      or the environment variable VOXSEG_DICOMWEB_PASSWORD)
      --token T         bearer token instead (or VOXSEG_DICOMWEB_TOKEN)`;

export interface DicomwebValues {
  dicomweb?: string[];
  user?: string;
  password?: string;
  token?: string;
}

export type Env = Record<string, string | undefined>;

/** The authentication the flags and environment give (usage errors for conflicting ones). */
export function authFrom(v: DicomwebValues, env: Env = process.env): DicomwebAuth {
  const envPassword = env.VOXSEG_DICOMWEB_PASSWORD || undefined;
  const envToken = env.VOXSEG_DICOMWEB_TOKEN || undefined;
  if (v.user !== undefined && v.token !== undefined) throw usage('give either --user/--password or --token, not both');
  if (v.password !== undefined && v.user === undefined) throw usage('--password needs --user');
  if (v.user !== undefined) {
    const password = v.password ?? envPassword;
    if (password === undefined)
      throw usage(`--user ${v.user} needs a password: --password P or VOXSEG_DICOMWEB_PASSWORD`);
    if (v.user.includes(':')) throw usage('a user name for HTTP basic authentication cannot contain ":"');
    return { kind: 'basic', user: v.user, password };
  }
  const token = v.token ?? envToken;
  if (token !== undefined) return { kind: 'bearer', token };
  return { kind: 'none' };
}

/** An absolute http(s) base URL without trailing slash (usage error naming `what` otherwise). */
export function checkBaseUrl(text: string, what: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw usage(`${what}: ${JSON.stringify(text)} is not a URL (expected http://host/path or https://…)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw usage(`${what}: ${JSON.stringify(text)} must be an http:// or https:// URL`);
  if (u.username || u.password) throw usage(`${what}: put credentials in --user/--password or --token, not in the URL`);
  if (u.search || u.hash) throw usage(`${what}: ${JSON.stringify(text)}: a base URL takes no query or fragment`);
  return (u.origin + u.pathname).replace(/\/+$/, '');
}

/** `--dicomweb NAME=URL` values → servers with `auth` (usage errors name the bad value). */
export function serversFrom(v: DicomwebValues, env: Env = process.env): DicomwebServer[] {
  const auth = authFrom(v, env);
  const servers: DicomwebServer[] = [];
  for (const item of v.dicomweb ?? []) {
    const eq = item.indexOf('=');
    const name = eq > 0 ? item.slice(0, eq) : '';
    if (!/^[A-Za-z0-9._-]+$/.test(name))
      throw usage(`--dicomweb ${JSON.stringify(item)}: expected NAME=URL, NAME of letters, digits, '.', '_', '-'`);
    if (servers.some((s) => s.name === name)) throw usage(`--dicomweb: server ${name} is given twice`);
    servers.push({ name, url: checkBaseUrl(item.slice(eq + 1), `--dicomweb ${name}`), auth });
  }
  return servers;
}

export interface DicomwebRef {
  server: DicomwebServer;
  study: string;
  series?: string;
}

const UID = /^[0-9.]{1,64}$/;

/** True for `dicomweb:…` and http(s) URLs (inputs that are not local paths). */
export function isDicomwebRef(text: string): boolean {
  return /^dicomweb:/i.test(text) || /^https?:\/\//i.test(text);
}

function studiesPath(path: string, text: string): { study: string; series?: string } {
  const m = /^\/?studies\/([^/]+)(?:\/series\/([^/]+))?\/?$/.exec(path);
  if (!m) throw usage(`${JSON.stringify(text)}: expected …/studies/STUDY_UID or …/studies/STUDY_UID/series/SERIES_UID`);
  const [, study, series] = m.map((s) => (s === undefined ? s : decodeURIComponent(s)));
  for (const uid of [study, series])
    if (uid !== undefined && !UID.test(uid))
      throw usage(`${JSON.stringify(text)}: ${JSON.stringify(uid)} is not a UID`);
  return { study, ...(series !== undefined && { series }) };
}

/** A server name as `dicomweb:NAME` or a base URL (for `push --to`). */
export function parseServer(text: string, v: DicomwebValues, env: Env = process.env): DicomwebServer {
  const servers = serversFrom(v, env);
  const m = /^dicomweb:([^/]+)\/?$/i.exec(text);
  if (m) return namedServer(m[1], servers);
  const url = checkBaseUrl(text, 'server').replace(/\/studies$/, '');
  return { name: new URL(url).host, url, auth: authFrom(v, env) };
}

function namedServer(name: string, servers: DicomwebServer[]): DicomwebServer {
  const s = servers.find((x) => x.name === name);
  if (!s)
    throw usage(
      `dicomweb:${name}: no server named ${name}; add --dicomweb ${name}=URL${servers.length ? ` (given: ${servers.map((x) => x.name).join(', ')})` : ''}`,
    );
  return s;
}

/** `dicomweb:NAME/studies/S[/series/R]` or `http(s)://host/base/studies/S[/series/R]`. */
export function parseRef(text: string, v: DicomwebValues, env: Env = process.env): DicomwebRef {
  const servers = serversFrom(v, env);
  const named = /^dicomweb:([^/]+)(\/.*)?$/i.exec(text);
  if (named) return { server: namedServer(named[1], servers), ...studiesPath(named[2] ?? '', text) };
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw usage(`${JSON.stringify(text)} is neither dicomweb:NAME/studies/… nor a URL`);
  }
  const at = u.pathname.lastIndexOf('/studies/');
  if (at < 0)
    throw usage(
      `${JSON.stringify(text)}: a DICOMweb URL must name a study: BASE/studies/STUDY_UID[/series/SERIES_UID]`,
    );
  const url = checkBaseUrl(u.origin + u.pathname.slice(0, at), 'URL');
  return { server: { name: u.host, url, auth: authFrom(v, env) }, ...studiesPath(u.pathname.slice(at), text) };
}

/** A client for the server; every failure is a VoxsegError('server') naming it. */
export function clientFor(server: DicomwebServer): DicomwebClient {
  return new DicomwebClient(server);
}

/** "name (url)" for messages: never the credentials. */
export function describeServer(s: DicomwebServer): string {
  const auth = s.auth.kind === 'basic' ? `, user ${s.auth.user}` : s.auth.kind === 'bearer' ? ', bearer token' : '';
  return `${s.name} (${s.url}${auth})`;
}

/**
 * SOP Instance UIDs of a series the server holds (QIDO-RS), to tell instances a push finds
 * already stored (a STOW-RS answer does not say so); empty when the server does not answer.
 */
export async function storedInstanceUids(server: DicomwebServer, study: string, series: string): Promise<Set<string>> {
  const auth = authorizationHeader(server.auth);
  const url = `${server.url}/studies/${encodeURIComponent(study)}/series/${encodeURIComponent(series)}/instances?includefield=00080018`;
  try {
    const r = await fetch(url, { headers: { accept: 'application/dicom+json', ...(auth && { authorization: auth }) } });
    if (!r.ok) return new Set();
    const arr = (r.status === 204 ? [] : await r.json()) as { '00080018'?: { Value?: unknown[] } }[];
    return new Set(arr.map((d) => String(d['00080018']?.Value?.[0] ?? '')).filter(Boolean));
  } catch {
    return new Set();
  }
}

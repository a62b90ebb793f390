/**
 * The DICOMweb servers the user added, kept in the browser (pure; the storages are passed in so
 * the rules can be tested without a browser).
 *
 * Decisions:
 * - The list (name, base URL, kind of authentication, user name, whether to remember) lives in
 *   `localStorage` and never holds a secret. Passwords and tokens live apart, keyed by server id:
 *   in `sessionStorage` (gone when the tab closes) unless the user ticked "Remember on this
 *   computer", then in `localStorage`, unencrypted (the form says so). Switching the tick moves
 *   the secret and deletes it from the other storage.
 * - Base URLs are absolute http(s) URLs or same-origin paths (`/dicomweb/NAME`, what
 *   `voxseg serve --dicomweb NAME=URL` proxies), kept without a trailing slash.
 * - `?dicomweb=NAME=/dicomweb/NAME` in the page address adds a server (repeatable); only
 *   same-origin paths are accepted there, so a link cannot point the app at another host.
 */
import type { DicomwebServer } from '../../io/dicomweb/types';

export type AuthKind = 'none' | 'basic' | 'bearer';

/** A server as listed (no secret). */
export interface ServerEntry {
  id: string;
  name: string;
  url: string;
  auth: AuthKind;
  /** HTTP basic user name ('' otherwise). */
  user: string;
  /** The secret is kept in localStorage (else sessionStorage). */
  remember: boolean;
}

/** The password (basic) or token (bearer) of a server. */
export interface Secret {
  password?: string;
  token?: string;
}

/** What the storages need to offer (the Web Storage API). */
export type KeyValueStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export const SERVERS_KEY = 'voxseg.pacs.servers';
export const SECRETS_KEY = 'voxseg.pacs.secrets';

/** A base URL as kept: trimmed, no trailing slash. Throws a plain message when it is not usable. */
export function normalizeUrl(raw: string): string {
  const url = raw.trim().replace(/\/+$/, '');
  if (!url) throw new Error('enter the base URL of the DICOMweb service');
  if (url.startsWith('/')) {
    if (url.startsWith('//')) throw new Error('a same-origin path starts with a single /');
    return url;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`"${url}" is not a URL (e.g. https://pacs.example.org/dicom-web or /dicomweb/NAME)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new Error(`only http:// and https:// servers are supported, not ${parsed.protocol}`);
  if (parsed.username || parsed.password)
    throw new Error('put the user name and password in the fields below, not in the URL');
  return url;
}

/** Why `entry` cannot be saved among `others` (null when it can). */
export function entryProblem(entry: Omit<ServerEntry, 'id'>, secret: Secret, others: ServerEntry[]): string | null {
  const name = entry.name.trim();
  if (!name) return 'give the server a name';
  if (others.some((o) => o.name.trim().toLowerCase() === name.toLowerCase())) return `a server named "${name}" exists`;
  try {
    normalizeUrl(entry.url);
  } catch (err) {
    return (err as Error).message;
  }
  if (entry.auth === 'basic' && !entry.user.trim()) return 'enter the user name';
  if (entry.auth === 'basic' && !secret.password) return 'enter the password';
  if (entry.auth === 'bearer' && !secret.token?.trim()) return 'enter the token';
  return null;
}

function readJson<T>(store: KeyValueStore | null, key: string, fallback: T): T {
  try {
    const raw = store?.getItem(key);
    return raw ? (JSON.parse(raw) as T) : fallback;
  } catch {
    return fallback;
  }
}

function isEntry(x: unknown): x is ServerEntry {
  const e = x as ServerEntry;
  return (
    !!e &&
    typeof e.id === 'string' &&
    typeof e.name === 'string' &&
    typeof e.url === 'string' &&
    (e.auth === 'none' || e.auth === 'basic' || e.auth === 'bearer')
  );
}

export class ServerStore {
  /** `local`: localStorage; `session`: sessionStorage (either may be null where the browser refuses it). */
  constructor(
    private readonly local: KeyValueStore | null,
    private readonly session: KeyValueStore | null,
  ) {}

  list(): ServerEntry[] {
    const raw = readJson<unknown[]>(this.local, SERVERS_KEY, []);
    return (Array.isArray(raw) ? raw : [])
      .filter(isEntry)
      .map((e) => ({ ...e, user: typeof e.user === 'string' ? e.user : '', remember: e.remember === true }));
  }

  /** Add (no `id`) or replace a server; returns the saved entry. Throws with the problem when invalid. */
  save(input: Omit<ServerEntry, 'id'> & { id?: string }, secret: Secret): ServerEntry {
    const all = this.list();
    const others = all.filter((e) => e.id !== input.id);
    const problem = entryProblem(input, secret, others);
    if (problem) throw new Error(problem);
    const entry: ServerEntry = {
      id: input.id ?? newId(all),
      name: input.name.trim(),
      url: normalizeUrl(input.url),
      auth: input.auth,
      user: input.auth === 'basic' ? input.user.trim() : '',
      remember: input.auth !== 'none' && input.remember,
    };
    const at = all.findIndex((e) => e.id === entry.id);
    const next = at >= 0 ? all.map((e, i) => (i === at ? entry : e)) : [...all, entry];
    this.local?.setItem(SERVERS_KEY, JSON.stringify(next));
    this.setSecret(
      entry,
      entry.auth === 'basic'
        ? { password: secret.password }
        : entry.auth === 'bearer'
          ? { token: secret.token?.trim() }
          : {},
    );
    return entry;
  }

  remove(id: string): void {
    this.local?.setItem(SERVERS_KEY, JSON.stringify(this.list().filter((e) => e.id !== id)));
    this.dropSecret(id);
  }

  secret(id: string): Secret {
    return this.secrets(this.session)[id] ?? this.secrets(this.local)[id] ?? {};
  }

  /** The server as the DICOMweb client takes it (with its secret), or null when it is not listed. */
  server(id: string): DicomwebServer | null {
    const e = this.list().find((x) => x.id === id);
    if (!e) return null;
    const s = this.secret(id);
    if (e.auth === 'basic')
      return { name: e.name, url: e.url, auth: { kind: 'basic', user: e.user, password: s.password ?? '' } };
    if (e.auth === 'bearer') return { name: e.name, url: e.url, auth: { kind: 'bearer', token: s.token ?? '' } };
    return { name: e.name, url: e.url, auth: { kind: 'none' } };
  }

  /** Add the servers named in the page address (`?dicomweb=NAME=/path`) that are not listed yet; returns them. */
  addFromQuery(search: string): ServerEntry[] {
    const added: ServerEntry[] = [];
    for (const { name, url } of serversFromQuery(search)) {
      const all = this.list();
      if (all.some((e) => e.name.toLowerCase() === name.toLowerCase() || e.url === url)) continue;
      added.push(this.save({ name, url, auth: 'none', user: '', remember: false }, {}));
    }
    return added;
  }

  private secrets(store: KeyValueStore | null): Record<string, Secret> {
    const s = readJson<Record<string, Secret>>(store, SECRETS_KEY, {});
    return s && typeof s === 'object' && !Array.isArray(s) ? s : {};
  }

  private setSecret(entry: ServerEntry, secret: Secret): void {
    this.dropSecret(entry.id);
    if (!secret.password && !secret.token) return;
    const store = entry.remember ? this.local : this.session;
    store?.setItem(SECRETS_KEY, JSON.stringify({ ...this.secrets(store), [entry.id]: secret }));
  }

  private dropSecret(id: string): void {
    for (const store of [this.local, this.session]) {
      const all = this.secrets(store);
      if (!(id in all)) continue;
      delete all[id];
      store?.setItem(SECRETS_KEY, JSON.stringify(all));
    }
  }
}

function newId(all: ServerEntry[]): string {
  let n = all.length + 1;
  while (all.some((e) => e.id === `s${n}`)) n++;
  return `s${n}`;
}

/** `?dicomweb=NAME=/path` (repeatable): the servers a link asks for; only same-origin paths. */
export function serversFromQuery(search: string): { name: string; url: string }[] {
  const out: { name: string; url: string }[] = [];
  for (const value of new URLSearchParams(search).getAll('dicomweb')) {
    const eq = value.indexOf('=');
    if (eq <= 0) continue;
    const name = value.slice(0, eq).trim();
    const raw = value.slice(eq + 1).trim();
    if (!name || !raw.startsWith('/') || raw.startsWith('//')) continue;
    out.push({ name, url: normalizeUrl(raw) });
  }
  return out;
}

/**
 * The PACS server list's storage rules: no secret in the list, secrets in sessionStorage unless
 * remembered (then localStorage), moved when the choice changes, removed with the server; URL
 * checks; servers added from the page address (same-origin paths only).
 */
import { describe, expect, it } from 'vitest';
import {
  normalizeUrl,
  SECRETS_KEY,
  SERVERS_KEY,
  ServerStore,
  serversFromQuery,
  type KeyValueStore,
} from '../../../src/app/pacs/servers';

class MemoryStore implements KeyValueStore {
  readonly data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
  removeItem(k: string) {
    this.data.delete(k);
  }
  /** Everything stored, as one string (to look for a secret anywhere in it). */
  dump() {
    return [...this.data.values()].join('\n');
  }
}

function stores() {
  const local = new MemoryStore();
  const session = new MemoryStore();
  return { local, session, store: new ServerStore(local, session) };
}

describe('PACS server storage', () => {
  it('keeps the list in localStorage without the password, the password in sessionStorage', () => {
    const { local, session, store } = stores();
    const e = store.save(
      { name: ' Orthanc ', url: 'http://pacs.local:8042/dicom-web/', auth: 'basic', user: 'alice', remember: false },
      { password: 's3cret-pw' },
    );
    expect(e).toMatchObject({ name: 'Orthanc', url: 'http://pacs.local:8042/dicom-web', user: 'alice' });
    expect(JSON.parse(local.getItem(SERVERS_KEY)!)).toHaveLength(1);
    expect(local.dump()).not.toContain('s3cret-pw');
    expect(JSON.parse(session.getItem(SECRETS_KEY)!)[e.id]).toEqual({ password: 's3cret-pw' });
    expect(store.server(e.id)).toEqual({
      name: 'Orthanc',
      url: 'http://pacs.local:8042/dicom-web',
      auth: { kind: 'basic', user: 'alice', password: 's3cret-pw' },
    });
    // A new tab (a fresh sessionStorage) has the server but not the password.
    expect(new ServerStore(local, new MemoryStore()).server(e.id)?.auth).toEqual({
      kind: 'basic',
      user: 'alice',
      password: '',
    });
  });

  it('"Remember" moves the secret to localStorage, and back', () => {
    const { local, session, store } = stores();
    const e = store.save(
      { name: 'VNA', url: '/dicomweb/vna', auth: 'bearer', user: 'x', remember: true },
      { token: ' tok-123 ' },
    );
    expect(e.user).toBe('');
    expect(session.dump()).not.toContain('tok-123');
    expect(JSON.parse(local.getItem(SECRETS_KEY)!)[e.id]).toEqual({ token: 'tok-123' });
    expect(new ServerStore(local, new MemoryStore()).server(e.id)?.auth).toEqual({ kind: 'bearer', token: 'tok-123' });
    store.save({ ...e, remember: false }, { token: 'tok-123' });
    expect(local.dump()).not.toContain('tok-123');
    expect(session.dump()).toContain('tok-123');
  });

  it('removing a server removes its secret from both storages', () => {
    const { local, session, store } = stores();
    const a = store.save({ name: 'A', url: '/a', auth: 'basic', user: 'u', remember: true }, { password: 'pa' });
    const b = store.save({ name: 'B', url: '/b', auth: 'basic', user: 'u', remember: false }, { password: 'pb' });
    store.remove(a.id);
    expect(store.list().map((e) => e.name)).toEqual(['B']);
    expect(local.dump()).not.toContain('pa');
    expect(store.secret(b.id)).toEqual({ password: 'pb' });
    store.remove(b.id);
    expect(session.dump()).not.toContain('pb');
  });

  it('refuses what cannot work, with the reason', () => {
    const { store } = stores();
    const bad =
      (entry: Partial<Parameters<ServerStore['save']>[0]>, secret = {}) =>
      () =>
        store.save({ name: 'S', url: '/s', auth: 'none', user: '', remember: false, ...entry }, secret);
    expect(bad({ name: ' ' })).toThrow(/name/);
    expect(bad({ url: '' })).toThrow(/base URL/);
    expect(bad({ url: 'ftp://x/y' })).toThrow(/http/);
    expect(bad({ url: 'pacs.example.org' })).toThrow(/not a URL/);
    expect(bad({ url: 'https://u:p@pacs.example.org' })).toThrow(/user name and password/);
    expect(bad({ auth: 'basic', user: 'u' })).toThrow(/password/);
    expect(bad({ auth: 'bearer' })).toThrow(/token/);
    store.save({ name: 'S', url: '/s', auth: 'none', user: '', remember: false }, {});
    expect(bad({ name: 's', url: '/t' })).toThrow(/exists/);
    expect(store.list()).toHaveLength(1);
  });

  it('normalizes base URLs', () => {
    expect(normalizeUrl(' https://h/dicom-web// ')).toBe('https://h/dicom-web');
    expect(normalizeUrl('/dicomweb/orthanc/')).toBe('/dicomweb/orthanc');
    expect(() => normalizeUrl('//evil.example/x')).toThrow();
  });

  it('survives a corrupt or foreign value in storage', () => {
    const { local, store } = stores();
    local.setItem(SERVERS_KEY, '{not json');
    expect(store.list()).toEqual([]);
    local.setItem(SERVERS_KEY, JSON.stringify([{ id: 1 }, { id: 's1', name: 'ok', url: '/ok', auth: 'none' }]));
    expect(store.list().map((e) => e.name)).toEqual(['ok']);
  });
});

describe('servers from the page address', () => {
  it('adds ?dicomweb=NAME=/path servers once, same-origin paths only', () => {
    const q =
      '?demo=0&dicomweb=orthanc=/dicomweb/orthanc&dicomweb=evil=https://evil.example/x&dicomweb=x=//h/y&dicomweb=broken';
    expect(serversFromQuery(q)).toEqual([{ name: 'orthanc', url: '/dicomweb/orthanc' }]);
    const { store } = stores();
    expect(store.addFromQuery(q).map((e) => e.url)).toEqual(['/dicomweb/orthanc']);
    expect(store.addFromQuery(q)).toEqual([]);
    expect(store.list()).toHaveLength(1);
    expect(store.server(store.list()[0].id)?.auth).toEqual({ kind: 'none' });
  });
});

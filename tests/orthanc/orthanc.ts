/**
 * A real DICOMweb server for tests and the bench: Debian's Orthanc with its DICOMweb plugin,
 * started as a plain process on 127.0.0.1 with a config written into a temporary folder
 * (authentication on, one test user, the DICOM network port off), loaded through its REST API
 * and stopped at the end. `stop()` + `start()` restart it on the same port and storage, to test
 * a server that goes away in the middle of a transfer.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

export interface Orthanc {
  /** e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** The DICOMweb base URL: `${url}/dicom-web` (QIDO, WADO and STOW under it). */
  readonly dicomweb: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** `Basic …` for the test user. */
  readonly authorization: string;
  /** Store DICOM files (paths or bytes) through the REST API; returns their Orthanc ids. */
  upload(files: (string | Uint8Array)[]): Promise<string[]>;
  /** GET a REST path (e.g. '/instances') as JSON, with the test user's credentials. */
  rest<T = unknown>(path: string): Promise<T>;
  /** Stop the process (storage kept). */
  stop(): Promise<void>;
  /** Start it again on the same port and storage. */
  start(): Promise<void>;
  /** Stop and delete the storage. */
  dispose(): Promise<void>;
}

/** Why Orthanc cannot run here (a message for skipped tests), or null when it can. */
export function orthancMissing(): string | null {
  if (spawnSync('sh', ['-c', 'command -v Orthanc'], { stdio: 'ignore' }).status !== 0)
    return 'Orthanc is not installed (Debian package orthanc; `npm test` installs it when run as root)';
  if (!existsSync(DICOMWEB_PLUGIN)) return `the DICOMweb plugin is missing (Debian package orthanc-dicomweb)`;
  return null;
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

export async function startOrthanc(opts: { user?: string; password?: string } = {}): Promise<Orthanc> {
  const missing = orthancMissing();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(join(tmpdir(), 'voxseg-orthanc-'));
  const port = await freePort();
  const user = opts.user ?? 'voxseg';
  const password = opts.password ?? 'test-password';
  const config = {
    Name: 'voxseg-test',
    StorageDirectory: join(dir, 'db'),
    IndexDirectory: join(dir, 'db'),
    HttpPort: port,
    DicomServerEnabled: false,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: true,
    RegisteredUsers: { [user]: password },
    Plugins: [DICOMWEB_PLUGIN],
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: false },
    StorageCompression: false,
    HttpCompressionEnabled: false,
    // big STOW bodies (a 300-slice series) in tests and the bench
    HttpTimeout: 120,
    ConcurrentJobs: 2,
  };
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const url = `http://127.0.0.1:${port}`;
  const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  let child: ChildProcess | null = null;
  const logPath = join(dir, 'orthanc.log');

  const start = async () => {
    writeFileSync(logPath, '', { flag: 'a' });
    child = spawn('Orthanc', [`--logfile=${logPath}`, configPath], { stdio: 'ignore' });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`Orthanc exited at start:\n${tail(logPath)}`);
      try {
        const r = await fetch(`${url}/system`, { headers: { authorization } });
        if (r.ok) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`Orthanc did not answer within 30 s:\n${tail(logPath)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((res) => {
      c.once('exit', () => res());
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 10_000).unref();
    });
  };
  await start();
  return {
    url,
    dicomweb: `${url}/dicom-web`,
    port,
    user,
    password,
    authorization,
    async upload(files) {
      const ids: string[] = [];
      for (const f of files) {
        const body = new Uint8Array(typeof f === 'string' ? readFileSync(f) : f);
        const r = await fetch(`${url}/instances`, { method: 'POST', headers: { authorization }, body });
        const text = await r.text();
        if (!r.ok) throw new Error(`Orthanc refused ${typeof f === 'string' ? f : 'an instance'}: ${r.status} ${text}`);
        ids.push((JSON.parse(text) as { ID: string }).ID);
      }
      return ids;
    },
    async rest<T>(path: string) {
      const r = await fetch(`${url}${path}`, { headers: { authorization } });
      if (!r.ok) throw new Error(`Orthanc ${path}: ${r.status} ${await r.text()}`);
      return (await r.json()) as T;
    },
    stop,
    start,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

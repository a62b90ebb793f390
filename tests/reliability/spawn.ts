/**
 * Run the real CLI (`node bin/voxseg.js`, the way users and the unit tests run it) as a child
 * process with a wall-clock limit and a memory ceiling, measuring its peak RSS.
 *
 * Decisions: the CLI is not bundled for speed (0.6 s start-up through tsx against 0.3 s for an
 * esbuild bundle), because a bundle moves files that are found relative to their own module
 * (decode workers, the WASM inference thread, package.json) and would test something else.
 * Peak RSS comes from GNU time (`%M`, the kernel's maximum resident set at exit) when
 * /usr/bin/time exists, else from VmHWM polled in /proc. The ceiling is enforced by polling
 * VmRSS every 50 ms and killing the process group above it (not `prlimit --as`: V8 and WASM
 * reserve far more address space than they use, so an address-space limit breaks good runs).
 * Time limits of cases (bombs: 2 s) are checked on CPU time, not wall time: on a machine shared
 * with other work a refusal that costs 1 s of CPU can take 3 s of wall time.
 * Each child gets its own process group so a hang is killed with everything it started.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** VOXSEG_MEMORY_CEILING for a child killed above `memoryMb`: three quarters of it. */
export const ceilingFor = (memoryMb: number) => `${Math.floor(memoryMb * 0.75)}MiB`;

export interface SpawnLimits {
  timeoutSeconds: number;
  memoryMb: number;
  fileLimitKiB?: number;
}

export interface SpawnResult {
  exit: number | null;
  signal: string | null;
  seconds: number;
  /** CPU seconds (user + system, all threads) from GNU time; the wall time without it. */
  cpuSeconds: number;
  rssMb: number;
  timedOut: boolean;
  memoryKilled: boolean;
  stdout: string;
  stderr: string;
}

function readStatus(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** The processes under `pid` (the node process under GNU time / bash). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop()!;
    try {
      const kids = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      for (const k of kids) {
        out.push(Number(k));
        todo.push(Number(k));
      }
    } catch {
      // gone
    }
  }
  return out;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function runCli(root: string, cliArgs: string[], work: string, limits: SpawnLimits): Promise<SpawnResult> {
  const rssFile = join(work, '.rss');
  rmSync(rssFile, { force: true });
  let argv = [process.execPath, join(root, 'bin', 'voxseg.js'), ...cliArgs];
  if (GNU_TIME) argv = [GNU_TIME, '-f', '%M %U %S', '-o', rssFile, ...argv];
  if (limits.fileLimitKiB)
    argv = ['bash', '-c', `trap '' XFSZ; ulimit -f ${limits.fileLimitKiB}; exec ${argv.map(quote).join(' ')}`];
  const t0 = performance.now();
  const child = spawn(argv[0], argv.slice(1), {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    // The readers' memory ceiling sits below the kill ceiling, so what a header declares past it is
    // refused by the CLI itself, as it would be on a machine of that size.
    env: { ...process.env, VOXSEG_DEBUG: '', FORCE_COLOR: '0', VOXSEG_MEMORY_CEILING: ceilingFor(limits.memoryMb) },
  });
  let stdout = '';
  let stderr = '';
  const cap = (s: string, d: Buffer) => (s.length < 1 << 20 ? s + d.toString('utf8') : s);
  child.stdout.on('data', (d: Buffer) => (stdout = cap(stdout, d)));
  child.stderr.on('data', (d: Buffer) => (stderr = cap(stderr, d)));
  let timedOut = false;
  let memoryKilled = false;
  let hwmKb = 0;
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const poll = setInterval(() => {
    for (const pid of [child.pid!, ...descendants(child.pid!)]) {
      const s = readStatus(pid);
      if (!s) continue;
      hwmKb = Math.max(hwmKb, s.hwm);
      if (s.rss > limits.memoryMb * 1024 && !memoryKilled) {
        memoryKilled = true;
        killGroup();
      }
    }
  }, 50);
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, limits.timeoutSeconds * 1000);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      const seconds = (performance.now() - t0) / 1000;
      let cpuSeconds = seconds;
      let exit = code;
      let sig: string | null = signal;
      if (GNU_TIME && existsSync(rssFile)) {
        const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
        const [kb, user, sys] = lines[lines.length - 1].split(' ').map(Number);
        hwmKb = Math.max(hwmKb, kb || 0);
        if (Number.isFinite(user + sys)) cpuSeconds = user + sys;
        const m = /terminated by signal (\d+)/.exec(lines.join('\n'));
        if (m) {
          sig = `signal ${m[1]}`;
          exit = null;
        }
      }
      resolve({
        exit,
        signal: sig,
        seconds,
        cpuSeconds,
        rssMb: hwmKb / 1024,
        timedOut,
        memoryKilled,
        stdout,
        stderr,
      });
    });
  });
}

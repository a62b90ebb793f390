/**
 * Linux /proc helpers for memory measurement. Peak memory of a process = VmHWM after the work minus
 * VmRSS before it, with the high-water mark reset first (`echo 5 > /proc/PID/clear_refs`). When the
 * reset is not permitted we fall back to sampling VmRSS every 20 ms (which can miss short spikes).
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

export interface ProcMem {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size since start or last reset, bytes. */
  hwm: number;
}

export function readMem(pid: number): ProcMem | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** Reset the process's VmHWM to its current RSS. Returns false when not permitted/supported. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    const m = readMem(pid);
    // After a successful reset HWM equals RSS (give it some slack for concurrent growth).
    return m !== null && m.hwm - m.rss < 4 * 2 ** 20;
  } catch {
    return false;
  }
}

/** CPU time (user + system, all threads) the process has used so far, ms; NaN when unreadable. */
export function cpuMs(pid: number): number {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ": f[0] = state, ..., f[11] = utime, f[12] = stime (clock ticks, 100 Hz on Linux).
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return NaN;
  }
}

const CLK_TCK = 100;

export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** Pids of Chromium processes of the given --type that belong to the browser using `userDataDir`. */
export function chromiumChildren(userDataDir: string, type: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    // Zygote-forked children rewrite their title: all arguments in one space-separated string.
    const args = cmdline(Number(name)).flatMap((a) => a.split(' '));
    if (args.includes(`--type=${type}`) && args.includes(`--user-data-dir=${userDataDir}`)) out.push(Number(name));
  }
  return out;
}

/** Background VmRSS sampler: fallback peak detector when the HWM cannot be reset. */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  readonly peak = new Map<number, number>();
  constructor(
    private readonly pids: number[],
    private readonly everyMs = 20,
  ) {}
  start(): this {
    const tick = () => {
      for (const pid of this.pids) {
        const m = readMem(pid);
        if (m) this.peak.set(pid, Math.max(this.peak.get(pid) ?? 0, m.rss));
      }
    };
    tick();
    this.timer = setInterval(tick, this.everyMs);
    return this;
  }
  stop(): Map<number, number> {
    clearInterval(this.timer);
    for (const pid of this.pids) {
      const m = readMem(pid);
      if (m) this.peak.set(pid, Math.max(this.peak.get(pid) ?? 0, m.rss));
    }
    return this.peak;
  }
}

/** Per-renderer peak memory and CPU over a measured span, for a browser with profile `userDataDir`. */
export interface RendererSpan {
  /** CPU ms of all renderers during the span. */
  cpuMs: number;
  /** Largest peak growth over its baseline among the renderers (bytes), and that renderer's absolute peak. */
  growthBytes: number;
  peakBytes: number;
  method: 'hwm' | 'sampled';
}

/**
 * Settle the page (collect garbage twice), take every renderer's baseline, reset the peak
 * counters (or sample RSS where the kernel will not), run `body`, and report the span.
 */
export async function measureRenderers<T>(
  page: { evaluate(fn: () => Promise<void>): Promise<void> },
  userDataDir: string,
  body: () => Promise<T>,
): Promise<{ result: T; span: RendererSpan }> {
  await page.evaluate(async () => {
    const g = (globalThis as unknown as { gc?: () => void }).gc;
    g?.();
    await new Promise((r) => setTimeout(r, 100));
    g?.();
  });
  const pids = chromiumChildren(userDataDir, 'renderer');
  if (pids.length === 0) throw new Error('no renderer process found in /proc');
  const base = new Map(pids.map((p) => [p, readMem(p)?.rss ?? NaN]));
  const exact = pids.every((p) => resetPeak(p));
  const sampler = exact ? undefined : new RssSampler(pids).start();
  const cpu0 = pids.reduce((a, p) => a + cpuMs(p), 0);
  const result = await body();
  const cpu = pids.reduce((a, p) => a + cpuMs(p), 0) - cpu0;
  const peaks = sampler ? sampler.stop() : new Map(pids.map((p) => [p, readMem(p)?.hwm ?? NaN]));
  // The renderer with the largest growth is the page's (others are idle).
  let growth = -Infinity;
  let absolute = NaN;
  for (const p of pids) {
    const g = (peaks.get(p) ?? NaN) - (base.get(p) ?? NaN);
    if (g > growth) [growth, absolute] = [g, peaks.get(p) ?? NaN];
  }
  return { result, span: { cpuMs: cpu, growthBytes: growth, peakBytes: absolute, method: exact ? 'hwm' : 'sampled' } };
}

/**
 * In a measured Node child: collect garbage (when run with --expose-gc), take the RSS baseline and
 * reset the peak counter. `peak()` later gives the high-water mark since (or the process's
 * lifetime maximum where the kernel will not reset it).
 */
export async function beginSelfMeasure(): Promise<{ base: number; exact: boolean; peak(): number }> {
  const g = (globalThis as unknown as { gc?: () => void }).gc;
  g?.();
  await new Promise((r) => setTimeout(r, 50));
  g?.();
  const base = readMem(process.pid)?.rss ?? process.memoryUsage().rss;
  const exact = resetPeak(process.pid);
  const maxRssBefore = process.resourceUsage().maxRSS * 1024;
  return {
    base,
    exact,
    peak: () =>
      exact ? (readMem(process.pid)?.hwm ?? NaN) : Math.max(maxRssBefore, process.resourceUsage().maxRSS * 1024),
  };
}

/**
 * The suite's summary: a table of cases per verb (passed, exit 0, exit 1 with a named cause,
 * failed, skipped, max seconds, max peak RSS), failures by kind and by failure class of the
 * issue, each failing case with its first problem; and test-results/reliability.json with the
 * counts under the field names `scripts/test.js` reads from the Vitest reports
 * (numPassedTests, numFailedTests, numPendingTests, numTodoTests) plus every case's result.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CaseResult } from './types';

const pad = (s: string | number, n: number) => String(s).padEnd(n);
const padL = (s: string | number, n: number) => String(s).padStart(n);

export function summarize(results: CaseResult[], seconds: number): string {
  const lines: string[] = [];
  const verbs = [...new Set(results.map((r) => r.verb))];
  lines.push(
    `${pad('verb', 11)}${padL('cases', 6)}${padL('passed', 8)}${padL('exit 0', 8)}${padL('exit 1', 8)}${padL('failed', 8)}${padL('skipped', 9)}${padL('max s', 8)}${padL('max MiB', 9)}`,
  );
  const row = (name: string, rs: CaseResult[]) => {
    const ran = rs.filter((r) => r.status !== 'skipped');
    lines.push(
      pad(name, 11) +
        padL(rs.length, 6) +
        padL(rs.filter((r) => r.status === 'passed').length, 8) +
        padL(ran.filter((r) => r.exit === 0).length, 8) +
        padL(ran.filter((r) => r.exit === 1).length, 8) +
        padL(rs.filter((r) => r.status === 'failed').length, 8) +
        padL(rs.filter((r) => r.status === 'skipped').length, 9) +
        padL(Math.max(0, ...ran.map((r) => r.seconds)).toFixed(1), 8) +
        padL(Math.round(Math.max(0, ...ran.map((r) => r.rssMb))), 9),
    );
  };
  for (const v of verbs)
    row(
      v,
      results.filter((r) => r.verb === v),
    );
  row('all', results);
  const failed = results.filter((r) => r.status === 'failed');
  const kinds = new Map<string, number>();
  for (const r of failed) for (const p of r.problems) kinds.set(p, (kinds.get(p) ?? 0) + 1);
  lines.push('', `failures by kind: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
  const bombs = results.filter((r) => r.group === 'bomb' && r.status !== 'skipped');
  if (bombs.length)
    lines.push(
      `bombs: max ${Math.max(...bombs.map((r) => r.seconds)).toFixed(2)} s wall, max ${Math.max(...bombs.map((r) => r.cpuSeconds)).toFixed(2)} s CPU, max ${Math.round(Math.max(...bombs.map((r) => r.rssMb)))} MiB peak RSS`,
    );
  if (failed.length) {
    lines.push('', 'failing cases:');
    for (const r of failed)
      lines.push(
        `  ${r.id} [${r.area ?? 'general'}] ${r.details[0] ?? ''}${r.debatable ? '  (expectation debatable)' : ''}`,
      );
  }
  lines.push('', `reliability: ${results.length} cases in ${seconds.toFixed(0)} s`);
  return lines.join('\n');
}

export function writeReport(path: string, results: CaseResult[], seconds: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const count = (s: CaseResult['status']) => results.filter((r) => r.status === s).length;
  const report = {
    numTotalTests: results.length,
    numPassedTests: count('passed'),
    numFailedTests: count('failed'),
    numPendingTests: count('skipped'),
    numTodoTests: 0,
    seconds,
    results,
  };
  writeFileSync(path, JSON.stringify(report, null, 2));
}

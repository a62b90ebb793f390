/** Fixtures for the CLI DICOMweb tests: phantom series written by the real CLI into a temp folder. */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { voxseg } from './run';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'voxseg-cli-dicomweb-'));
}

/** `voxseg phantom --format dicom` into `dir` (dims "X,Y,Z"); returns the slice file paths, sorted. */
export function phantomSeries(dir: string, seed: number, dims: string, labels = false): string[] {
  const r = voxseg(['phantom', '-o', dir, '--seed', String(seed), '--dims', dims, ...(labels ? ['--labels'] : [])]);
  expect(r.code, r.stderr).toBe(0);
  return readdirSync(join(dir, 'ct'))
    .sort()
    .map((f) => join(dir, 'ct', f));
}

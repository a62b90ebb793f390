/**
 * Locate the reference data folder `../shared/data` beside the repository (override with
 * VOXSEG_SHARED_DATA). Tests that need it use `describeShared`, which skips with a clear
 * message when the data is missing (a user's fresh clone has none).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const sharedData = process.env.VOXSEG_SHARED_DATA ?? resolve(repoRoot, '../shared/data');

export function sharedPath(...parts: string[]): string {
  return join(sharedData, ...parts);
}

export function hasShared(...parts: string[]): boolean {
  return existsSync(sharedPath(...parts));
}

/** `describe` that skips (with the reason in its title) when a shared file/folder is missing. */
export function describeShared(rel: string, name: string, fn: () => void): void {
  if (hasShared(rel)) describe(name, fn);
  else describe.skip(`${name} [skipped: reference data ../shared/data/${rel} not found]`, fn);
}

/** Reference data and throwaway files for the e2e tests. */
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/** Plain files directly inside `dir`, sorted, as absolute paths. */
export function filesIn(dir: string, filter: (name: string) => boolean = () => true): string[] {
  return readdirSync(dir)
    .filter((n) => filter(n) && statSync(join(dir, n)).isFile())
    .sort()
    .map((n) => join(dir, n));
}

/** A file of deterministic pseudo-random bytes (not DICOM, not NIfTI) in a fresh temp folder. */
export function garbageFile(name: string, size = 4096): string {
  const dir = mkdtempSync(join(tmpdir(), 'voxseg-garbage-'));
  const bytes = new Uint8Array(size);
  let x = 12345;
  for (let i = 0; i < size; i++) bytes[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/**
 * Drop `paths` on the page the way a user drags files from the desktop: the files go through
 * a scratch <input> (the only way to hand real files to a page) into a DataTransfer that is
 * dispatched as dragenter + drop on the window.
 */
export async function dropFiles(page: Page, paths: string[]): Promise<void> {
  await page.evaluate(() => {
    const input = document.createElement('input');
    input.type = 'file';
    input.multiple = true;
    input.id = 'e2e-drop-source';
    input.hidden = true;
    document.body.append(input);
  });
  await page.setInputFiles('#e2e-drop-source', paths);
  await page.evaluate(() => {
    const input = document.getElementById('e2e-drop-source') as HTMLInputElement;
    const dt = new DataTransfer();
    for (const f of Array.from(input.files ?? [])) dt.items.add(f);
    input.remove();
    window.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
    window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
}

/** The series the loading bench reads: a generated uncompressed phantom and the shared J2K CT. */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const OUT = join(REPO, 'bench/out');
export const SHARED = resolve(REPO, '../shared/data');

export interface Dataset {
  id: string;
  label: string;
  dir: string;
  /** Absolute file paths, sorted. */
  paths: string[];
  /** Total file bytes. */
  bytes: number;
}

/** Part 10 files only ("DICM" at offset 128): LICENSE/README files beside a series are not inputs. */
function isPart10(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 128) === 4 && b.toString('latin1') === 'DICM';
  } finally {
    closeSync(fd);
  }
}

function listDir(dir: string): { paths: string[]; bytes: number } {
  const paths: string[] = [];
  let bytes = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && isPart10(p)) {
        paths.push(p);
        bytes += statSync(p).size;
      }
    }
  };
  walk(dir);
  return { paths, bytes };
}

/**
 * The uncompressed phantom series, generated once into bench/out/phantom-NxNxN/ by the phantom
 * generator (`bin/voxseg.js phantom`) and reused while its marker file matches the folder.
 * `regen` forces a fresh one.
 */
export async function phantomDataset(dims: [number, number, number], regen = false): Promise<Dataset> {
  const id = `phantom-${dims.join('x')}`;
  const dir = join(OUT, id);
  const marker = join(OUT, `${id}.json`);
  let cached = false;
  if (!regen && existsSync(marker) && existsSync(dir)) {
    const m = JSON.parse(readFileSync(marker, 'utf8')) as { files: number; bytes: number };
    const now = listDir(dir);
    cached = m.files === now.paths.length && m.bytes === now.bytes && now.paths.length > 0;
  }
  if (!cached) {
    rmSync(dir, { recursive: true, force: true });
    rmSync(marker, { force: true });
    mkdirSync(dir, { recursive: true });
    const t0 = performance.now();
    console.log(`bench: generating the ${dims.join('x')} phantom series into ${dir} ...`);
    await generate(dir, dims);
    const now = listDir(dir);
    if (now.paths.length === 0) throw new Error(`phantom generator wrote no files into ${dir}`);
    writeFileSync(
      marker,
      JSON.stringify(
        { dims, files: now.paths.length, bytes: now.bytes, generatedAt: new Date().toISOString() },
        null,
        2,
      ),
    );
    console.log(
      `bench: wrote ${now.paths.length} files, ${(now.bytes / 1e6).toFixed(0)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  const { paths, bytes } = listDir(dir);
  return { id, label: `phantom ${dims.join('x')} (uncompressed)`, dir, paths, bytes };
}

/** `voxseg phantom` writes DIR/ct/IM0001.dcm ... (uncompressed, explicit VR little endian). */
async function generate(dir: string, dims: [number, number, number]): Promise<void> {
  const cli = join(REPO, 'bin/voxseg.js');
  if (!existsSync(cli)) throw new Error(`${cli} not found: cannot generate the phantom series`);
  const r = spawnSync(process.execPath, [cli, 'phantom', '-o', dir, '--dims', dims.join(','), '--force'], {
    stdio: 'inherit',
    cwd: REPO,
  });
  if (r.status !== 0) throw new Error(`voxseg phantom exited with ${r.status ?? r.signal}`);
}

/** The shared JPEG 2000 CT series, or null (with the reason) when ../shared is absent. */
export function j2kDataset(): Dataset | { missing: string } {
  const dir = join(SHARED, 'dicom/ct-abdomen-j2k');
  if (!existsSync(dir)) return { missing: `${dir} not found (no ../shared checkout); J2K rows skipped` };
  const { paths, bytes } = listDir(dir);
  return { id: 'ct-abdomen-j2k', label: 'ct-abdomen-j2k 512x512x20 (JPEG 2000 lossless)', dir, paths, bytes };
}

/** Read every file once so all loaders start with the same (warm) page cache. */
export function warmPageCache(ds: Dataset): void {
  for (const p of ds.paths) readFileSync(p);
}

/**
 * `voxseg mesh labels.nii.gz -o OUT_DIR [options]`: one closed surface per label value of a
 * label map, written as STL, OBJ or PLY (LPS millimetres), with a table of their sizes.
 */
import { join } from 'node:path';
import { VoxsegError } from '../../core/errors';
import type { Volume } from '../../core/types';
import { isNiftiName, parseNifti } from '../../io/nifti/index';
import { DEFAULT_SMOOTHING, meshLabels, type LabelMesh, type MeshOptions } from '../../mesh/index';
import {
  MESH_FORMATS,
  paletteColor,
  safeFileName,
  writeMeshes,
  type MeshFormat,
  type MeshPart,
  type Rgb,
} from '../../mesh/formats/index';
import { parse, parseInteger, usage, writeOutputs, type Command } from '../util';
import { readRegularFile, readRegularText } from '../node-files';

const help = `Usage: voxseg mesh LABELS.nii.gz -o OUT_DIR [--labels 1,5,52] [--smooth N]
                   [--decimate F] [--format stl|obj|ply] [--single] [--names FILE] [--json]

Turn a label map into one closed triangle surface per label value, in LPS millimetres
(the label map's own position and orientation), and write them to OUT_DIR: one file per
label named after its segment (OUT_DIR/spleen.stl, ...), or with --single all labels in
OUT_DIR/labels.<ext>. Prints a table of labels with triangles, surface area (mm²) and
enclosed volume (mL), or JSON with --json.

The label map must be a NIfTI file (.nii or .nii.gz) holding whole numbers; turn a DICOM SEG
into one with 'voxseg import-seg seg.dcm --ref DICOM_DIR -o labels.nii.gz'.

Options:
  -o, --output DIR      output folder (required; created if missing, files replaced)
  -l, --labels LIST     label values to mesh, comma-separated (default: every non-zero
                        value present)
      --smooth N        smoothing iterations, 0 for the raw voxel surface (default ${DEFAULT_SMOOTHING}; 20-30 on thick-slice grids)
      --decimate F      fraction of triangles to remove, 0 (default) .. 0.95
  -f, --format F        stl (binary, default), obj (with .mtl colours) or ply (binary,
                        colour per vertex)
      --single          write all labels into one file, OUT_DIR/labels.<ext>
  -n, --names FILE      JSON label table: {"1": "spleen", "2": "kidney_right", ...}, or
                        [{"value": 1, "name": "spleen", "color": [157, 108, 162]}, ...]
                        (as 'voxseg phantom --labels' writes), or a model manifest.json;
                        names default to label-<N>, colours to a fixed palette
      --json            print JSON instead of the table
  -h, --help            show this help

STL keeps each part's colour in the triangles' attribute bytes (15-bit RGB, valid bit set).

Exit status: 0 ok, 1 bad input (the message names the file and cause), 2 usage.
`;

/** A label's display name and optional colour from the names file. */
interface LabelEntry {
  name: string;
  color?: Rgb;
}

function badNames(file: string, message: string): VoxsegError {
  return new VoxsegError('unreadable', `label table: ${message}`, { file });
}

/** [r, g, b] with 0..255 integers, or "#rrggbb". */
function parseColor(v: unknown, file: string, where: string): Rgb {
  if (typeof v === 'string' && /^#[0-9a-f]{6}$/i.test(v))
    return [1, 3, 5].map((i) => parseInt(v.slice(i, i + 2), 16)) as Rgb;
  if (Array.isArray(v) && v.length === 3 && v.every((c) => Number.isInteger(c) && c >= 0 && c <= 255))
    return [v[0], v[1], v[2]];
  throw badNames(
    file,
    `${where}: color must be [r, g, b] with whole numbers 0..255 or "#rrggbb", got ${JSON.stringify(v)}`,
  );
}

function parseEntry(v: unknown, file: string, where: string): LabelEntry {
  if (typeof v === 'string' && v.trim()) return { name: v.trim() };
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (typeof o.name !== 'string' || !o.name.trim()) throw badNames(file, `${where}: needs a non-empty "name"`);
    return { name: o.name.trim(), color: o.color === undefined ? undefined : parseColor(o.color, file, where) };
  }
  throw badNames(file, `${where}: expected a name, got ${JSON.stringify(v)}`);
}

/** Read a names file: a {value: name} map, an array of {value, name, color?}, or {labels: [...]}. */
function parseNames(text: string, file: string): Map<number, LabelEntry> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw badNames(file, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (json && typeof json === 'object' && !Array.isArray(json) && Array.isArray((json as { labels?: unknown }).labels))
    json = (json as { labels: unknown[] }).labels;
  const names = new Map<number, LabelEntry>();
  if (Array.isArray(json)) {
    json.forEach((item, i) => {
      const value = (item as { value?: unknown } | null)?.value;
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
        throw badNames(file, `entry ${i}: needs "value", a whole number >= 0, got ${JSON.stringify(value)}`);
      names.set(value, parseEntry(item, file, `entry ${i} (value ${value})`));
    });
  } else if (json && typeof json === 'object') {
    for (const [key, v] of Object.entries(json)) {
      const value = Number(key);
      if (!/^\d+$/.test(key.trim()) || !Number.isSafeInteger(value))
        throw badNames(file, `key ${JSON.stringify(key)} is not a label value (a whole number >= 0)`);
      names.set(value, parseEntry(v, file, `label ${key}`));
    }
  } else {
    throw badNames(file, 'expected an object {"1": "name", ...} or an array [{"value": 1, "name": "..."}, ...]');
  }
  return names;
}

async function readNames(file: string): Promise<Map<number, LabelEntry>> {
  let text: string;
  try {
    text = await readRegularText(file);
  } catch (cause) {
    if (cause instanceof VoxsegError) throw cause;
    throw new VoxsegError('not-found', 'no such file (label table for --names)', { file, cause });
  }
  return parseNames(text, file);
}

async function readLabelMap(file: string, warn: (w: string) => void): Promise<Volume> {
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(file);
  } catch (cause) {
    if (cause instanceof VoxsegError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'EISDIR')
      throw new VoxsegError('unreadable', 'is a folder; mesh reads one NIfTI label map file', { file, cause });
    throw new VoxsegError(
      'not-found',
      code === 'ENOENT' ? 'no such file or folder' : `cannot read file (${code ?? String(cause)})`,
      { file, cause },
    );
  }
  const { volume, warnings } = parseNifti(bytes, file);
  for (const w of warnings) warn(`${file}: ${w}`);
  return volume;
}

function parseLabelList(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const items = text.split(',').map((s) => s.trim());
  const values = items.map(Number);
  if (!items.length || items.some((s) => !/^\d+$/.test(s)) || values.some((v) => !Number.isSafeInteger(v) || v <= 0))
    throw usage(`--labels needs label values > 0 separated by commas, like 1,5,52; got ${JSON.stringify(text)}`);
  return [...new Set(values)];
}

function parseOptions(values: { smooth?: string; decimate?: string }): MeshOptions {
  const smoothing = parseInteger(values.smooth, 'smooth');
  if (smoothing !== undefined && (smoothing < 0 || smoothing > 1000))
    throw usage(`--smooth needs a whole number 0..1000, got ${JSON.stringify(values.smooth)}`);
  let decimate: number | undefined;
  if (values.decimate !== undefined) {
    decimate = values.decimate.trim() === '' ? NaN : Number(values.decimate);
    if (!(decimate >= 0 && decimate <= 0.95))
      throw usage(`--decimate needs a fraction 0..0.95, got ${JSON.stringify(values.decimate)}`);
  }
  return { smoothing, decimate };
}

/** Output base names: the segment name made file-safe, made unique (case-insensitively) by label value. */
function baseNames(parts: readonly MeshPart[]): string[] {
  const used = new Set<string>();
  return parts.map((p) => {
    let base = safeFileName(p.name);
    if (used.has(base.toLowerCase())) base = `${base}_${p.mesh.label}`;
    for (let n = 2; used.has(base.toLowerCase()); n++) base = `${safeFileName(p.name)}_${p.mesh.label}_${n}`;
    used.add(base.toLowerCase());
    return base;
  });
}

/** Columns padded; numbers right-aligned. */
function table(rows: string[][], right: boolean[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, c) => (right[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

export const meshCommand: Command = {
  name: 'mesh',
  summary: 'turn a label map into surface meshes (STL, OBJ or PLY, LPS mm)',
  help,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      output: { type: 'string', short: 'o' },
      labels: { type: 'string', short: 'l' },
      smooth: { type: 'string' },
      decimate: { type: 'string' },
      format: { type: 'string', short: 'f' },
      single: { type: 'boolean' },
      names: { type: 'string', short: 'n' },
      json: { type: 'boolean' },
    });
    if (values.help) {
      io.out(help);
      return 0;
    }
    if (!positionals.length) throw usage('mesh needs a label map: a .nii or .nii.gz file');
    if (positionals.length > 1)
      throw usage(`mesh reads one label map; unexpected argument ${JSON.stringify(positionals[1])}`);
    const input = positionals[0];
    if (!isNiftiName(input))
      throw usage(
        `label map ${JSON.stringify(input)} must be a NIfTI file (.nii or .nii.gz); convert a DICOM SEG with 'voxseg import-seg' first`,
      );
    const dir = values.output;
    if (!dir) throw usage('mesh needs an output folder: -o OUT_DIR');
    const format = (values.format ?? 'stl').toLowerCase() as MeshFormat;
    if (!MESH_FORMATS.includes(format))
      throw usage(`--format must be ${MESH_FORMATS.join(', ')}, got ${JSON.stringify(values.format)}`);
    const labels = parseLabelList(values.labels);
    const opts: MeshOptions = { ...parseOptions(values), labels };

    const t0 = performance.now();
    const names = values.names === undefined ? new Map<number, LabelEntry>() : await readNames(values.names);
    const volume = await readLabelMap(input, (w) => io.err(`warning: ${w}\n`));
    let meshes: LabelMesh[];
    try {
      meshes = meshLabels(volume, opts);
    } catch (err) {
      // The mesher's messages do not know the file; add it.
      if (err instanceof VoxsegError && !err.file)
        throw new VoxsegError(err.code, err.message, { file: input, cause: err });
      throw err;
    }
    const absent = meshes.filter((m) => m.stats.triangles === 0).map((m) => m.label);
    if (absent.length)
      io.err(
        `warning: label${absent.length > 1 ? 's' : ''} ${absent.join(', ')} not in the label map; nothing written for ${absent.length > 1 ? 'them' : 'it'}\n`,
      );
    meshes = meshes.filter((m) => m.stats.triangles > 0);
    if (!meshes.length)
      throw new VoxsegError(
        'invalid-volume',
        labels
          ? `none of the labels ${labels.join(', ')} is in the label map`
          : 'the label map has no labelled (non-zero) voxels',
        { file: input },
      );

    const parts: MeshPart[] = meshes.map((mesh) => {
      const entry = names.get(mesh.label);
      return { name: entry?.name ?? `label-${mesh.label}`, color: entry?.color ?? paletteColor(mesh.label), mesh };
    });
    const fileOf = new Map<MeshPart, string>();
    const outputs: { path: string; bytes: Uint8Array | string }[] = [];
    if (values.single) {
      for (const f of writeMeshes(parts, format, 'labels')) outputs.push({ path: join(dir, f.name), bytes: f.bytes });
      for (const p of parts) fileOf.set(p, outputs[0].path);
    } else {
      const bases = baseNames(parts);
      for (let i = 0; i < parts.length; i++) {
        const files = writeMeshes([parts[i]], format, bases[i]);
        for (const f of files) outputs.push({ path: join(dir, f.name), bytes: f.bytes });
        fileOf.set(parts[i], join(dir, files[0].name));
      }
    }
    // all files or none: a failure part-way leaves the earlier meshes as they were
    await writeOutputs(outputs);
    const written = outputs.map((o) => o.path);

    const total = {
      triangles: meshes.reduce((s, m) => s + m.stats.triangles, 0),
      areaMm2: meshes.reduce((s, m) => s + m.stats.areaMm2, 0),
      volumeMl: meshes.reduce((s, m) => s + m.stats.volumeMl, 0),
    };
    if (values.json) {
      const summary = {
        input,
        output: dir,
        format,
        files: written,
        labels: parts.map((p) => ({
          label: p.mesh.label,
          name: p.name,
          color: p.color,
          file: fileOf.get(p),
          triangles: p.mesh.stats.triangles,
          vertices: p.mesh.stats.vertices,
          areaMm2: round(p.mesh.stats.areaMm2, 2),
          volumeMl: round(p.mesh.stats.volumeMl, 4),
          centroid: p.mesh.stats.centroid.map((c) => round(c, 3)),
        })),
        total: { triangles: total.triangles, areaMm2: round(total.areaMm2, 2), volumeMl: round(total.volumeMl, 4) },
        absent,
      };
      io.out(JSON.stringify(summary, null, 2) + '\n');
    } else {
      const rows = [['label', 'name', 'triangles', 'area mm²', 'volume mL', ...(values.single ? [] : ['file'])]];
      for (const p of parts) {
        const s = p.mesh.stats;
        rows.push([
          String(p.mesh.label),
          p.name,
          String(s.triangles),
          s.areaMm2.toFixed(1),
          s.volumeMl.toFixed(3),
          ...(values.single ? [] : [fileOf.get(p)!]),
        ]);
      }
      rows.push([
        'total',
        `${parts.length} label${parts.length > 1 ? 's' : ''}`,
        String(total.triangles),
        total.areaMm2.toFixed(1),
        total.volumeMl.toFixed(3),
        ...(values.single ? [] : ['']),
      ]);
      io.out(table(rows, [true, false, true, true, true, false]));
      if (values.single) io.out(`wrote ${written.join(' and ')}\n`);
    }
    io.err(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    return 0;
  },
};

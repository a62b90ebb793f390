/**
 * The README's architecture rules, checked on every import in src/ (static, `import type`,
 * `export … from`, dynamic `import()`, `new URL(…, import.meta.url)`; see helpers/imports.ts):
 *
 * - floors, one way: core ← volume ← {io, inference, mesh, phantom} ← viewer ← {app, cli}. A
 *   folder imports its own floor's code only from itself, and never a floor above it; io,
 *   inference and viewer never import each other; the viewer needs no model, file reader, mesher
 *   or phantom (it defines the shapes it draws), and the CLI runs in Node, so never the viewer or
 *   the app. LAYERS below is that matrix, written out;
 * - Cornerstone3D and vtk.js only in src/viewer (the DICOM codecs Cornerstone publishes,
 *   @cornerstonejs/codec-* and jpeg-lossless-decoder-js, are plain decoders that io/dicom uses);
 *   onnxruntime-web only in src/inference/worker.ts; onnxruntime-node only in src/cli;
 * - core imports nothing outside core, packages included;
 * - Node builtins only in code that runs in Node: src/cli, and the one io file that is reached only
 *   behind an environment check (io/dicom/decode/wasm-node.ts).
 *
 * An import that breaks a rule today and cannot move yet is let through by name in EXCEPTIONS,
 * with the reason; an exception nothing needs any more fails the test, so the list only shrinks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkImports,
  isNodeBuiltin,
  listSources,
  type Exception,
  type Rules,
  type SourceFile,
} from './helpers/architecture';
import { scanImports } from './helpers/imports';
import { repoRoot } from './helpers/shared';

/** Which other areas of src/ each area may import (rows: importer). */
const LAYERS: Rules['layers'] = {
  core: [],
  volume: ['core'],
  io: ['core', 'volume'],
  inference: ['core', 'volume'],
  mesh: ['core', 'volume'],
  phantom: ['core', 'volume'],
  viewer: ['core', 'volume'],
  app: ['core', 'volume', 'io', 'inference', 'mesh', 'phantom', 'viewer'],
  cli: ['core', 'volume', 'io', 'inference', 'mesh', 'phantom'],
};

const PACKAGES: Rules['packages'] = [
  {
    what: 'Cornerstone3D',
    matches: (s) => /^@cornerstonejs\/(?!codec-|jpeg-lossless-decoder)/.test(s),
    only: ['src/viewer/'],
  },
  { what: 'vtk.js', matches: (s) => /^@kitware\/vtk\.js(\/|$)/.test(s), only: ['src/viewer/'] },
  { what: 'onnxruntime-web', matches: (s) => /^onnxruntime-web(\/|$)/.test(s), only: ['src/inference/worker.ts'] },
  { what: 'onnxruntime-node', matches: (s) => /^onnxruntime-node(\/|$)/.test(s), only: ['src/cli/'] },
  { what: 'Node builtins', matches: isNodeBuiltin, only: ['src/cli/', 'src/io/dicom/decode/wasm-node.ts'] },
];

/** Real breaches of the rules in today's code, let through until they are fixed. */
const EXCEPTIONS: Exception[] = [];

const RULES: Rules = {
  layers: LAYERS,
  packages: PACKAGES,
  noPackages: ['core'],
  // The CLI prints the version from package.json.
  outsideSrc: [{ from: 'src/cli/', to: 'package.json' }],
  exceptions: EXCEPTIONS,
};

const read = (path: string): SourceFile => ({ path, text: readFileSync(join(repoRoot, path), 'utf8') });

describe('architecture of src/', () => {
  const files = listSources(repoRoot).map(read);
  const result = checkImports(files, RULES);

  it('every import keeps the layer and package rules', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(result.violations.map((v) => v.message)).toEqual([]);
  });

  it('every listed exception is still needed', () => {
    const { unusedExceptions } = result;
    expect(unusedExceptions.map((e) => `${e.file} → ${e.specifier}`)).toEqual([]);
  });

  it('the scan sees the imports the rules are about', () => {
    const specs = (path: string) => scanImports(path, read(path).text).map((r) => r.specifier);
    expect(specs('src/inference/worker.ts')).toContain('onnxruntime-web');
    expect(specs('src/viewer/surfaces.ts').some((s) => s.startsWith('@kitware/vtk.js/'))).toBe(true);
    expect(specs('src/main.ts')).toContain('./app/App.svelte');
  });
});

describe('scanImports', () => {
  it('reads multi-line, type-only, re-exported, dynamic and URL references, with lines', () => {
    const text = [
      'import {',
      '  a,',
      '  b,',
      "} from './multi';",
      "import type { T } from '../core/types';",
      "import './side-effect.css';",
      "export { c } from './re';",
      "export * from './all';",
      "type M = typeof import('node:module');",
      "const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });",
      "const lazy = () => import('./lazy');",
      "const notAModule = new URL('index.json', base);",
      'const hidden = (id: string) => import(id);',
    ].join('\n');
    expect(scanImports('src/x.ts', text)).toEqual([
      { specifier: './multi', kind: 'import', line: 4 },
      { specifier: '../core/types', kind: 'import type', line: 5 },
      { specifier: './side-effect.css', kind: 'import', line: 6 },
      { specifier: './re', kind: 'export from', line: 7 },
      { specifier: './all', kind: 'export from', line: 8 },
      { specifier: 'node:module', kind: 'type import()', line: 9 },
      { specifier: './worker.ts', kind: 'new URL', line: 10 },
      { specifier: './lazy', kind: 'import()', line: 11 },
    ]);
  });

  it('ignores look-alikes in comments and strings, and reads Svelte scripts only', () => {
    const ts = [
      "// import x from 'commented';",
      "/* export * from 'block'; */",
      'const s = "import y from \'quoted\'";',
    ].join('\n');
    expect(scanImports('src/y.ts', ts)).toEqual([]);
    const svelte = [
      '<script module lang="ts">',
      '  export const x = 1;',
      '</script>',
      '<script lang="ts">',
      "  import { Viewer } from '../viewer';",
      '</script>',
      '<p>import z from "markup"</p>',
    ].join('\n');
    expect(scanImports('src/app/Z.svelte', svelte)).toEqual([{ specifier: '../viewer', kind: 'import', line: 5 }]);
  });
});

describe('checkImports', () => {
  const fake = (path: string, ...lines: string[]): SourceFile => ({ path, text: lines.join('\n') });

  it('passes files that keep the rules', () => {
    const files = [
      fake('src/volume/a.ts', "import type { Volume } from '../core/types';"),
      fake(
        'src/viewer/b.ts',
        "import { RenderingEngine } from '@cornerstonejs/core';",
        "import { x } from '../volume/a';",
      ),
      fake('src/io/dicom/decode/c.ts', "import { decode } from '@cornerstonejs/codec-openjpeg/decodewasmjs';"),
      fake(
        'src/app/d.svelte',
        '<script lang="ts">',
        "  import { Viewer } from '../viewer';",
        "  import { load } from '../io/dicom';",
        '</script>',
      ),
      fake(
        'src/cli/e.ts',
        "import { readFile } from 'node:fs/promises';",
        "import * as ort from 'onnxruntime-node';",
        "import pkg from '../../package.json';",
      ),
      fake('src/inference/worker.ts', "import * as ort from 'onnxruntime-web';"),
      fake('src/main.ts', "import App from './app/App.svelte';"),
    ];
    expect(checkImports(files, { ...RULES, exceptions: [] })).toEqual({ violations: [], unusedExceptions: [] });
  });

  it('names the file, line and import of each breach', () => {
    const files = [
      fake('src/core/a.ts', "import { grid } from '../volume/grid';", "import { expose } from 'comlink';"),
      fake('src/io/b.ts', '', "import type { Manifest } from '../inference/manifest';"),
      fake('src/viewer/c.ts', "export { readNifti } from '../io/nifti';"),
      fake('src/inference/d.ts', "const w = new URL('../viewer/tools.ts', import.meta.url);"),
      fake('src/mesh/e.ts', "import { Viewer } from '../viewer';", "import { phantom } from '../phantom/index';"),
      fake('src/volume/f.ts', "import { readFileSync } from 'fs';"),
      fake('src/app/g.ts', "const cs = await import('@cornerstonejs/tools');"),
      fake('src/inference/nnunet/convert-worker.ts', "import * as ort from 'onnxruntime-web';"),
      fake(
        'src/app/h.ts',
        "import * as ort from 'onnxruntime-node';",
        "import vtk from '@kitware/vtk.js/Rendering/Core/Actor';",
      ),
      fake('src/cli/i.ts', "import { Viewer } from '../viewer/viewer';", "import { x } from '../../bench/lib/table';"),
      fake('src/widgets/j.ts', "import { x } from '../core/types';"),
    ];
    const { violations } = checkImports(files, RULES);
    expect(violations.map((v) => v.message)).toEqual([
      "src/core/a.ts:1: import '../volume/grid': core may not import volume (allowed: nothing)",
      "src/core/a.ts:2: import 'comlink': core imports no package",
      "src/io/b.ts:2: import type '../inference/manifest': io may not import inference (allowed: core, volume)",
      "src/viewer/c.ts:1: export from '../io/nifti': viewer may not import io (allowed: core, volume)",
      "src/inference/d.ts:1: new URL '../viewer/tools.ts': inference may not import viewer (allowed: core, volume)",
      "src/mesh/e.ts:1: import '../viewer': mesh may not import viewer (allowed: core, volume)",
      "src/mesh/e.ts:2: import '../phantom/index': mesh may not import phantom (allowed: core, volume)",
      "src/volume/f.ts:1: import 'fs': Node builtins (fs) only in src/cli/, src/io/dicom/decode/wasm-node.ts",
      "src/app/g.ts:1: import() '@cornerstonejs/tools': Cornerstone3D (@cornerstonejs/tools) only in src/viewer/",
      "src/inference/nnunet/convert-worker.ts:1: import 'onnxruntime-web': onnxruntime-web (onnxruntime-web) only in src/inference/worker.ts",
      "src/app/h.ts:1: import 'onnxruntime-node': onnxruntime-node (onnxruntime-node) only in src/cli/",
      "src/app/h.ts:2: import '@kitware/vtk.js/Rendering/Core/Actor': vtk.js (@kitware/vtk.js) only in src/viewer/",
      "src/cli/i.ts:1: import '../viewer/viewer': cli may not import viewer (allowed: core, volume, io, inference, mesh, phantom)",
      "src/cli/i.ts:2: import '../../bench/lib/table': reaches outside src/ (bench/lib/table)",
      'src/widgets/j.ts: src/widgets is not in the layer table',
    ]);
  });

  it('lets a listed exception through and reports one nothing needs', () => {
    const exception = { file: 'src/io/b.ts', specifier: '../inference/manifest', reason: 'test' };
    const stale = { file: 'src/io/gone.ts', specifier: '../viewer', reason: 'test' };
    const files = [fake('src/io/b.ts', "import type { Manifest } from '../inference/manifest';")];
    expect(checkImports(files, { ...RULES, exceptions: [exception, stale] })).toEqual({
      violations: [],
      unusedExceptions: [stale],
    });
  });
});

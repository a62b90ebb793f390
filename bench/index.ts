/**
 * `npm run bench`: voxseg's performance goals, measured against named baselines in the same run.
 *
 *   npm run bench                              all sections (loading, inference, mesh, edit)
 *   npm run bench -- loading --reps=1          one section, one repetition
 *   npm run bench -- dicomweb                  WADO-RS from a real Orthanc vs local files vs Cornerstone's wadors loader
 *   npm run bench -- inference --cases=unet,memory --devices=native,browser
 *   npm run bench -- mesh --maps=phantom --mesh-dims=128,128,75
 *   npm run bench -- edit --edit-dims=256,256,100 --steps=50
 *   npm run bench -- --loaders=voxseg,dcmjs --datasets=j2k --node=no --regen
 *
 * Prints markdown tables and writes bench/out/results.json. Exit status is 0 even when a goal is
 * missed (goals are reported, not asserted); it is 1 only when the bench itself fails.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { execSync } from 'node:child_process';
import { markdownTable } from './lib/table';
import type { BenchOptions, BenchSection, SectionResult } from './lib/section';
import { loadingSection } from './loading/index';
import { dicomwebSection } from './dicomweb/index';
import { inferenceSection } from './inference/index';
import { meshSection } from './mesh/index';
import { editSection } from './edit/index';
import { chromiumVersion } from './loading/browser';
import { OUT, REPO } from './loading/datasets';

const SECTIONS: BenchSection[] = [loadingSection, dicomwebSection, inferenceSection, meshSection, editSection];

function parseArgs(argv: string[]): { sections: string[]; opts: BenchOptions } {
  const sections: string[] = [];
  const opts: BenchOptions = { reps: 3, regen: false, filters: {} };
  for (const a of argv) {
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(a);
    if (!m) sections.push(a);
    else if (m[1] === 'reps') {
      opts.reps = Math.max(1, Number(m[2]) || 1);
      opts.repsGiven = true;
    } else if (m[1] === 'regen') opts.regen = true;
    else if (m[1] === 'help') {
      console.log(
        'usage: npm run bench -- [section...] [--reps=N] [--regen] [--timeout=S]\n' +
          '  loading:   [--loaders=a,b] [--datasets=phantom,j2k] [--dims=X,Y,Z] [--node=no] [--profile=a,b] [--diagnose]\n' +
          '  dicomweb:  [--web-loaders=voxseg-local,voxseg-wadors,cornerstone-wadors] [--web-floor=no] [--web-dims=512,512,300]\n' +
          '  inference: [--cases=meshnet,unet,memory,webgpu,tissue] [--devices=browser,native,node-wasm] [--unet-base=6]\n' +
          '             [--tissue-only] [--tissue-models=model5_gw_ae,model20chan3cls,model11_gw_ae,meshnet-gwm]\n' +
          '  mesh:      [--maps=seg,phantom] [--engines=voxseg,voxseg-raw,vtk,edit] [--mesh-dims=X,Y,Z] [--edits=8] [--radius=8]\n' +
          '  edit:      [--paths=voxseg,stock] [--edit-dims=X,Y,Z] [--steps=100] [--strokes=5] [--free=1] [--history=100] [--undos=20]\n' +
          '             [--switches=30] [--scrolls=10] [--history-steps=10] [--brush-mm=5] [--step-timeout=2] [--edit-profile] [--reuse-build]',
      );
      process.exit(0);
    } else opts.filters[m[1]] = m[2] ?? 'yes';
  }
  return { sections, opts };
}

function git(cmd: string): string {
  try {
    return execSync(`git ${cmd}`, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

const { sections: wanted, opts } = parseArgs(process.argv.slice(2));
const unknown = wanted.filter((w) => !SECTIONS.some((s) => s.name === w));
if (unknown.length) {
  console.error(`bench: unknown section(s) ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

const env = {
  date: new Date().toISOString(),
  commit: git('rev-parse --short HEAD'),
  dirty: git('status --porcelain') !== '',
  node: process.version,
  chromium: await chromiumVersion().catch((e) => `unavailable (${e instanceof Error ? e.message.split('\n')[0] : e})`),
  cpu: `${cpus().length} x ${cpus()[0]?.model ?? '?'}`,
  memoryGB: Math.round(totalmem() / 2 ** 30),
  kernel: release(),
  /** 1/5/15-minute load averages at start: other work on the machine skews timings. */
  loadavg: loadavg().map((x) => Number(x.toFixed(2))),
};
console.log(`# voxseg bench — ${env.date}\n`);
console.log(
  `commit ${env.commit}${env.dirty ? ' (dirty)' : ''}, Node ${env.node}, Chromium ${env.chromium}, ${env.cpu}, ${env.memoryGB} GB, load average ${env.loadavg.join(' ')}\n`,
);

if (env.loadavg[0] > cpus().length * 0.75)
  console.log(
    `WARNING: the machine is busy (load average ${env.loadavg[0]} on ${cpus().length} CPUs): wall-clock timings will be noisy; compare the CPU ms column, use --reps=5+, or re-run when idle.\n`,
  );

const results: Record<string, SectionResult> = {};
let failed = false;
for (const section of SECTIONS) {
  if (wanted.length && !wanted.includes(section.name)) continue;
  try {
    results[section.name] = await section.run(opts);
  } catch (e) {
    failed = true;
    console.error(`bench: section ${section.name} failed: ${e instanceof Error ? (e.stack ?? e.message) : e}`);
  }
}

for (const r of Object.values(results)) console.log(`\n## ${r.title}\n\n${r.markdown}\n`);
const goals = Object.values(results).flatMap((r) => r.goals);
if (goals.length) {
  console.log('## Goals\n');
  console.log(
    markdownTable(
      ['goal', 'target', 'actual', 'met'],
      goals.map((g) => [g.what, g.target, g.actual, g.info ? `(info: ${g.met ? 'yes' : 'no'})` : g.met ? 'yes' : 'NO']),
    ),
  );
  const counted = goals.filter((g) => !g.info);
  console.log(`\n${counted.filter((g) => g.met).length}/${counted.length} goals met`);
}

const loadEnd = loadavg().map((x) => Number(x.toFixed(2)));
console.log(`\nload average at the end: ${loadEnd.join(' ')}`);

mkdirSync(OUT, { recursive: true });
const file = join(OUT, 'results.json');
writeFileSync(
  file,
  JSON.stringify(
    {
      env: { ...env, loadavgEnd: loadEnd },
      options: opts,
      sections: Object.fromEntries(
        Object.entries(results).map(([k, v]) => [k, { title: v.title, goals: v.goals, data: v.data }]),
      ),
    },
    null,
    2,
  ),
);
console.log(`\nbench: results written to ${file}`);
process.exit(failed ? 1 : 0);

// Install what the project needs on a fresh clone: npm packages (when missing or stale) and,
// for tests, the Debian packages chromium, dcm2niix, dicom3tools, orthanc (+ its DICOMweb plugin) and the Python ones (pydicom;
// torch, onnx, nibabel, scipy for the training pipeline) when missing and we are root.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function mtime(p) {
  return existsSync(p) ? statSync(p).mtimeMs : 0;
}

/** `npm ci` when node_modules is missing or older than package-lock.json. */
export function ensureNodeModules() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && mtime(marker) >= mtime(lock)) return;
  console.log('voxseg: installing npm packages…');
  // onnxruntime-node's install script would fetch GPU binaries from the internet; the CPU
  // binaries ship in the package, which is all voxseg uses.
  const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' };
  const status = run('npm', [existsSync(lock) ? 'ci' : 'install', '--no-audit', '--no-fund'], { env });
  if (status !== 0) throw new Error('npm install failed');
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** True when Debian's python3 imports `modules` (pydicom for the SEG tests, torch for training). */
function hasPython(modules) {
  return spawnSync('/usr/bin/python3', ['-c', `import ${modules}`], { stdio: 'ignore' }).status === 0;
}

/** Debian packages the tests use; installed with apt-get when missing (root only). */
export function ensureSystemPackages() {
  const wanted = [
    ['chromium', 'chromium'],
    ['dcm2niix', 'dcm2niix'],
    ['dciodvfy', 'dicom3tools'],
    ['ojph_compress', 'openjph-tools'],
    ['gdcmconv', 'libgdcm-tools'],
    ['dcmdjpeg', 'dcmtk'],
    ['opj_compress', 'libopenjp2-tools'],
    ['Orthanc', 'orthanc'],
  ];
  const missing = wanted.filter(([cmd]) => !has(cmd)).map(([, pkg]) => pkg);
  // The DICOMweb tests run against a real Orthanc with its DICOMweb plugin.
  if (!existsSync('/usr/share/orthanc/plugins/libOrthancDicomWeb.so')) missing.push('orthanc-dicomweb');
  if (!hasPython('pydicom, numpy')) missing.push('python3-pydicom', 'python3-numpy');
  // The training pipeline (training/, checked by a --smoke run in the unit tests).
  if (!hasPython('torch, onnx, nibabel, scipy'))
    missing.push('python3-torch', 'python3-onnx', 'python3-nibabel', 'python3-scipy');
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !has('apt-get')) {
    console.warn(`voxseg: missing ${missing.join(', ')}; tests that need them will be skipped (install with apt-get).`);
    return;
  }
  console.log(`voxseg: installing Debian packages ${missing.join(', ')}…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execSync('apt-get update -qq', { stdio: 'inherit', env });
  execSync(`apt-get install -y -qq --no-install-recommends ${missing.join(' ')} fonts-dejavu-core`, {
    stdio: 'inherit',
    env,
  });
}

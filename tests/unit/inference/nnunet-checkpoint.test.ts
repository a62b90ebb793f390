/**
 * The safe PyTorch checkpoint reader against real `torch.save` output: a Python snippet saves a
 * dict shaped like nnU-Net's checkpoint (float32 / float16 / bfloat16 / float64 weights, views with
 * odd strides, shared storages, a 0-d and an empty tensor, a real SGD optimizer state, numpy values
 * in the logging, plans and dataset.json in init_args) plus every weight as raw float32, and the
 * reader must reproduce each value bit for bit. Hand-made pickles (never run by Python) check that
 * anything beyond plain data is refused with the global and the file named, and that damaged or
 * truncated archives, unknown opcodes, deep nesting and the legacy format give clear answers.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../src/core/errors';
import { readCheckpointEntry, readTorchCheckpoint } from '../../../src/inference/nnunet/checkpoint';
import { crc32 } from '../../../src/core/crc32';
import { openZip, sourceFilesFromZip } from '../../../src/inference/nnunet/zip';

const python = '/usr/bin/python3';
const hasTorch =
  existsSync(python) && spawnSync(python, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
const describeTorch = hasTorch ? describe : describe.skip;
const torchTitle = hasTorch
  ? 'torch.save checkpoints'
  : 'torch.save checkpoints [skipped: /usr/bin/python3 with torch and numpy (Debian python3-torch) not installed]';
const hasNumpy = existsSync(python) && spawnSync(python, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
const hasZipTool = spawnSync('zip', ['-v'], { stdio: 'ignore' }).status === 0;

/** Saves an nnU-Net-shaped checkpoint, its reference values and a result zip holding it. */
const SCRIPT = String.raw`
import json, os, sys, zipfile
from collections import OrderedDict
import numpy as np
import torch

out = sys.argv[1]
torch.manual_seed(0)
sd = OrderedDict()
sd['encoder.stages.0.0.convs.0.conv.weight'] = torch.randn(8, 1, 3, 3, 3)
sd['encoder.stages.0.0.convs.0.conv.bias'] = torch.randn(8)
sd['decoder.transpconvs.0.weight'] = torch.randn(4, 8, 2, 2, 2).transpose(0, 1)  # a non-contiguous view
sd['permuted'] = torch.randn(3, 4, 5).permute(2, 0, 1)
sd['strided'] = torch.randn(6, 10)[:, ::3]
special = [0.0, -0.0, 1.0, -2.5, 65504.0, -65504.0, 6e-08, 1e-07, 6.1e-05, 1e-05, float('inf'), float('-inf')]
sd['half'] = torch.cat([torch.tensor(special, dtype=torch.float16), torch.randn(20).half()])
sd['bf16'] = torch.cat([torch.tensor(special + [3e38, 1e-40], dtype=torch.bfloat16), torch.randn(30).bfloat16()]).view(4, 11)
sd['double'] = torch.randn(5, 3, dtype=torch.float64) * 1e3
shared = torch.randn(100)
sd['shared.a'] = shared[10:30].view(4, 5)
sd['shared.b'] = shared[50:60]
sd['scalar'] = torch.tensor(3.25)
sd['empty'] = torch.zeros(0, 3)
sd['norm.num_batches_tracked'] = torch.tensor(7)
sd._metadata = OrderedDict([('', {'version': 1})])

model = torch.nn.Sequential(torch.nn.Conv3d(1, 2, 3), torch.nn.InstanceNorm3d(2, affine=True))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.99, nesterov=True, weight_decay=3e-5)
model(torch.randn(1, 1, 5, 5, 5)).sum().backward()
opt.step()
scaler = {'scale': 65536.0, 'growth_factor': 2.0, 'backoff_factor': 0.5, 'growth_interval': 2000, '_growth_tracker': 3}
plans = {
    'dataset_name': 'Dataset099_Test', 'plans_name': 'nnUNetPlans',
    'configurations': {'3d_fullres': {'patch_size': [64, 128, 128], 'spacing': [3.0, 0.8, 0.8], 'batch_size': 2,
        'architecture': {'network_class_name': 'dynamic_network_architectures.architectures.unet.PlainConvUNet',
            'arch_kwargs': {'n_stages': 2, 'features_per_stage': [8, 16], 'conv_bias': True,
                'kernel_sizes': [[1, 3, 3], [3, 3, 3]], 'norm_op_kwargs': {'eps': 1e-05, 'affine': True}}}}},
    'foreground_intensity_properties_per_channel': {'0': {'mean': 101.5, 'std': 54.25, 'percentile_00_5': -958.0, 'percentile_99_5': 1100.0}},
    'transpose_forward': [0, 1, 2], 'nested': {'t': (1, 2), 'none': None, 'flag': False, 'neg': -12345678901, '10': 'x', '2': 'y'},
}
dataset_json = {'channel_names': {'0': 'CT'}, 'labels': {'background': 0, 'liver': 1}, 'numTraining': 3, 'file_ending': '.nii.gz'}
logging = {
    'mean_fg_dice': [np.float64(0.5), np.float64(0.625)],
    'ema_fg_dice': [np.float32(0.1), np.float64(0.2)],
    'dice_per_class_or_region': [[np.float64(0.25), np.float32(0.75)]],
    'train_losses': [np.float32(-0.123456789), 1.5],
    'epoch_start_timestamps': [1700000000.123456],
    'arr': np.array([[1.5, 2.5], [3.5, -4.5]]),
    'iarr': np.arange(3, dtype=np.int64),
    'flag': np.bool_(True),
    'count': np.int64(42),
}
ckpt = {
    'network_weights': sd, 'optimizer_state': opt.state_dict(), 'grad_scaler_state': scaler, 'logging': logging,
    '_best_ema': np.float64(0.75), 'current_epoch': 1000,
    'init_args': {'plans': plans, 'configuration': '3d_fullres', 'fold': 0, 'dataset_json': dataset_json,
                  'unpack_dataset': True, 'device': torch.device('cpu')},
    'trainer_name': 'nnUNetTrainer', 'inference_allowed_mirroring_axes': (0, 1, 2),
}
torch.save(ckpt, os.path.join(out, 'checkpoint.pth'))
torch.save({'network_weights': sd}, os.path.join(out, 'legacy.pth'), _use_new_zipfile_serialization=False)

ref, blob = [], bytearray()
for name, t in sd.items():
    if t.is_floating_point():
        a = t.float().contiguous().numpy()
        ref.append({'name': name, 'shape': list(t.shape), 'dtype': str(t.dtype)[6:], 'offset': len(blob), 'count': int(a.size)})
        blob += a.tobytes()
open(os.path.join(out, 'ref.bin'), 'wb').write(bytes(blob))

def plain(v):
    if isinstance(v, dict): return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)): return [plain(x) for x in v]
    if isinstance(v, np.ndarray): return {'dtype': v.dtype.str[1:], 'shape': list(v.shape), 'data': v.ravel().tolist()}
    if isinstance(v, np.generic): return v.item()
    if isinstance(v, torch.Tensor): return None
    return v
storages = {t.storage().data_ptr() for t in sd.values()}
json.dump({'weights': ref, 'plans': plain(plans), 'dataset_json': dataset_json, 'logging': plain(logging),
           'grad_scaler_state': scaler, 'optimizer_state': plain(opt.state_dict()), 'weight_storages': len(storages)},
          open(os.path.join(out, 'ref.json'), 'w'))

root = 'Dataset099_Test/nnUNetTrainer__nnUNetPlans__3d_fullres'
with zipfile.ZipFile(os.path.join(out, 'result.zip'), 'w', zipfile.ZIP_DEFLATED) as z:
    for d in ['Dataset099_Test/', root + '/', root + '/fold_0/']:
        z.writestr(zipfile.ZipInfo(d), b'')
    z.writestr(root + '/plans.json', json.dumps(plans, indent=2))
    z.writestr(root + '/dataset.json', json.dumps(dataset_json, indent=2))
    z.write(os.path.join(out, 'checkpoint.pth'), root + '/fold_0/checkpoint_final.pth')
`;

/**
 * torch 2.x shapes that torch 1.13 does not write: _rebuild_tensor_v3 over an UntypedStorage with
 * a dtype argument (float32 and bfloat16), _rebuild_parameter, a 'byteorder' entry. Python's own
 * pickler writes the file; the globals are stand-ins carrying torch's module and names.
 */
const TORCH2_SCRIPT = String.raw`
import io, json, os, pickle, sys, types, zipfile
from collections import OrderedDict
import numpy as np

out = sys.argv[1]
# Stand-ins named like torch 2.x's globals (torch itself is not imported): the pickler writes
# their module.name, which is all the file carries.
torch = types.ModuleType('torch'); utils = types.ModuleType('torch._utils')
sys.modules['torch'] = torch; sys.modules['torch._utils'] = utils; torch._utils = utils
def named(mod, name, obj):
    obj.__module__ = mod.__name__; obj.__qualname__ = name; obj.__name__ = name; setattr(mod, name, obj); return obj
for n in ['UntypedStorage', 'FloatStorage', 'float32', 'bfloat16']:
    named(torch, n, type(n, (), {}))
for n in ['_rebuild_tensor_v3', '_rebuild_tensor_v2', '_rebuild_parameter']:
    named(utils, n, (lambda *a: None))
class Storage:
    def __init__(self, cls, key, numel): self.pid = ('storage', cls, key, 'cuda:0', numel)
class Call:
    def __init__(self, fn, *args): self.fn, self.args = fn, args
    def __reduce__(self): return (self.fn, self.args)
class P(pickle.Pickler):
    def persistent_id(self, obj): return obj.pid if isinstance(obj, Storage) else None

f32 = (np.arange(24, dtype=np.float32) * 1.25 - 7).astype('<f4')
bf = (np.arange(12, dtype=np.float32) - 5.5).view(np.uint32)
bf16 = (bf >> 16).astype('<u2')  # exact: these values have zero low halves
untyped = Storage(torch.UntypedStorage, '0', f32.nbytes)
sd = OrderedDict()
sd['v3'] = Call(utils._rebuild_tensor_v3, untyped, 2, (2, 3), (1, 2), False, OrderedDict(), torch.float32)
sd['param'] = Call(utils._rebuild_parameter, Call(utils._rebuild_tensor_v2, Storage(torch.FloatStorage, '2', 24), 10, (7,), (2,), False, OrderedDict()), True, OrderedDict())
sd['v3.bf16'] = Call(utils._rebuild_tensor_v3, Storage(torch.UntypedStorage, '1', bf16.nbytes), 1, (2, 5), (5, 1), False, OrderedDict(), torch.bfloat16)
buf = io.BytesIO(); P(buf, protocol=2).dump({'network_weights': sd}); pkl = buf.getvalue()
ref = {'v3': np.lib.stride_tricks.as_strided(f32[2:], (2, 3), (4, 8)).ravel().tolist(),
       'param': f32[10::2][:7].tolist(),
       'v3.bf16': (np.arange(12, dtype=np.float32) - 5.5)[1:11].tolist()}
for order in ['little', 'big']:
    with zipfile.ZipFile(os.path.join(out, f'v3-{order}.pth'), 'w') as z:
        z.writestr('model/data.pkl', pkl); z.writestr('model/byteorder', order)
        z.writestr('model/data/0', f32.tobytes()); z.writestr('model/data/1', bf16.tobytes()); z.writestr('model/data/2', f32.tobytes())
json.dump(ref, open(os.path.join(out, 'v3.json'), 'w'))
`;

// --- hand-made pickles (bytes assembled here; Python never runs them) ----------------------------

const enc = new TextEncoder();
function str(s: string): number[] {
  const b = enc.encode(s);
  return [0x58, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24, ...b]; // BINUNICODE
}
const ascii = (s: string): number[] => [...enc.encode(s)];

/** A torch-style zip (stored entries under one archive folder) around a pickle. */
function torchZip(pkl: number[] | Uint8Array, extra: Record<string, Uint8Array> = {}): Uint8Array {
  return zipSync(
    { 'archive/data.pkl': new Uint8Array(pkl), 'archive/version': enc.encode('3\n'), ...extra },
    { level: 0 },
  );
}

function thrown(fn: () => unknown): VoxsegError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VoxsegError);
    return err as VoxsegError;
  }
  throw new Error('expected an error');
}

/** Offset of an entry's data in the archive (after its local header). */
function dataOffset(bytes: Uint8Array, entryOffset: number): number {
  return (
    entryOffset +
    30 +
    (bytes[entryOffset + 26] | (bytes[entryOffset + 27] << 8)) +
    (bytes[entryOffset + 28] | (bytes[entryOffset + 29] << 8))
  );
}

describe('pickle and zip safety (hand-made input)', () => {
  it('refuses a global that is not on the allow-list, naming it and the file', () => {
    // {'network_weights': os.system('echo pwned')} in protocol 2.
    const pkl = [
      0x80,
      2,
      0x7d,
      0x28,
      ...str('network_weights'),
      0x63,
      ...ascii('os\nsystem\n'),
      ...str('echo pwned'),
      0x85,
      0x52,
      0x75,
      0x2e,
    ];
    const err = thrown(() => readTorchCheckpoint(torchZip(pkl), 'evil.pth'));
    expect(err.code).toBe('invalid-model');
    expect(err.message).toBe('evil.pth: unsupported pickle content: global os.system');
    // Protocol 4: STACK_GLOBAL inside a FRAME.
    const body = [...str('builtins'), ...str('eval'), 0x93, ...str('1+1'), 0x85, 0x52, 0x2e];
    const p4 = [0x80, 4, 0x95, body.length, 0, 0, 0, 0, 0, 0, 0, ...body];
    expect(thrown(() => readTorchCheckpoint(torchZip(p4), 'evil4.pth')).message).toBe(
      'evil4.pth: unsupported pickle content: global builtins.eval',
    );
  });

  it('names an unknown opcode and its offset; a cut pickle is truncated', () => {
    const err = thrown(() => readTorchCheckpoint(torchZip([0x80, 2, 0x7d, 0xff, 0x2e]), 'odd.pth'));
    expect(err.message).toMatch(/^odd\.pth: unknown pickle opcode 0xff \(pickle offset 3\)$/);
    const cut = [0x80, 2, 0x7d, 0x28, ...str('network_weights')].slice(0, 9);
    const t = thrown(() => readTorchCheckpoint(torchZip(cut), 'cut.pth'));
    expect(t.code).toBe('truncated');
    expect(t.message).toContain('cut.pth: pickle is truncated');
    // A length field far beyond the buffer is rejected before any allocation.
    const huge = thrown(() =>
      readTorchCheckpoint(torchZip([0x80, 4, 0x8e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x2e]), 'huge.pth'),
    );
    expect(huge.code).toBe('truncated');
  });

  it('converts very deep nesting without recursion and refuses cycles', () => {
    const depth = 100_000;
    // {'network_weights': {}, 'deep': [[[...]]]}: EMPTY_LIST x depth, then APPEND x (depth-1).
    const pkl = new Uint8Array(32 + 2 * depth + 40);
    let p = 0;
    const put = (...b: number[]): void => {
      pkl.set(b, p);
      p += b.length;
    };
    put(0x80, 2, 0x7d, 0x28, ...str('network_weights'), 0x7d, ...str('deep'));
    for (let i = 0; i < depth; i++) put(0x5d);
    for (let i = 1; i < depth; i++) put(0x61);
    put(0x75, 0x2e);
    const bytes = torchZip(pkl.subarray(0, p));
    let v = readCheckpointEntry(bytes, 'deep.pth', 'deep');
    let levels = 0;
    while (Array.isArray(v) && v.length) {
      v = v[0];
      levels++;
    }
    expect(levels).toBe(depth - 1);
    expect(readTorchCheckpoint(bytes, 'deep.pth').weights.size).toBe(0);
    // l = []; l.append(l): EMPTY_LIST, BINPUT 0, BINGET 0, APPEND.
    const cyc = [0x80, 2, 0x7d, 0x28, ...str('cycle'), 0x5d, 0x71, 0, 0x68, 0, 0x61, 0x75, 0x2e];
    expect(thrown(() => readCheckpointEntry(torchZip(cyc), 'cyc.pth', 'cycle')).message).toContain(
      'cyc.pth: cyclic data',
    );
  });

  it('checks CRC-32, compression method and the end record of zips written by another tool', () => {
    const payload = enc.encode('nnU-Net '.repeat(1000));
    const zip = zipSync({
      'dir/a.txt': [payload, { level: 6 }],
      'dir/b.bin': [new Uint8Array([1, 2, 3, 4]), { level: 0 }],
    });
    const archive = openZip(zip, 'weights.zip');
    const a = archive.get('dir/a.txt')!;
    expect(a.method).toBe(8);
    expect(a.crc32).toBe(crc32(payload));
    expect(new TextDecoder().decode(archive.read(a))).toBe('nnU-Net '.repeat(1000));

    const bad = zip.slice();
    const b = archive.get('dir/b.bin')!;
    bad[dataOffset(bad, b.offset)] ^= 0x40; // stored entry data
    const err = thrown(() => openZip(bad, 'weights.zip').read('dir/b.bin'));
    expect(err.code).toBe('invalid-model');
    expect(err.message).toMatch(/^weights\.zip: zip archive is corrupt \(dir\/b\.bin: CRC-32 mismatch/);
    bad[dataOffset(bad, a.offset) + 5] ^= 0xff; // deflate stream
    expect(thrown(() => openZip(bad, 'weights.zip').read('dir/a.txt')).message).toMatch(
      /^weights\.zip: zip archive is corrupt \(dir\/a\.txt: /,
    );

    const bz = zip.slice();
    bz[b.offset + 8] = 12; // local header method (the central directory is what counts)
    const cd = bz.length - 22 - (46 + 9) * 2;
    expect(bz[cd] === 0x50 && bz[cd + 1] === 0x4b).toBe(true);
    bz[cd + 46 + 9 + 10] = 12; // central method of the second entry (bzip2)
    const unsup = thrown(() => openZip(bz, 'weights.zip').read('dir/b.bin'));
    expect(unsup.code).toBe('unsupported');
    expect(unsup.message).toContain('dir/b.bin: zip compression method 12');

    const cut = thrown(() => openZip(zip.subarray(0, zip.length - 30), 'cut.zip'));
    expect(cut.code).toBe('truncated');
    expect(cut.message).toBe('cut.zip: zip archive is truncated (end-of-central-directory record not found)');
    expect(thrown(() => readTorchCheckpoint(enc.encode('hello'), 'x.pth')).message).toBe(
      'x.pth: not a PyTorch checkpoint (not a zip archive)',
    );
  });

  (hasZipTool ? it : it.skip)('reads a zip64 archive written by Info-ZIP (zip -fz)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'voxseg-zip64-'));
    try {
      mkdirSync(join(dir, 'Dataset001_X', 'fold_0'), { recursive: true });
      const text = JSON.stringify({ labels: Array.from({ length: 500 }, (_, i) => `label_${i}`) });
      writeFileSync(join(dir, 'Dataset001_X', 'plans.json'), text);
      const rnd = new Uint8Array(5000).map((_, i) => (i * 2654435761) >>> 24);
      writeFileSync(join(dir, 'Dataset001_X', 'fold_0', 'x.bin'), rnd);
      const r = spawnSync('zip', ['-q', '-r', '-fz', 'out.zip', 'Dataset001_X'], { cwd: dir });
      expect(r.status).toBe(0);
      const bytes = new Uint8Array(readFileSync(join(dir, 'out.zip')));
      expect(Buffer.from(bytes).includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(true); // zip64 end record present
      const files = sourceFilesFromZip(bytes, 'out.zip');
      expect(files.map((f) => f.path).sort()).toEqual(['Dataset001_X/fold_0/x.bin', 'Dataset001_X/plans.json']);
      const plans = files.find((f) => f.path.endsWith('plans.json'))!;
      expect(plans.size).toBe(text.length);
      const byName = new Map(await Promise.all(files.map(async (f) => [f.path, await f.read()] as const)));
      expect(new TextDecoder().decode(byName.get('Dataset001_X/plans.json'))).toBe(text);
      expect(byName.get('Dataset001_X/fold_0/x.bin')).toEqual(rnd);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeTorch(torchTitle, () => {
  const dir = mkdtempSync(join(tmpdir(), 'voxseg-ckpt-'));
  let ckpt: Uint8Array;
  let ref: {
    weights: { name: string; shape: number[]; dtype: string; offset: number; count: number }[];
    plans: unknown;
    dataset_json: unknown;
    logging: unknown;
    grad_scaler_state: unknown;
    optimizer_state: { state: Record<string, unknown>; param_groups: unknown };
    weight_storages: number;
  };
  let refBin: Uint8Array;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(() => {
    const r = spawnSync(python, ['-c', SCRIPT, dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`reference script failed:\n${r.stderr}`);
    ckpt = new Uint8Array(readFileSync(join(dir, 'checkpoint.pth')));
    ref = JSON.parse(readFileSync(join(dir, 'ref.json'), 'utf8'));
    refBin = new Uint8Array(readFileSync(join(dir, 'ref.bin')));
  }, 60_000);

  function expectWeightsExact(weights: ReturnType<typeof readTorchCheckpoint>['weights']): void {
    expect([...weights.keys()]).toEqual(ref.weights.map((w) => w.name));
    for (const w of ref.weights) {
      const t = weights.get(w.name)!;
      expect({ name: w.name, shape: t.shape, dtype: t.dtype }).toEqual({
        name: w.name,
        shape: w.shape,
        dtype: w.dtype,
      });
      const want = new Uint32Array(refBin.slice(w.offset, w.offset + 4 * w.count).buffer);
      const got = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
      expect(got.length).toBe(w.count);
      let mismatch = -1;
      for (let i = 0; i < w.count && mismatch < 0; i++) if (got[i] !== want[i]) mismatch = i;
      expect({ name: w.name, mismatch }).toEqual({ name: w.name, mismatch: -1 });
    }
  }

  it('reads every network weight exactly (dtypes, views, shared storages, 0-d, empty)', () => {
    const { weights, info } = readTorchCheckpoint(ckpt, 'checkpoint_final.pth');
    expectWeightsExact(weights);
    expect(weights.get('scalar')!.shape).toEqual([]);
    expect(Array.from(weights.get('scalar')!.data)).toEqual([3.25]);
    expect(weights.get('empty')!.data.length).toBe(0);
    expect(weights.get('half')!.data[6]).toBe(5.960464477539063e-8); // float16 subnormal
    expect(info.skipped).toEqual([{ name: 'norm.num_batches_tracked', reason: 'int64 tensor' }]);
  });

  it('returns the plain-data facts of the checkpoint', () => {
    const { info } = readTorchCheckpoint(ckpt, 'checkpoint_final.pth');
    expect(info.keys).toEqual([
      'network_weights',
      'optimizer_state',
      'grad_scaler_state',
      'logging',
      '_best_ema',
      'current_epoch',
      'init_args',
      'trainer_name',
      'inference_allowed_mirroring_axes',
    ]);
    expect(info.weightsKey).toBe('network_weights');
    expect(info.trainerName).toBe('nnUNetTrainer');
    expect(info.currentEpoch).toBe(1000);
    expect(info.inferenceAllowedMirroringAxes).toEqual([0, 1, 2]);
    expect(info.configuration).toBe('3d_fullres');
    expect(info.fold).toBe(0);
    expect(info.plans).toEqual(ref.plans);
    // Python's key order is kept, except that JS objects list integer-like keys first.
    expect(Object.keys((info.plans as { nested: object }).nested)).toEqual(['2', '10', 't', 'none', 'flag', 'neg']);
    expect(info.datasetJson).toEqual(ref.dataset_json);
  });

  it('decodes numpy values in the logging and parses the optimizer state', () => {
    expect(readCheckpointEntry(ckpt, 'c.pth', 'logging')).toEqual(ref.logging);
    expect(readCheckpointEntry(ckpt, 'c.pth', 'grad_scaler_state')).toEqual(ref.grad_scaler_state);
    expect(readCheckpointEntry(ckpt, 'c.pth', '_best_ema')).toBe(0.75);
    const opt = readCheckpointEntry(ckpt, 'c.pth', 'optimizer_state') as {
      state: Record<string, { momentum_buffer: null }>;
      param_groups: unknown;
    };
    expect(opt.param_groups).toEqual(ref.optimizer_state.param_groups);
    expect(Object.keys(opt.state)).toEqual(Object.keys(ref.optimizer_state.state));
    expect(Object.values(opt.state).every((s) => s.momentum_buffer === null)).toBe(true); // tensors are not data
  });

  it('never reads storages outside the weights; a damaged weight storage fails its CRC', () => {
    const zip = openZip(ckpt, 'c.pth');
    const prefix = zip.entries[0].path.split('/')[0];
    const optimizerStorage = zip.get(`${prefix}/data/${ref.weight_storages}`)!; // first storage after the weights'
    expect(optimizerStorage.size).toBeGreaterThan(0);
    const damagedOpt = ckpt.slice();
    damagedOpt[dataOffset(damagedOpt, optimizerStorage.offset)] ^= 0xff;
    expectWeightsExact(readTorchCheckpoint(damagedOpt, 'c.pth').weights);
    expect(() => openZip(damagedOpt, 'c.pth').read(optimizerStorage.path)).toThrow(/CRC-32 mismatch/);

    const damaged = ckpt.slice();
    damaged[dataOffset(damaged, zip.get(`${prefix}/data/0`)!.offset) + 3] ^= 0x01;
    const err = thrown(() => readTorchCheckpoint(damaged, 'fold_0/checkpoint_final.pth'));
    expect(err.message).toMatch(
      new RegExp(`^fold_0/checkpoint_final\\.pth: zip archive is corrupt \\(${prefix}/data/0: CRC-32 mismatch`),
    );
  });

  it('gives clear errors for a truncated file, a missing key and the legacy format', () => {
    const cut = thrown(() => readTorchCheckpoint(ckpt.subarray(0, ckpt.length >> 1), 'checkpoint_best.pth'));
    expect(cut.code).toBe('truncated');
    expect(cut.message).toBe(
      'checkpoint_best.pth: zip archive is truncated (end-of-central-directory record not found)',
    );
    const missing = thrown(() => readTorchCheckpoint(ckpt, 'c.pth', { key: 'state_dict' }));
    expect(missing.message).toBe(
      "c.pth: checkpoint has no 'state_dict' entry; top-level keys: network_weights, optimizer_state, grad_scaler_state, logging, _best_ema, current_epoch, init_args, trainer_name, inference_allowed_mirroring_axes",
    );
    const legacy = thrown(() => readTorchCheckpoint(new Uint8Array(readFileSync(join(dir, 'legacy.pth'))), 'old.pth'));
    expect(legacy.code).toBe('unsupported');
    expect(legacy.message).toMatch(
      /^old\.pth: this is PyTorch's legacy checkpoint format .* re-save it with a current PyTorch/,
    );
  });

  it('reads a deflated result zip through sourceFilesFromZip', async () => {
    const bytes = new Uint8Array(readFileSync(join(dir, 'result.zip')));
    const root = 'Dataset099_Test/nnUNetTrainer__nnUNetPlans__3d_fullres';
    const files = sourceFilesFromZip(bytes, 'Dataset099_Test.zip');
    expect(files.map((f) => f.path)).toEqual([
      `${root}/plans.json`,
      `${root}/dataset.json`,
      `${root}/fold_0/checkpoint_final.pth`,
    ]);
    expect(
      openZip(bytes, 'r.zip')
        .entries.filter((e) => !e.isDirectory)
        .every((e) => e.method === 8),
    ).toBe(true);
    const pth = files[2];
    expect(pth.size).toBe(ckpt.length);
    const inflated = await pth.read();
    expect(inflated).toEqual(ckpt);
    expectWeightsExact(readTorchCheckpoint(inflated, pth.path).weights);
    expect(JSON.parse(new TextDecoder().decode(await files[0].read()))).toEqual(ref.plans);
  });
});

(hasNumpy ? describe : describe.skip)(
  hasNumpy ? 'torch 2.x pickle shapes' : 'torch 2.x pickle shapes [skipped: /usr/bin/python3 with numpy not installed]',
  () => {
    it('reads _rebuild_tensor_v3 on untyped storages and parameters; refuses big-endian files', () => {
      const dir = mkdtempSync(join(tmpdir(), 'voxseg-ckpt2-'));
      try {
        const r = spawnSync(python, ['-c', TORCH2_SCRIPT, dir], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`script failed:\n${r.stderr}`);
        const want = JSON.parse(readFileSync(join(dir, 'v3.json'), 'utf8')) as Record<string, number[]>;
        const { weights } = readTorchCheckpoint(new Uint8Array(readFileSync(join(dir, 'v3-little.pth'))), 'v3.pth');
        expect([...weights].map(([k, t]) => [k, t.shape, t.dtype, Array.from(t.data)])).toEqual([
          ['v3', [2, 3], 'float32', want.v3],
          ['param', [7], 'float32', want.param],
          ['v3.bf16', [2, 5], 'bfloat16', want['v3.bf16']],
        ]);
        const big = thrown(() => readTorchCheckpoint(new Uint8Array(readFileSync(join(dir, 'v3-big.pth'))), 'big.pth'));
        expect(big.code).toBe('unsupported');
        expect(big.message).toContain('big.pth: checkpoint was saved as big-endian data');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);

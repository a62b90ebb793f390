/**
 * Hostile model manifests picked in the app: a `model.file` outside the model folder and a patch
 * beyond the tab's memory budget are refused when picked, with one banner naming the manifest and
 * the cause; the model list is unchanged and a valid model is still added afterwards.
 */
import { describe, expect, it } from 'vitest';
import { Notices } from '../../../src/app/notices.svelte';
import { Session } from '../../../src/app/session.svelte';
import { Segmenter } from '../../../src/app/segment/segmenter.svelte';
import { BROWSER_BUDGET } from '../../../src/inference/budget';
import type { PickedFile } from '../../../src/inference/models';

function picked(name: string, content: string | Uint8Array): PickedFile {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  return {
    name,
    text: async () => new TextDecoder().decode(bytes),
    arrayBuffer: async () => bytes.slice().buffer,
  };
}

function manifest(id: string, file: string, patch: number[]) {
  return JSON.stringify({
    schema: 'voxseg-model/1',
    id,
    name: id,
    version: '1',
    license: 'MIT',
    provenance: { source: 'test' },
    intended: { modality: ['CT'], bodyPart: 'abdomen' },
    model: { file, input: 'input', output: 'output', layout: 'NCDHW', channels: 2 },
    labels: [{ value: 1, name: 'liver', color: [200, 80, 60] }],
    preprocessing: {
      mode: 'sliding-window',
      spacing: [1, 1, 1],
      orientation: 'LPS',
      patch,
      normalization: { kind: 'none' },
    },
    postprocessing: { activation: 'softmax', decision: 'argmax' },
  });
}

/** The ONNX bytes are never parsed when a model is picked; any bytes do. */
const onnx = () => picked('model.onnx', new Uint8Array([8, 1, 2, 3]));

function makeSegmenter() {
  const notices = new Notices();
  const segmenter = new Segmenter(notices, () => undefined, new Session(notices));
  return { notices, segmenter };
}

describe('hostile manifests picked in the app', () => {
  it('a model.file outside the model folder: refused, named, not added', async () => {
    const { notices, segmenter } = makeSegmenter();
    await segmenter.loadFromFiles([
      picked('manifest.json', manifest('outside', '../../etc/passwd', [32, 32, 32])),
      onnx(),
    ]);
    expect(segmenter.models).toEqual([]);
    expect(notices.items).toHaveLength(1);
    const [n] = notices.items;
    expect(n.level).toBe('error');
    expect(n.file).toBe('manifest.json');
    expect(n.message).toContain('model.file');
    expect(n.message).toContain('../../etc/passwd');
  });

  it('a 1024³ patch: refused with the estimate against the budget; a valid model is added afterwards', async () => {
    const { notices, segmenter } = makeSegmenter();
    await segmenter.loadFromFiles([
      picked('manifest.json', manifest('huge', 'model.onnx', [1024, 1024, 1024])),
      onnx(),
    ]);
    expect(segmenter.models).toEqual([]);
    expect(notices.items).toHaveLength(1);
    const [n] = notices.items;
    expect(n.file).toBe('manifest.json');
    // 1024³ float32 is 4.3 GB for the input batch alone: more than the tab's budget.
    expect(4 * 1024 ** 3).toBeGreaterThan(BROWSER_BUDGET);
    expect(n.message).toMatch(/1024.1024.1024/);
    expect(n.message).toMatch(/memory budget/);

    await segmenter.loadFromFiles([picked('manifest.json', manifest('fine', 'model.onnx', [64, 64, 64])), onnx()]);
    expect(segmenter.models.map((m) => m.key)).toEqual(['user/fine']);
    expect(segmenter.selectedKey).toBe('user/fine');
    expect(notices.items).toHaveLength(1);
    segmenter.dispose();
  });
});

/// <reference lib="webworker" />
/**
 * Load worker: reads one file (a Blob, cheap to post), decodes its frames and rescales them into
 * a buffer of this file's slices, which goes back to the page as a transferable.
 */
import { VoxsegError, errorMessage } from '../../core/errors';
import { allocateVoxels } from '../../volume/volume';
import { registerBrowserCodecUrls } from '../decode/wasm-urls.browser';
import { decodeFileSlices } from '../loadfile';
import { blobSource } from '../source';
import type { Target } from '../values';
import type { DecodeFileReply, DecodeFileRequest } from './protocol';

registerBrowserCodecUrls();

self.onmessage = async (e: MessageEvent<DecodeFileRequest>) => {
  const r = e.data;
  const target: Target = { voxels: allocateVoxels(r.dtype, r.nx * r.ny * r.jobs.length) as Int16Array | Float32Array };
  let reply: DecodeFileReply;
  try {
    await decodeFileSlices(blobSource(r.file, r.name), r.header, target, { jobs: r.jobs, nx: r.nx, ny: r.ny, slot: (_, i) => i });
    reply = { id: r.id, ok: true, voxels: target.voxels, convertedAt: target.convertedAt };
  } catch (err) {
    const v = err instanceof VoxsegError ? err : undefined;
    const message = v?.file ? v.message.slice(v.file.length + 2) : errorMessage(err);
    reply = { id: r.id, ok: false, code: v?.code ?? 'decode-failed', message, file: v?.file ?? r.name };
  }
  (self as unknown as Worker).postMessage(reply, reply.ok ? [reply.voxels.buffer] : []);
};

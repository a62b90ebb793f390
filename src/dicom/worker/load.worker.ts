/// <reference lib="webworker" />
/**
 * Load worker: reads one file (a Blob, cheap to post), decodes its frames and rescales them into
 * a buffer of this file's slices, which goes back to the page as a transferable.
 */
import { VoxsegError, errorMessage } from '../../core/errors';
import { allocateVoxels } from '../../volume/volume';
import { registerBrowserCodecUrls } from '../decode/wasm-urls.browser';
import { decodeFileSlices } from '../loadfile';
import { scanFile } from '../scan';
import { blobSource } from '../source';
import type { Target } from '../values';
import { loadCodec } from '../decode/codecs';
import type { DecodeFileReply, LoadWorkerRequest } from './protocol';

registerBrowserCodecUrls();

const post = (reply: DecodeFileReply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(reply, transfer);

self.onmessage = async (e: MessageEvent<LoadWorkerRequest>) => {
  const r = e.data;
  if (r.type === 'warm') {
    // a codec that cannot start here fails again, with its message, on the first frame that needs it
    await Promise.allSettled([loadCodec('openjpeg'), loadCodec('charls'), loadCodec('libjpeg-turbo')]);
    return post({ id: r.id, ok: true, warm: true });
  }
  if (r.type === 'scan') return post({ id: r.id, ok: true, scan: await scanFile(blobSource(r.file, r.name)) });
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
  post(reply, reply.ok ? [reply.voxels.buffer] : []);
};

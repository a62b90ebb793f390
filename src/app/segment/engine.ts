/**
 * The page's workers: the inference engine (an `InferenceClient` over a module worker running
 * `src/inference/worker.ts`; all model work happens there, the page stays responsive) and the
 * nnU-Net converter (`src/inference/nnunet/convert-worker.ts`, no onnxruntime).
 */
import { InferenceClient } from '../../inference/client';
import { NnunetConverter } from '../../inference/nnunet/convert-client';

export function createInferenceClient(): InferenceClient {
  return new InferenceClient(
    () =>
      new Worker(new URL('../../inference/worker.ts', import.meta.url), { type: 'module', name: 'voxseg-inference' }),
  );
}

export function createConverter(): NnunetConverter {
  return new NnunetConverter(
    () =>
      new Worker(new URL('../../inference/nnunet/convert-worker.ts', import.meta.url), {
        type: 'module',
        name: 'voxseg-nnunet-import',
      }),
  );
}

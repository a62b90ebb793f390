/**
 * The page's inference engine: an `InferenceClient` over a module worker running
 * `src/inference/worker.ts` (all model work happens there; the page stays responsive).
 */
import { InferenceClient, type WorkerLike } from '../../inference/client';

export function createInferenceClient(): InferenceClient {
  return new InferenceClient(
    // A browser Worker has the shape the client needs; its handler types are just wider.
    () => new Worker(new URL('../../inference/worker.ts', import.meta.url), { type: 'module', name: 'voxseg-inference' }) as unknown as WorkerLike,
  );
}

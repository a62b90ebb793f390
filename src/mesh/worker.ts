/// <reference lib="webworker" />
/**
 * The mesh worker: serves `meshService()` (serve.ts) on its scope. Each finished label is sent at
 * once (its buffers transferred), so surfaces appear one by one.
 */
import { serveRpc } from '../core/rpc';
import type { MeshApi } from './protocol';
import { meshService } from './serve';

serveRpc<MeshApi>(self as DedicatedWorkerGlobalScope, meshService());

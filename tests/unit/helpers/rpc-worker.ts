/**
 * A worker in this thread for RPC tests: the page side is an RpcWorker, the worker side an
 * RpcScope, joined by a node:worker_threads MessageChannel, so messages are structured-cloned
 * and transfer lists really detach buffers (a SharedArrayBuffer is really shared).
 * `terminate()` closes the channel (the worker's code may run on, but nothing it posts arrives);
 * `crash()` fires onerror as a dying worker does.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { RpcScope, RpcWorker } from '../../../src/core/rpc';

export class FakeWorker implements RpcWorker {
  onmessage: RpcWorker['onmessage'] = null;
  onerror: RpcWorker['onerror'] = null;
  onmessageerror: RpcWorker['onmessageerror'] = null;
  terminated = false;
  /** Every transfer list given to postMessage. */
  readonly transfers: Transferable[][] = [];
  private readonly port: MessagePort;

  /** `serve` sets up the worker side on the scope it is given (e.g. serveRpc(scope, handlers)). */
  constructor(serve: (scope: RpcScope) => void) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    port1.on('message', (data: unknown) => this.onmessage?.({ data }));
    const scope: RpcScope = { onmessage: null, postMessage: (m, transfer) => port2.postMessage(m, transfer as never) };
    port2.on('message', (data: unknown) => scope.onmessage?.({ data }));
    port1.unref();
    port2.unref();
    serve(scope);
  }

  postMessage(message: unknown, transfer: Transferable[]): void {
    this.transfers.push(transfer);
    this.port.postMessage(message, transfer as never);
  }

  terminate(): void {
    this.terminated = true;
    this.port.close();
  }

  crash(message: string): void {
    this.onerror?.({ message });
  }
}

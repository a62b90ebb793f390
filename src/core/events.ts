/**
 * A small typed event emitter. `Events` maps each event name to its detail type:
 *   const e = new Emitter<{ progress: Progress; done: Volume }>();
 *   const off = e.on('progress', (p) => ...); e.emit('progress', {done: 1, total: 2});
 */
export class Emitter<Events extends object> {
  private listeners = new Map<keyof Events, Set<(detail: never) => void>>();

  on<K extends keyof Events>(name: K, fn: (detail: Events[K]) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(fn as (detail: never) => void);
    return () => set.delete(fn as (detail: never) => void);
  }

  emit<K extends keyof Events>(name: K, detail: Events[K]): void {
    for (const fn of this.listeners.get(name) ?? []) (fn as (d: Events[K]) => void)(detail);
  }
}

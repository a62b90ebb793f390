/**
 * Messages shown in the banner: errors (red) and warnings (amber). Plain text only.
 */
export interface Notice {
  id: number;
  level: 'error' | 'warning';
  /** Short headline, e.g. "Could not load series". */
  title: string;
  /** The file the message is about, when there is one. */
  file?: string;
  message: string;
  /** Further lines (e.g. one per skipped file). */
  details?: string[];
  /** One action offered with the message (e.g. Retry); running it dismisses the notice. */
  action?: { label: string; testid: string; run: () => void };
}

export class Notices {
  items = $state.raw<Notice[]>([]);
  private nextId = 1;

  push(n: Omit<Notice, 'id'>): number {
    const id = this.nextId++;
    this.items = [...this.items, { ...n, id }];
    return id;
  }

  dismiss(id: number): void {
    this.items = this.items.filter((n) => n.id !== id);
  }

  clear(): void {
    this.items = [];
  }
}

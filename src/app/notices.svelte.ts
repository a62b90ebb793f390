/**
 * Messages shown in the banner, the one place for them: errors (red) and warnings (amber). Plain
 * text only. A notice about the open study (`study`) goes when another study opens; the rest stay
 * until dismissed or until other files are opened (`Session.open` clears them).
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
  /** About the open study (a failed edit or export, an import warning): dropped when another one opens. */
  study?: boolean;
  /** A test id for the notice (e.g. 'rejected': the files not loaded). */
  testid?: string;
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

  /** Another study opened: the notices about the one before go. */
  dropStudy(): void {
    if (this.items.some((n) => n.study)) this.items = this.items.filter((n) => !n.study);
  }
}

/**
 * Autosave follows the open workspace: a segmentation adopted there starts a journal, each
 * committed change is appended (its diffs, as applied or undone, and its history entry), a structure
 * change writes a new base (with the recent undo history). A failed write is told to the user once
 * per run of failures (a full disk would otherwise raise one notice per stroke); the next
 * successful write ends the run.
 */
import { errorMessage } from '../../core/errors';
import type { Notices } from '../notices.svelte';
import { followWorkspace, type WorkspaceSource } from '../workspace.svelte';
import type { Autosave } from './autosave';

/** What the link uses of `Autosave`. */
export type Journal = Pick<Autosave, 'start' | 'append' | 'onError' | 'onSaved'>;

/** Journal the open workspace's segmentation into `journal`; returns the unlinker. */
export function linkAutosave(journal: Journal, source: WorkspaceSource, notices: Notices): () => void {
  let failing = false;
  journal.onSaved = () => (failing = false);
  journal.onError = (err) => {
    if (failing) return;
    failing = true;
    notices.push({
      level: 'warning',
      title: 'Autosave failed',
      message: `${errorMessage(err)}. Edits are not being saved in the browser; export the segmentation to keep it.`,
    });
  };
  return followWorkspace(source, (ws) => {
    const offs = [
      ws.events.on('segmentation', (seg) => seg && journal.start(seg)),
      ws.events.on('committed', ({ entry, dir, structure }) => {
        const seg = ws.seg;
        if (seg)
          journal.append(
            seg,
            entry.voxels.map((v) => ({ layer: v.layer, diff: v.diff, dir })),
            structure,
            { entry, dir },
          );
      }),
    ];
    if (ws.seg) journal.start(ws.seg);
    return () => offs.forEach((off) => off());
  });
}

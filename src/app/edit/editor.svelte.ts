/**
 * Editing, in three parts that share nothing but the open workspace: the tool settings
 * (`ToolSettings`), the stroke controller turning pointer input into edits (`StrokeController`)
 * and the segment list view model (`SegmentList`). `Editor` only holds the three and runs the
 * keyboard commands, which reach into more than one of them. The overlay, the 3D surfaces and
 * autosave are not called from here: they follow the workspace's change events.
 */
import { errorMessage } from '../../core/errors';
import type { Notices } from '../notices.svelte';
import type { ViewState } from '../view-state.svelte';
import type { LabelContent, Workspace, WorkspaceSource } from '../workspace.svelte';
import { SegmentList } from './segment-list.svelte';
import { StrokeController } from './stroke.svelte';
import { ToolSettings } from './tool-settings.svelte';
import type { CommandName } from './tools';

export type { EditCursor } from './stroke.svelte';
export type { SegmentStats } from './segment-list.svelte';

export class Editor {
  readonly tools: ToolSettings;
  readonly list: SegmentList;
  readonly strokes: StrokeController;

  constructor(
    view: ViewState,
    private readonly notices: Notices,
    private readonly source: WorkspaceSource,
  ) {
    this.tools = new ToolSettings(view);
    this.list = new SegmentList(notices, source);
    this.strokes = new StrokeController(view, notices, source, this.tools, this.list);
  }

  /**
   * Labels become the segmentation of `ws` (default: the open workspace); over an existing one
   * they are one undoable change. Errors go to the banner; false then.
   */
  show(c: LabelContent, ws: Workspace | null = this.source.workspace): boolean {
    if (!ws) return false;
    try {
      ws.setLabels(c);
      return true;
    } catch (err) {
      this.notices.push({ level: 'error', title: `Could not show ${c.title}`, message: errorMessage(err) });
      return false;
    }
  }

  command(name: CommandName): void {
    const list = this.list;
    switch (name) {
      case 'undo':
        return list.undo();
      case 'redo':
        return list.redo();
      case 'smaller':
      case 'larger':
        return this.tools.resize(name === 'larger' ? 1 : -1);
      case 'toggle3d':
        this.tools.mode3d = !this.tools.mode3d;
        return;
      case 'addSegment':
        list.addSegment();
        return;
      case 'prevSegment':
      case 'nextSegment':
        return list.step(name === 'nextSegment' ? 1 : -1);
      case 'toggleVisible':
      case 'toggleLock': {
        const s = list.activeSegment;
        if (s) list.update(s.value, name === 'toggleVisible' ? { visible: !s.visible } : { locked: !s.locked });
        return;
      }
      case 'interpolate':
        return list.operate('Interpolate', (seg, v) => seg.interpolate(v, this.strokes.lastAxis));
      case 'largest':
        return list.operate('Keep largest component', (seg, v) => seg.keepLargestComponent(v));
      case 'islands':
        return list.operate('Remove small islands', (seg, v) => seg.removeIslands(v, list.islandVoxels()));
    }
  }
}

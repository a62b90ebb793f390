/**
 * The editing tool and its settings: which tool, brush radius, 2D or 3D, scissors shape, the
 * threshold range and whether fill keeps to it. Plain settings; the stroke controller reads them.
 */
import type { ViewState } from '../view-state.svelte';
import { nextBrushSize, type ToolName } from './tools';

export class ToolSettings {
  tool = $state<ToolName>('navigate');
  radiusMm = $state(5);
  /** Sphere brush, 3D fill and sphere scissors instead of their 2D forms. */
  mode3d = $state(false);
  scissorsShape = $state<'rect' | 'circle'>('rect');
  /** Intensity range of the threshold brush (and of fill, when `fillInRange`). */
  threshold = $state<[number, number]>([-100, 300]);
  /** Fill only voxels inside `threshold` (else the whole connected region of the seed's label). */
  fillInRange = $state(false);

  constructor(private readonly view: ViewState) {}

  /** Pick a tool (scissors again toggles rectangle / circle); the views edit unless it is Navigate. */
  setTool(tool: ToolName): void {
    if (tool === 'scissors' && this.tool === 'scissors')
      this.scissorsShape = this.scissorsShape === 'rect' ? 'circle' : 'rect';
    this.tool = tool;
    this.view.viewer?.setEditing(tool !== 'navigate');
  }

  /** One brush size step up (1) or down (-1). */
  resize(step: 1 | -1): void {
    this.radiusMm = nextBrushSize(this.radiusMm, step);
  }

  /** Whether the tool has a brush radius (drawn as a circle under the pointer). */
  get hasRadius(): boolean {
    return this.tool === 'brush' || this.tool === 'eraser' || this.tool === 'threshold';
  }
}

/**
 * The editing tools and their keyboard shortcuts (pure data, shown in the tool bar and
 * matched by `shortcutFor`).
 */
export type ToolName = 'navigate' | 'brush' | 'eraser' | 'threshold' | 'fill' | 'scissors';

export interface ToolInfo {
  name: ToolName;
  label: string;
  key: string;
  hint: string;
}

export const TOOLS: readonly ToolInfo[] = [
  { name: 'navigate', label: 'Navigate', key: 'N', hint: 'Left drag: window/level' },
  { name: 'brush', label: 'Brush', key: 'B', hint: 'Paint the active segment (Alt: erase)' },
  { name: 'eraser', label: 'Eraser', key: 'E', hint: 'Erase the active segment (Alt: any unlocked)' },
  { name: 'threshold', label: 'Threshold', key: 'T', hint: 'Paint only voxels inside the intensity range' },
  { name: 'fill', label: 'Fill', key: 'F', hint: 'Fill the connected region under the click' },
  {
    name: 'scissors',
    label: 'Scissors',
    key: 'X',
    hint: 'Drag a shape: fill it (Alt: erase); X again: rectangle/circle',
  },
];

/** Commands with a shortcut besides the tools. */
export type CommandName =
  | 'undo'
  | 'redo'
  | 'smaller'
  | 'larger'
  | 'toggle3d'
  | 'interpolate'
  | 'largest'
  | 'islands'
  | 'addSegment'
  | 'prevSegment'
  | 'nextSegment'
  | 'toggleVisible'
  | 'toggleLock';

export interface CommandInfo {
  name: CommandName;
  label: string;
  /** As shown in the UI. */
  key: string;
}

export const COMMANDS: readonly CommandInfo[] = [
  { name: 'undo', label: 'Undo', key: 'Ctrl+Z' },
  { name: 'redo', label: 'Redo', key: 'Ctrl+Shift+Z / Ctrl+Y' },
  { name: 'smaller', label: 'Smaller brush', key: '[' },
  { name: 'larger', label: 'Larger brush', key: ']' },
  { name: 'toggle3d', label: '2D / 3D (circle or sphere, slice or volume fill)', key: '3' },
  { name: 'interpolate', label: 'Interpolate between edited slices', key: 'I' },
  { name: 'largest', label: 'Keep largest component', key: 'K' },
  { name: 'islands', label: 'Remove small islands', key: 'Shift+K' },
  { name: 'addSegment', label: 'Add segment', key: 'A' },
  { name: 'prevSegment', label: 'Previous segment', key: ',' },
  { name: 'nextSegment', label: 'Next segment', key: '.' },
  { name: 'toggleVisible', label: 'Show/hide active segment', key: 'H' },
  { name: 'toggleLock', label: 'Lock/unlock active segment', key: 'L' },
];

export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  shiftKey?: boolean;
  altKey?: boolean;
}

/** The tool or command a key press asks for, or null. */
export function shortcutFor(e: KeyLike): { tool: ToolName } | { command: CommandName } | null {
  const ctrl = !!(e.ctrlKey || e.metaKey);
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (ctrl) {
    if (key === 'z') return { command: e.shiftKey ? 'redo' : 'undo' };
    if (key === 'y') return { command: 'redo' };
    return null;
  }
  if (e.altKey) return null;
  if (key === 'k') return { command: e.shiftKey ? 'islands' : 'largest' };
  if (e.shiftKey && key !== '[' && key !== ']') return null;
  const tool = TOOLS.find((t) => t.key.toLowerCase() === key);
  if (tool) return { tool: tool.name };
  const simple: Record<string, CommandName> = {
    '[': 'smaller',
    ']': 'larger',
    '3': 'toggle3d',
    i: 'interpolate',
    a: 'addSegment',
    ',': 'prevSegment',
    '.': 'nextSegment',
    h: 'toggleVisible',
    l: 'toggleLock',
  };
  const command = simple[key];
  return command ? { command } : null;
}

/** Brush radii offered by [ and ] (mm). */
export const BRUSH_STEPS_MM = [0.5, 1, 1.5, 2, 3, 4, 5, 7, 10, 15, 20, 30, 50];

export function nextBrushSize(mm: number, dir: 1 | -1): number {
  if (dir > 0) return BRUSH_STEPS_MM.find((s) => s > mm + 1e-9) ?? BRUSH_STEPS_MM[BRUSH_STEPS_MM.length - 1];
  return [...BRUSH_STEPS_MM].reverse().find((s) => s < mm - 1e-9) ?? BRUSH_STEPS_MM[0];
}

import { describe, expect, it } from 'vitest';
import { BRUSH_STEPS_MM, COMMANDS, TOOLS, nextBrushSize, shortcutFor } from '../../../src/app/edit/tools';

describe('editing shortcuts', () => {
  it('every tool and command has a distinct key that maps back to it', () => {
    for (const t of TOOLS) expect(shortcutFor({ key: t.key.toLowerCase() })).toEqual({ tool: t.name });
    const keys = [...TOOLS.map((t) => t.key), ...COMMANDS.map((c) => c.key)];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('maps the documented commands', () => {
    expect(shortcutFor({ key: 'z', ctrlKey: true })).toEqual({ command: 'undo' });
    expect(shortcutFor({ key: 'Z', ctrlKey: true, shiftKey: true })).toEqual({ command: 'redo' });
    expect(shortcutFor({ key: 'y', metaKey: true })).toEqual({ command: 'redo' });
    expect(shortcutFor({ key: '[' })).toEqual({ command: 'smaller' });
    expect(shortcutFor({ key: ']' })).toEqual({ command: 'larger' });
    expect(shortcutFor({ key: '3' })).toEqual({ command: 'toggle3d' });
    expect(shortcutFor({ key: 'k' })).toEqual({ command: 'largest' });
    expect(shortcutFor({ key: 'K', shiftKey: true })).toEqual({ command: 'islands' });
    expect(shortcutFor({ key: 'i' })).toEqual({ command: 'interpolate' });
    expect(shortcutFor({ key: 'B' })).toEqual({ tool: 'brush' });
  });

  it('leaves other keys (and Alt / Ctrl combinations) alone', () => {
    expect(shortcutFor({ key: 'q' })).toBeNull();
    expect(shortcutFor({ key: 'b', altKey: true })).toBeNull();
    expect(shortcutFor({ key: 'b', ctrlKey: true })).toBeNull();
    expect(shortcutFor({ key: 'B', shiftKey: true })).toBeNull();
    expect(shortcutFor({ key: 'Escape' })).toBeNull();
  });

  it('steps the brush radius through the offered sizes and stops at the ends', () => {
    expect(nextBrushSize(5, 1)).toBe(7);
    expect(nextBrushSize(5, -1)).toBe(4);
    expect(nextBrushSize(6, 1)).toBe(7);
    expect(nextBrushSize(6, -1)).toBe(5);
    expect(nextBrushSize(BRUSH_STEPS_MM[0], -1)).toBe(BRUSH_STEPS_MM[0]);
    expect(nextBrushSize(50, 1)).toBe(50);
  });
});

/**
 * `Keyboard` (keys/keyboard.svelte.ts) against a recording viewer: keys go to the focused 2D view
 * (axial until one is focused; not the 3D view), text fields keep their keys, window steps start
 * from the window on screen, cine steps with wrap-around at its frame rate and stops when
 * another study opens, `?` toggles the overlay and Esc closes it without swallowing the key.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Emitter } from '../../../src/core/events';
import { Keyboard, type KeyTargets } from '../../../src/app/keys/keyboard.svelte';
import type { WindowLevel } from '../../../src/viewer/presets';

function setup() {
  const calls: unknown[][] = [];
  const viewer = {
    current: {},
    scrollSlices: (...a: unknown[]) => void calls.push(['scroll', ...a]),
    setSliceIndex: (...a: unknown[]) => void calls.push(['index', ...a]),
  };
  const targets: KeyTargets & { window: WindowLevel | null } = {
    viewer,
    window: { width: 400, center: 40 },
    setPreset: (p) => void calls.push(['preset', p]),
    setWindow: (w) => void calls.push(['window', w]),
    resetCamera: () => void calls.push(['reset']),
  };
  const studies = new Emitter<{ workspace: null }>();
  const keys = new Keyboard(targets, studies);
  return { calls, keys, studies, targets };
}

const el = (tagName: string) => ({ tagName, isContentEditable: false }) as unknown as EventTarget;

describe('Keyboard', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('slice keys act on the focused 2D view, the axial one first', () => {
    const { calls, keys } = setup();
    expect(keys.handle({ key: 'ArrowDown' })).toBe(true);
    keys.focus('coronal');
    keys.handle({ key: 'PageUp', shiftKey: true });
    keys.focus('volume3d'); // no slices: the keys stay with the coronal view
    keys.handle({ key: 'End' });
    keys.handle({ key: 'Home' });
    expect(calls).toEqual([
      ['scroll', 'axial', 1],
      ['scroll', 'coronal', -100],
      ['index', 'coronal', Number.MAX_SAFE_INTEGER],
      ['index', 'coronal', 1],
    ]);
  });

  it('leaves keys typed in fields alone and does nothing without an image', () => {
    const { calls, keys, targets } = setup();
    expect(keys.handle({ key: 'ArrowDown', target: el('INPUT') })).toBe(false);
    expect(keys.handle({ key: ' ', target: el('BUTTON') })).toBe(false);
    (targets as { viewer: unknown }).viewer = { ...targets.viewer, current: undefined };
    expect(keys.handle({ key: 'ArrowDown' })).toBe(false);
    expect(keys.handle({ key: 'b' })).toBe(false); // an editing key
    expect(calls).toEqual([]);
  });

  it('window and preset keys', () => {
    const { calls, keys } = setup();
    keys.handle({ key: 'ArrowUp', ctrlKey: true });
    keys.handle({ key: '@', code: 'Digit2', shiftKey: true });
    keys.handle({ key: 'r' });
    expect(calls).toEqual([['window', { width: 400, center: 60 }], ['preset', 'lung'], ['reset']]);
  });

  it('cine: a step per frame with wrap-around, faster at a higher rate, stopped by another study', () => {
    const { calls, keys, studies } = setup();
    keys.focus('sagittal');
    expect(keys.handle({ key: ' ' })).toBe(true);
    expect(keys.playing).toBe(true);
    vi.advanceTimersByTime(1000);
    expect(calls).toHaveLength(10);
    expect(calls[0]).toEqual(['scroll', 'sagittal', 1, true]);
    keys.setFps(20);
    vi.advanceTimersByTime(1000);
    expect(calls).toHaveLength(30);
    studies.emit('workspace', null);
    expect(keys.playing).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(calls).toHaveLength(30);
    keys.handle({ key: ' ' });
    keys.handle({ key: ' ', repeat: true }); // a held key does not toggle again
    expect(keys.playing).toBe(true);
    keys.dispose();
    expect(keys.playing).toBe(false);
  });

  it('? and F1 toggle the shortcut list; Esc closes it and is not swallowed', () => {
    const { keys } = setup();
    expect(keys.handle({ key: '?', shiftKey: true })).toBe(true);
    expect(keys.helpOpen).toBe(true);
    expect(keys.handle({ key: 'Escape' })).toBe(false);
    expect(keys.helpOpen).toBe(false);
    keys.handle({ key: 'F1' });
    expect(keys.helpOpen).toBe(true);
  });
});

/**
 * The viewing keys (keymap.ts): documented mapping, no clash with the editing or model keys over
 * a sweep of every key × modifier, every action listed in the shortcut table, the window steps,
 * and the targets keys are never taken from.
 */
import { describe, expect, it } from 'vitest';
import { COMMANDS, TOOLS, shortcutFor } from '../../../src/app/edit/tools';
import { SHORTCUTS, keyAction, keyBelongsToTarget, stepWindow, type KeyEvent } from '../../../src/app/keys/keymap';

const KEYS = [
  ...'abcdefghijklmnopqrstuvwxyz0123456789[],.;/?-= '.split(''),
  'ArrowUp',
  'ArrowDown',
  'ArrowLeft',
  'ArrowRight',
  'PageUp',
  'PageDown',
  'Home',
  'End',
  'Enter',
  'Escape',
  'F1',
  'Tab',
];
const MODS: Partial<KeyEvent>[] = [
  {},
  { shiftKey: true },
  { ctrlKey: true },
  { ctrlKey: true, shiftKey: true },
  { altKey: true },
];
const codeOf = (k: string) => (/^[0-9]$/.test(k) ? `Digit${k}` : /^[a-z]$/.test(k) ? `Key${k.toUpperCase()}` : k);

describe('viewing keys', () => {
  it('map as documented', () => {
    expect(keyAction({ key: 'ArrowDown' })).toEqual({ kind: 'slice', delta: 1 });
    expect(keyAction({ key: 'ArrowRight' })).toEqual({ kind: 'slice', delta: 1 });
    expect(keyAction({ key: 'ArrowUp' })).toEqual({ kind: 'slice', delta: -1 });
    expect(keyAction({ key: 'ArrowLeft', shiftKey: true })).toEqual({ kind: 'slice', delta: -10 });
    expect(keyAction({ key: 'PageDown' })).toEqual({ kind: 'slice', delta: 10 });
    expect(keyAction({ key: 'PageUp', shiftKey: true })).toEqual({ kind: 'slice', delta: -100 });
    expect(keyAction({ key: 'Home' })).toEqual({ kind: 'sliceEnd', end: 'first' });
    expect(keyAction({ key: 'End' })).toEqual({ kind: 'sliceEnd', end: 'last' });
    expect(keyAction({ key: ' ' })).toEqual({ kind: 'cine' });
    expect(keyAction({ key: 'ArrowRight', ctrlKey: true })).toEqual({ kind: 'window', width: 1, level: 0 });
    expect(keyAction({ key: 'ArrowDown', ctrlKey: true, shiftKey: true })).toEqual({
      kind: 'window',
      width: 0,
      level: -5,
    });
    expect(keyAction({ key: '!', code: 'Digit1', shiftKey: true })).toEqual({ kind: 'preset', preset: 'soft-tissue' });
    expect(keyAction({ key: '#', code: 'Digit3', shiftKey: true })).toEqual({ kind: 'preset', preset: 'bone' });
    expect(keyAction({ key: '%', code: 'Digit5', shiftKey: true })).toEqual({ kind: 'preset', preset: 'auto' });
    expect(keyAction({ key: '?', shiftKey: true })).toEqual({ kind: 'help' });
    expect(keyAction({ key: 'F1' })).toEqual({ kind: 'help' });
    expect(keyAction({ key: 'Escape' })).toEqual({ kind: 'close' });
    expect(keyAction({ key: 'r' })).toEqual({ kind: 'reset' });
    // plain 3 stays the editing 2D/3D toggle; Ctrl+Z / Ctrl+Enter are not viewing keys
    expect(keyAction({ key: '3', code: 'Digit3' })).toBeNull();
    expect(keyAction({ key: 'z', ctrlKey: true })).toBeNull();
    expect(keyAction({ key: 'Enter', ctrlKey: true })).toBeNull();
  });

  it('never take a key the editing tools or the model run use', () => {
    let viewing = 0;
    for (const key of KEYS)
      for (const mods of MODS) {
        const e = { key: mods.shiftKey && key === '/' ? '?' : key, code: codeOf(key), ...mods };
        const view = keyAction(e);
        if (!view) continue;
        viewing++;
        expect(shortcutFor(e), `${JSON.stringify(e)} is both a viewing and an editing key`).toBeNull();
        expect(key === 'Enter' && mods.ctrlKey, 'Ctrl+Enter runs the model').toBeFalsy();
      }
    expect(viewing).toBeGreaterThan(20);
  });

  it('the shortcut table lists every editing key and each viewing action', () => {
    const listed = SHORTCUTS.flatMap((g) => g.items.map((i) => i.keys));
    for (const t of TOOLS) expect(listed).toContain(t.key);
    for (const c of COMMANDS) expect(listed).toContain(c.key);
    for (const k of ['Ctrl+Enter', '? / F1', 'Space', 'Home / End', 'PageUp / PageDown', 'Shift+1', 'Shift+5'])
      expect(listed).toContain(k);
  });

  it('window steps: width ×1.1 per step, level ±1/20 of the width', () => {
    const wider = stepWindow({ width: 400, center: 40 }, 1, 0);
    expect(wider.width).toBeCloseTo(440, 9);
    expect(wider.center).toBe(40);
    const w = stepWindow({ width: 400, center: 40 }, -5, 0);
    expect(w.width).toBeCloseTo(400 / 1.1 ** 5, 9);
    expect(stepWindow({ width: 400, center: 40 }, 0, -5)).toEqual({ width: 400, center: -60 });
  });

  it('keys typed into fields, lists and a button’s own Space/Enter are left alone', () => {
    const el = (tagName: string, extra: object = {}) =>
      ({ tagName, isContentEditable: false, ...extra }) as unknown as EventTarget;
    for (const tag of ['INPUT', 'SELECT', 'TEXTAREA']) expect(keyBelongsToTarget(el(tag), 'ArrowDown')).toBe(true);
    expect(keyBelongsToTarget(el('DIV', { isContentEditable: true }), 'a')).toBe(true);
    expect(keyBelongsToTarget(el('BUTTON'), ' ')).toBe(true);
    expect(keyBelongsToTarget(el('BUTTON'), 'ArrowDown')).toBe(false);
    expect(keyBelongsToTarget(el('DIV'), ' ')).toBe(false);
    expect(keyBelongsToTarget(null, ' ')).toBe(false);
  });
});

/**
 * Every keyboard shortcut of the app in one table (what the `?` overlay lists), and the pure
 * key → action mapping of the viewing keys. The editing keys stay matched by `shortcutFor`
 * (edit/tools.ts) and the model keys by the Auto-segment panel; they are listed here from the
 * same source, and the viewing keys are chosen not to clash with them (unit tested).
 *
 * Decisions: ↑/← previous and ↓/→ next slice (the counter goes up with ↓, as in a PACS stack),
 * PageUp/PageDown 10 slices, Home/End first/last, Shift ×10. Window/level steps on Ctrl+arrows
 * like the mouse drag (horizontal = width, vertical = level): width ×1.1 per step, level ±1/20 of
 * the width, Shift five steps at once. Display presets on Shift+1..5 (plain 3 is the editing 2D/3D
 * toggle; matched by `code`, so any keyboard layout works). Space plays/pauses cine.
 */
import { COMMANDS, TOOLS, type KeyLike } from '../edit/tools';
import { PRESETS, type PresetName, type WindowLevel } from '../../viewer/presets';

export type KeyAction =
  | { kind: 'slice'; delta: number }
  | { kind: 'sliceEnd'; end: 'first' | 'last' }
  | { kind: 'cine' }
  | { kind: 'window'; width: number; level: number }
  | { kind: 'preset'; preset: PresetName }
  | { kind: 'reset' }
  | { kind: 'help' }
  | { kind: 'close' };

export interface KeyEvent extends KeyLike {
  /** Physical key (KeyboardEvent.code), e.g. 'Digit1'. */
  code?: string;
}

export interface Shortcut {
  keys: string;
  label: string;
}

export interface ShortcutGroup {
  title: string;
  items: Shortcut[];
}

/** Shift+1..5 → the presets in their toolbar order. */
const PRESET_KEYS = PRESETS.map((p, i) => ({ code: `Digit${i + 1}`, preset: p.name, label: p.label }));

/** Every shortcut, grouped as the overlay shows them. */
export const SHORTCUTS: readonly ShortcutGroup[] = [
  {
    title: 'Views (the focused 2D view, else the axial)',
    items: [
      { keys: 'Tab / click', label: 'Focus a view' },
      { keys: '↑ / ←', label: 'Previous slice' },
      { keys: '↓ / →', label: 'Next slice' },
      { keys: 'PageUp / PageDown', label: '10 slices back / on' },
      { keys: 'Home / End', label: 'First / last slice' },
      { keys: 'Shift + any of these', label: '×10 slices' },
      { keys: 'Space', label: 'Cine: play / pause (loops through the slices)' },
      { keys: 'R', label: 'Reset pan, zoom and slices' },
    ],
  },
  {
    title: 'Window / level',
    items: [
      { keys: 'Ctrl+← / Ctrl+→', label: 'Narrower / wider window (×1.1)' },
      { keys: 'Ctrl+↓ / Ctrl+↑', label: 'Lower / higher level (1/20 of the width)' },
      { keys: 'Ctrl+Shift+arrows', label: 'Five steps at once' },
      ...PRESET_KEYS.map((p, i) => ({ keys: `Shift+${i + 1}`, label: `Preset: ${p.label}` })),
    ],
  },
  {
    title: 'Auto-segment',
    items: [
      { keys: 'Ctrl+Enter', label: 'Run the selected model' },
      { keys: 'Esc', label: 'Cancel the running model' },
    ],
  },
  {
    title: 'Editing',
    items: [
      ...TOOLS.map((t) => ({ keys: t.key, label: `${t.label} tool` })),
      ...COMMANDS.map((c) => ({ keys: c.key, label: c.label })),
    ],
  },
  {
    title: 'Help',
    items: [
      { keys: '? / F1', label: 'Show this list' },
      { keys: 'Esc', label: 'Close it' },
    ],
  },
];

const SLICE_KEYS: Record<string, number> = { ArrowUp: -1, ArrowLeft: -1, ArrowDown: 1, ArrowRight: 1 };

/** The viewing action of a key press, or null (editing and model keys are matched elsewhere). */
export function keyAction(e: KeyEvent): KeyAction | null {
  const ctrl = !!(e.ctrlKey || e.metaKey);
  if (e.key === 'F1' || (e.key === '?' && !ctrl && !e.altKey)) return { kind: 'help' };
  if (e.key === 'Escape') return { kind: 'close' };
  if (e.altKey) return null;
  if (ctrl) {
    const steps = e.shiftKey ? 5 : 1;
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight')
      return { kind: 'window', width: e.key === 'ArrowRight' ? steps : -steps, level: 0 };
    if (e.key === 'ArrowUp' || e.key === 'ArrowDown')
      return { kind: 'window', width: 0, level: e.key === 'ArrowUp' ? steps : -steps };
    return null;
  }
  const times = e.shiftKey ? 10 : 1;
  if (e.key in SLICE_KEYS) return { kind: 'slice', delta: SLICE_KEYS[e.key] * times };
  if (e.key === 'PageUp' || e.key === 'PageDown')
    return { kind: 'slice', delta: (e.key === 'PageUp' ? -10 : 10) * times };
  if (e.key === 'Home' || e.key === 'End') return { kind: 'sliceEnd', end: e.key === 'Home' ? 'first' : 'last' };
  if (e.shiftKey) {
    const p = PRESET_KEYS.find((q) => q.code === e.code);
    return p ? { kind: 'preset', preset: p.preset } : null;
  }
  if (e.key === ' ') return { kind: 'cine' };
  if (e.key === 'r' || e.key === 'R') return { kind: 'reset' };
  return null;
}

/** The window after `width`/`level` steps (see the header): width ×1.1 per step, level ±width/20. */
export function stepWindow(w: WindowLevel, width: number, level: number): WindowLevel {
  return { width: w.width * 1.1 ** width, center: w.center + (level * w.width) / 20 };
}

/** What a key press on `target` must not be taken from: text entry, lists, and a button's own Space/Enter. */
export function keyBelongsToTarget(target: EventTarget | null, key: string): boolean {
  const el = target as (HTMLElement & { type?: string }) | null;
  if (!el || typeof el.tagName !== 'string') return false;
  const tag = el.tagName;
  if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || el.isContentEditable) return true;
  if (key === ' ' || key === 'Enter') return tag === 'BUTTON' || tag === 'A' || tag === 'SUMMARY';
  return false;
}

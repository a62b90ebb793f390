/**
 * Which panel sections of the left column are open, kept in localStorage so that a section the
 * user closed stays closed at the next visit. One key per section (`voxseg.section.<id>`, '1' or
 * '0'); a section never toggled has its default. Storage that throws (private mode, blocked
 * cookies) or is absent (tests, workers) is ignored: the state then lasts for the page only.
 */

/** The part of `Storage` used here. */
export type SectionStorage = Pick<Storage, 'getItem' | 'setItem'>;

const PREFIX = 'voxseg.section.';

function defaultStorage(): SectionStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/** Whether section `id` is open: as the user last left it, else `fallback`. */
export function sectionOpen(id: string, fallback = true, storage = defaultStorage()): boolean {
  try {
    const v = storage?.getItem(PREFIX + id);
    return v === '1' ? true : v === '0' ? false : fallback;
  } catch {
    return fallback;
  }
}

/** Remember that section `id` is open (or closed). */
export function rememberSection(id: string, open: boolean, storage = defaultStorage()): void {
  try {
    storage?.setItem(PREFIX + id, open ? '1' : '0');
  } catch {
    // not kept: the state lasts for this page
  }
}

/**
 * `Keyboard`: the viewing keys (keymap.ts) acted on. Keys go to the focused 2D view (the last one
 * focused by Tab or a click; the axial view until then; the 3D view takes no slice keys), the
 * `?` overlay, and cine: one step a frame at `fps`, looping through the target view's slices,
 * stopped when another study opens. Window steps start from the window on screen.
 */
import type { MprView, PresetName, ViewName, WindowLevel } from '../../viewer';
import { keyAction, keyBelongsToTarget, stepWindow, type KeyEvent } from './keymap';

/** The viewer calls the keys need (the `Viewer` has them; unit tests fake them). */
export interface KeyViewer {
  readonly current?: unknown;
  scrollSlices(view: MprView, delta: number, wrap?: boolean): void;
  setSliceIndex(view: MprView, index: number): void;
}

/** What the keys act on besides the viewer: `ViewState`'s window, preset and reset. */
export interface KeyTargets {
  readonly viewer: KeyViewer | null;
  readonly window: WindowLevel | null;
  setPreset(name: PresetName): void;
  setWindow(w: WindowLevel): void;
  resetCamera(): void;
}

export const FPS_CHOICES = [2, 5, 10, 15, 20, 30] as const;

export class Keyboard {
  /** The 2D view keys act on. */
  view = $state<MprView>('axial');
  helpOpen = $state(false);
  playing = $state(false);
  fps = $state(10);
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly targets: KeyTargets,
    /** The session's study changes (cine stops). */
    studies: { on(name: 'workspace', fn: () => void): () => void },
  ) {
    this.unsubscribe = studies.on('workspace', () => this.pause());
  }

  /** A view took focus (Tab or click): the 2D ones become the keys' target. */
  focus(view: ViewName): void {
    if (view !== 'volume3d') this.view = view;
  }

  /**
   * A key press anywhere on the page: acted on and true (the caller prevents the default), or
   * false when it is not a viewing key, belongs to a text field / list, or there is nothing to act on.
   */
  handle(e: KeyEvent & { target?: EventTarget | null; repeat?: boolean }): boolean {
    if (keyBelongsToTarget(e.target ?? null, e.key)) return false;
    const a = keyAction(e);
    if (!a) return false;
    if (a.kind === 'help') {
      this.helpOpen = !this.helpOpen;
      return true;
    }
    if (a.kind === 'close') {
      // Esc also cancels a model run (the Auto-segment panel): never swallow it.
      this.helpOpen = false;
      return false;
    }
    const viewer = this.targets.viewer;
    if (!viewer?.current) return false;
    switch (a.kind) {
      case 'slice':
        viewer.scrollSlices(this.view, a.delta);
        return true;
      case 'sliceEnd':
        viewer.setSliceIndex(this.view, a.end === 'first' ? 1 : Number.MAX_SAFE_INTEGER);
        return true;
      case 'cine':
        if (!e.repeat) this.toggleCine();
        return true;
      case 'window': {
        const w = this.targets.window;
        if (w) this.targets.setWindow(stepWindow(w, a.width, a.level));
        return true;
      }
      case 'preset':
        this.targets.setPreset(a.preset);
        return true;
      case 'reset':
        this.targets.resetCamera();
        return true;
    }
  }

  toggleCine(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  play(): void {
    if (!this.targets.viewer?.current) return;
    this.playing = true;
    this.restart();
  }

  pause(): void {
    this.playing = false;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  setFps(fps: number): void {
    this.fps = Math.min(60, Math.max(1, Math.round(fps) || 1));
    if (this.playing) this.restart();
  }

  dispose(): void {
    this.pause();
    this.unsubscribe();
  }

  private restart(): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      const viewer = this.targets.viewer;
      if (!viewer?.current) this.pause();
      else viewer.scrollSlices(this.view, 1, true);
    }, 1000 / this.fps);
  }
}

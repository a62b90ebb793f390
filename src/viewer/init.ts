/**
 * One-time Cornerstone3D initialisation (core rendering + tools). We feed our own volumes, so
 * no image loader is registered.
 */
import { init as coreInit, getRenderingCapabilities } from '@cornerstonejs/core';
import {
  init as toolsInit,
  addTool,
  CrosshairsTool,
  StackScrollTool,
  WindowLevelTool,
  PanTool,
  ZoomTool,
  TrackballRotateTool,
} from '@cornerstonejs/tools';

let initialized: Promise<void> | undefined;

export const TOOL_CLASSES = [CrosshairsTool, StackScrollTool, WindowLevelTool, PanTool, ZoomTool, TrackballRotateTool];

/** Idempotent; safe to call from every Viewer. */
export function initCornerstone(): Promise<void> {
  initialized ??= (async () => {
    coreInit();
    toolsInit();
    for (const Tool of TOOL_CLASSES) addTool(Tool);
  })();
  return initialized;
}

/**
 * True when WebGL runs on a software rasterizer (SwiftShader, llvmpipe): no GPU, so the 3D view
 * is rendered with fewer samples per ray to stay interactive.
 */
export function isSoftwareRenderer(): boolean {
  return getRenderingCapabilities().softwareRasterizer;
}

/**
 * Page side of the edit bench's stock path: Cornerstone3D's own `BrushTool` on the app's 2D views.
 * The shipped viewer does not carry it; the bench adds this module to its own build of the app
 * (`app.ts` injects it into index.html), and it sets the brush up from outside through
 * Cornerstone's registries: the tool class is registered with `addTool`, and the tool groups are
 * those of the orthographic viewports of every rendering engine, i.e. the app's axial, sagittal
 * and coronal views. Same bundle, same Cornerstone instance, so nothing of the app is touched.
 * Cornerstone is imported lazily, as the app imports its viewer, so the page's start-up chunks
 * stay those of the app.
 *
 * `window.__voxsegBench.install()` registers the tool and adds it, disabled, to those groups (the
 * bench awaits it once the study is shown, outside any clock, as the app once did at start-up);
 * `stockBrush({ radiusMm, segmentIndex })` puts the brush (CircularBrush, brush size = radius in
 * mm) on the left button instead of window/level and makes `segmentIndex` the active segment of the
 * views' labelmap; `stockBrush(null)` puts window/level back.
 */
type Core = typeof import('@cornerstonejs/core');
type Tools = typeof import('@cornerstonejs/tools');
type ToolGroup = NonNullable<ReturnType<Tools['ToolGroupManager']['getToolGroup']>>;

export interface StockBrushOptions {
  radiusMm: number;
  segmentIndex: number;
}

export interface BenchHook {
  install(): Promise<void>;
  stockBrush(options: StockBrushOptions | null): void;
}

declare global {
  interface Window {
    __voxsegBench?: BenchHook;
  }
}

let cs: { core: Core; tools: Tools } | undefined;

/** The tool groups that hold the 2D (orthographic) views. */
function mprToolGroups(core: Core, tools: Tools): ToolGroup[] {
  const groups = new Map<string, ToolGroup>();
  for (const engine of core.getRenderingEngines() ?? []) {
    for (const viewport of engine.getViewports()) {
      if (viewport.type !== core.Enums.ViewportType.ORTHOGRAPHIC) continue;
      const group = tools.ToolGroupManager.getToolGroupForViewport(viewport.id, engine.id);
      if (group) groups.set(group.id, group);
    }
  }
  return [...groups.values()];
}

/** Register BrushTool and add it to the 2D views' tool groups (idempotent); returns those groups. */
function addBrush(core: Core, tools: Tools): ToolGroup[] {
  const groups = mprToolGroups(core, tools);
  if (groups.length === 0) throw new Error('stock brush: no 2D views yet (install once the app shows a study)');
  tools.addTool(tools.BrushTool);
  for (const group of groups) if (!group.hasTool(tools.BrushTool.toolName)) group.addTool(tools.BrushTool.toolName);
  return groups;
}

async function install(): Promise<void> {
  const [core, tools] = await Promise.all([import('@cornerstonejs/core'), import('@cornerstonejs/tools')]);
  addBrush(core, tools);
  cs = { core, tools };
}

function stockBrush(options: StockBrushOptions | null): void {
  if (!cs) throw new Error('stock brush: call __voxsegBench.install() first');
  const { core, tools } = cs;
  const { BrushTool, WindowLevelTool, segmentation } = tools;
  const primary = [{ mouseButton: tools.Enums.MouseBindings.Primary }];
  for (const group of addBrush(core, tools)) {
    if (!options) {
      group.setToolDisabled(BrushTool.toolName);
      group.setToolActive(WindowLevelTool.toolName, { bindings: primary });
      continue;
    }
    group.setToolPassive(WindowLevelTool.toolName);
    group.setToolActive(BrushTool.toolName, { bindings: primary });
    tools.utilities.segmentation.setBrushSizeForToolGroup(group.id, options.radiusMm);
    const viewportId = group.getViewportIds()[0];
    const active = viewportId ? segmentation.activeSegmentation.getActiveSegmentation(viewportId) : undefined;
    if (active) segmentation.segmentIndex.setActiveSegmentIndex(active.segmentationId, options.segmentIndex);
  }
}

window.__voxsegBench = { install, stockBrush };

/**
 * Mouse bindings. 2D views: left drag = window/level, Shift+left = move the crosshairs,
 * middle = pan, right = zoom, wheel = scroll slices; the crosshair lines can be dragged directly.
 * 3D view: left = rotate, middle = pan, right = zoom. Window/level is synchronised across the 2D views.
 */
import {
  ToolGroupManager,
  SynchronizerManager,
  synchronizers,
  Enums as ToolEnums,
  CrosshairsTool,
  StackScrollTool,
  WindowLevelTool,
  PanTool,
  ZoomTool,
  TrackballRotateTool,
} from '@cornerstonejs/tools';
import { VIEW_COLORS } from './colors';

const { MouseBindings, KeyboardBindings } = ToolEnums;

type ToolGroup = NonNullable<ReturnType<typeof ToolGroupManager.createToolGroup>>;

export interface ToolGroups {
  mpr: ToolGroup;
  volume3d: ToolGroup;
  destroy(): void;
}

export function createToolGroups(
  prefix: string,
  renderingEngineId: string,
  mprIds: string[],
  volume3dId: string,
): ToolGroups {
  const mpr = ToolGroupManager.createToolGroup(`${prefix}-mpr`);
  const volume3d = ToolGroupManager.createToolGroup(`${prefix}-3d`);
  if (!mpr || !volume3d) throw new Error(`tool groups ${prefix}-* already exist`);

  mpr.addTool(WindowLevelTool.toolName);
  mpr.addTool(PanTool.toolName);
  mpr.addTool(ZoomTool.toolName);
  mpr.addTool(StackScrollTool.toolName);
  mpr.addTool(CrosshairsTool.toolName, {
    // Viewport ids end in the view name (layout.ts `viewportId`).
    getReferenceLineColor: (viewportId: string) =>
      VIEW_COLORS[viewportId.split('-').pop() as keyof typeof VIEW_COLORS] ?? 'rgb(200, 200, 0)',
    getReferenceLineControllable: () => true,
    getReferenceLineDraggableRotatable: () => true,
    getReferenceLineSlabThicknessControlsOn: () => false,
  });
  for (const id of mprIds) mpr.addViewport(id, renderingEngineId);
  mpr.setToolActive(WindowLevelTool.toolName, { bindings: [{ mouseButton: MouseBindings.Primary }] });
  mpr.setToolActive(PanTool.toolName, { bindings: [{ mouseButton: MouseBindings.Auxiliary }] });
  mpr.setToolActive(ZoomTool.toolName, { bindings: [{ mouseButton: MouseBindings.Secondary }] });
  mpr.setToolActive(StackScrollTool.toolName, { bindings: [{ mouseButton: MouseBindings.Wheel }] });

  volume3d.addTool(TrackballRotateTool.toolName);
  volume3d.addTool(PanTool.toolName);
  volume3d.addTool(ZoomTool.toolName);
  volume3d.addViewport(volume3dId, renderingEngineId);
  volume3d.setToolActive(TrackballRotateTool.toolName, { bindings: [{ mouseButton: MouseBindings.Primary }] });
  volume3d.setToolActive(PanTool.toolName, { bindings: [{ mouseButton: MouseBindings.Auxiliary }] });
  volume3d.setToolActive(ZoomTool.toolName, { bindings: [{ mouseButton: MouseBindings.Secondary }] });

  // Window/level dragged in one 2D view applies to all three.
  const voiSync = synchronizers.createVOISynchronizer(`${prefix}-voi`, { syncInvertState: false, syncColormap: false });
  for (const viewportId of mprIds) voiSync.add({ renderingEngineId, viewportId });

  return {
    mpr,
    volume3d,
    destroy() {
      SynchronizerManager.destroySynchronizer(voiSync.id);
      ToolGroupManager.destroyToolGroup(mpr.id);
      ToolGroupManager.destroyToolGroup(volume3d.id);
    },
  };
}

/** Crosshairs need a volume in every view; (re)enable them after one is set. */
export function enableCrosshairs(groups: ToolGroups): void {
  groups.mpr.setToolDisabled(CrosshairsTool.toolName);
  groups.mpr.setToolActive(CrosshairsTool.toolName, {
    bindings: [{ mouseButton: MouseBindings.Primary, modifierKey: KeyboardBindings.Shift }],
  });
}

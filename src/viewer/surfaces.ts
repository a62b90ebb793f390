/**
 * Label-map surfaces in the 3D view: one vtk.js actor per label value (a triangle mesh in world
 * coordinates, LPS mm), added to the Cornerstone 3D viewport next to the study's volume-rendering
 * actor, which can be hidden so the surfaces are not buried in it.
 */
import '@kitware/vtk.js/Rendering/Profiles/Geometry';
import vtkActor from '@kitware/vtk.js/Rendering/Core/Actor';
import vtkMapper from '@kitware/vtk.js/Rendering/Core/Mapper';
import vtkPolyData from '@kitware/vtk.js/Common/DataModel/PolyData';
import vtkDataArray from '@kitware/vtk.js/Common/Core/DataArray';
import type { Types } from '@cornerstonejs/core';
import { unionBounds, type Bounds } from './camera3d';

/** The surface of one label value, as the viewer shows it. */
export interface SurfaceInput {
  /** Label value (the segment it belongs to). */
  value: number;
  name: string;
  /** RGB 0..255, as for the 2D overlay. */
  color: [number, number, number];
  /** x, y, z per vertex, LPS mm. */
  positions: Float32Array;
  /** Unit outward normal per vertex (same length as `positions`); empty = flat shading. */
  normals: Float32Array;
  /** Three vertex indices per triangle, counter-clockwise seen from outside. */
  indices: Uint32Array;
}

interface Shown {
  uid: string;
  actor: vtkActor;
}

/** Surface material: mostly diffuse, with a soft highlight. */
const AMBIENT = 0.15;
const DIFFUSE = 0.8;
const SPECULAR = 0.25;
const SPECULAR_POWER = 20;

/** Check the arrays of `s`; throws on malformed input. Returns the number of triangles. */
export function checkSurface(s: SurfaceInput): number {
  const what = `surface ${JSON.stringify(s.name)} (label ${s.value})`;
  const vertices = s.positions.length / 3;
  if (!Number.isInteger(vertices)) throw new Error(`${what}: positions must hold x, y, z per vertex`);
  if (s.normals.length !== 0 && s.normals.length !== s.positions.length)
    throw new Error(`${what}: one normal per vertex expected`);
  if (s.indices.length % 3 !== 0) throw new Error(`${what}: indices must hold three vertices per triangle`);
  let max = 0;
  for (let i = 0; i < s.indices.length; i++) if (s.indices[i] > max) max = s.indices[i];
  if (s.indices.length > 0 && max >= vertices)
    throw new Error(`${what}: vertex index ${max} out of range (${vertices} vertices)`);
  return s.indices.length / 3;
}

/** vtk's cell array of triangles: [3, a, b, c, 3, d, e, f, ...]. */
export function triangleCells(indices: Uint32Array): Uint32Array {
  const n = indices.length / 3;
  const cells = new Uint32Array(4 * n);
  for (let t = 0, i = 0, o = 0; t < n; t++, i += 3, o += 4) {
    cells[o] = 3;
    cells[o + 1] = indices[i];
    cells[o + 2] = indices[i + 1];
    cells[o + 3] = indices[i + 2];
  }
  return cells;
}

function makeActor(s: SurfaceInput): vtkActor {
  const polyData = vtkPolyData.newInstance();
  polyData.getPoints().setData(s.positions, 3);
  polyData.getPolys().setData(triangleCells(s.indices));
  if (s.normals.length) {
    polyData
      .getPointData()
      .setNormals(vtkDataArray.newInstance({ name: 'Normals', numberOfComponents: 3, values: s.normals }));
  }
  const mapper = vtkMapper.newInstance();
  mapper.setScalarVisibility(false);
  mapper.setInputData(polyData);
  const actor = vtkActor.newInstance();
  actor.setMapper(mapper);
  const p = actor.getProperty();
  p.setColor(s.color[0] / 255, s.color[1] / 255, s.color[2] / 255);
  p.setAmbient(AMBIENT);
  p.setDiffuse(DIFFUSE);
  p.setSpecular(SPECULAR);
  p.setSpecularPower(SPECULAR_POWER);
  p.setSpecularColor(1, 1, 1);
  p.setInterpolationToPhong();
  return actor;
}

export class SurfaceLayer {
  private readonly shown = new Map<number, Shown>();
  private readonly hidden = new Set<number>();
  private readonly opacity = new Map<number, number>();
  private count = 0;
  private volumeVisible = true;

  /**
   * @param prefix id prefix of the viewer (actor uids never contain ':')
   * @param viewport the Cornerstone 3D viewport the actors go into
   */
  constructor(
    private readonly prefix: string,
    private readonly viewport: () => Types.IVolumeViewport,
  ) {}

  /** Number of label values with a surface. */
  get size(): number {
    return this.shown.size;
  }

  /** Replace every surface with `inputs` (per-label visibility and opacity start afresh). */
  setAll(inputs: readonly SurfaceInput[]): void {
    const triangles = inputs.map(checkSurface);
    this.clear();
    this.replace(inputs, triangles);
  }

  /**
   * Replace the surfaces of the labels in `inputs` only; an input without triangles removes its
   * label. Visibility and opacity set for a label carry over to its new surface.
   */
  update(inputs: readonly SurfaceInput[]): void {
    this.replace(inputs, inputs.map(checkSurface));
  }

  private replace(inputs: readonly SurfaceInput[], triangles: readonly number[]): void {
    const vp = this.viewport();
    const remove: string[] = [];
    inputs.forEach((s, i) => {
      const old = this.shown.get(s.value);
      if (old) {
        remove.push(old.uid);
        this.shown.delete(s.value);
      }
      if (triangles[i] === 0) return;
      const actor = makeActor(s);
      this.style(s.value, actor);
      const uid = `${this.prefix}-surface${++this.count}-label${s.value}`;
      this.shown.set(s.value, { uid, actor });
      vp.addActor({ uid, actor });
    });
    if (remove.length) vp.removeActors(remove);
  }

  /** Remove every surface; visibility and opacity settings are forgotten. */
  clear(): void {
    const uids = [...this.shown.values()].map((s) => s.uid);
    this.shown.clear();
    this.hidden.clear();
    this.opacity.clear();
    if (uids.length) this.viewport().removeActors(uids);
  }

  /** Forget the actors without touching the viewport (it dropped them, or is gone). */
  forget(): void {
    this.shown.clear();
    this.hidden.clear();
    this.opacity.clear();
  }

  /** Show or hide one label's surface (remembered for a surface that comes later). */
  setVisible(value: number, visible: boolean): boolean {
    if (visible) this.hidden.delete(value);
    else this.hidden.add(value);
    return this.restyle(value);
  }

  /** Opacity 0..1 of one label's surface (default 1). */
  setOpacity(value: number, alpha: number): boolean {
    if (!(alpha >= 0 && alpha <= 1)) throw new Error(`surface opacity must be within [0, 1], got ${alpha}`);
    this.opacity.set(value, alpha);
    return this.restyle(value);
  }

  /** Show or hide the volume rendering (the viewport's vtkVolume actors; they stay in place). */
  setVolumeVisible(visible: boolean): void {
    this.volumeVisible = visible;
    this.applyVolumeVisibility();
  }

  /** Re-apply the volume-rendering visibility, e.g. to a newly shown study's actor. */
  applyVolumeVisibility(): void {
    for (const entry of this.viewport().getActors()) {
      const actor = entry.actor as { isA?: (name: string) => boolean; setVisibility?: (v: boolean) => boolean };
      if (actor.isA?.('vtkVolume')) actor.setVisibility?.(this.volumeVisible);
    }
  }

  /** World bounds of the visible surfaces, or null when none is visible. */
  visibleBounds(): Bounds | null {
    const boxes: Bounds[] = [];
    for (const s of this.shown.values()) if (s.actor.getVisibility()) boxes.push(s.actor.getBounds() as Bounds);
    return unionBounds(boxes);
  }

  /** World bounds of the study volume (vtkVolume actors, shown or not), or null. */
  volumeBounds(): Bounds | null {
    const boxes: Bounds[] = [];
    for (const entry of this.viewport().getActors()) {
      const actor = entry.actor as { isA?: (name: string) => boolean; getBounds?: () => number[] };
      if (actor.isA?.('vtkVolume') && actor.getBounds) boxes.push(actor.getBounds() as Bounds);
    }
    return unionBounds(boxes);
  }

  /** Apply the stored visibility/opacity to `value`'s actor; true when there is one. */
  private restyle(value: number): boolean {
    const s = this.shown.get(value);
    if (!s) return false;
    this.style(value, s.actor);
    return true;
  }

  private style(value: number, actor: vtkActor): void {
    actor.setVisibility(!this.hidden.has(value));
    actor.getProperty().setOpacity(this.opacity.get(value) ?? 1);
  }
}

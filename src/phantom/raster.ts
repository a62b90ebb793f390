/**
 * Scan-line rasterisation of "wobbly" rotated ellipses into one axial slice. Each row's span is
 * solved analytically, then filled with TypedArray.fill: no per-voxel work beyond the fill.
 * Coordinates are in-plane world mm (LPS x to the patient's left, y posterior).
 */

/** A rotated ellipse whose row half-widths are modulated by 1 + wob*sin(freq*dy + phase). */
export interface Ellipse {
  cx: number;
  cy: number;
  /** Semi-axis along the rotated x axis (mm). */
  a: number;
  /** Semi-axis along the rotated y axis (mm). */
  b: number;
  /** Rotation angle (radians, from +x towards +y). */
  rot?: number;
  wob?: number;
  freq?: number;
  phase?: number;
}

/** Slice grid: x = x0 + i*sx, y = y0 + j*sy. */
export interface SliceGrid {
  nx: number;
  ny: number;
  x0: number;
  y0: number;
  sx: number;
  sy: number;
}

export function ellipse(cx: number, cy: number, a: number, b: number, rot = 0, wob = 0, freq = 0, phase = 0): Ellipse {
  return { cx, cy, a, b, rot, wob, freq, phase };
}

/** Shrink an ellipse by `d` mm on both axes (for rims and layers); null when nothing is left. */
export function inset(e: Ellipse, d: number): Ellipse | null {
  if (e.a <= d || e.b <= d) return null;
  return { ...e, a: e.a - d, b: e.b - d };
}

/** Fill the ellipse with value `hu` in `img` and `label` in `lab` (both nx*ny, row-major). */
export function paint(
  img: Float32Array,
  lab: Uint8Array,
  g: SliceGrid,
  e: Ellipse | null,
  hu: number,
  label: number,
): void {
  if (!e || !(e.a > 0) || !(e.b > 0)) return;
  const c = Math.cos(e.rot ?? 0);
  const s = Math.sin(e.rot ?? 0);
  const ia2 = 1 / (e.a * e.a);
  const ib2 = 1 / (e.b * e.b);
  const A = c * c * ia2 + s * s * ib2;
  const Bk = 2 * c * s * (ia2 - ib2);
  const Ck = s * s * ia2 + c * c * ib2;
  const wob = e.wob ?? 0;
  const freq = e.freq ?? 0;
  const phase = e.phase ?? 0;
  const hh = Math.sqrt(e.a * e.a * s * s + e.b * e.b * c * c);
  const j0 = Math.max(0, Math.ceil((e.cy - hh - g.y0) / g.sy));
  const j1 = Math.min(g.ny - 1, Math.floor((e.cy + hh - g.y0) / g.sy));
  for (let j = j0; j <= j1; j++) {
    const v = g.y0 + j * g.sy - e.cy;
    const B = Bk * v;
    const C = Ck * v * v - 1;
    const disc = B * B - 4 * A * C;
    if (disc < 0) continue;
    const mid = -B / (2 * A);
    let half = Math.sqrt(disc) / (2 * A);
    if (wob !== 0) half *= 1 + wob * Math.sin(freq * v + phase);
    const xl = e.cx + mid - half;
    const xr = e.cx + mid + half;
    const i0 = Math.max(0, Math.ceil((xl - g.x0) / g.sx));
    const i1 = Math.min(g.nx - 1, Math.floor((xr - g.x0) / g.sx));
    if (i1 < i0) continue;
    const row = j * g.nx;
    img.fill(hu, row + i0, row + i1 + 1);
    lab.fill(label, row + i0, row + i1 + 1);
  }
}

/** In-place separable [1 2 1]/4 blur of one slice (partial-volume look at edges). */
export function blur121(img: Float32Array, tmp: Float32Array, nx: number, ny: number): void {
  for (let j = 0; j < ny; j++) {
    const r = j * nx;
    tmp[r] = img[r];
    tmp[r + nx - 1] = img[r + nx - 1];
    for (let i = 1; i < nx - 1; i++) tmp[r + i] = 0.25 * (img[r + i - 1] + img[r + i + 1]) + 0.5 * img[r + i];
  }
  img.set(tmp.subarray(0, nx));
  img.set(tmp.subarray((ny - 1) * nx, ny * nx), (ny - 1) * nx);
  for (let j = 1; j < ny - 1; j++) {
    const r = j * nx;
    for (let i = 0; i < nx; i++) img[r + i] = 0.25 * (tmp[r + i - nx] + tmp[r + i + nx]) + 0.5 * tmp[r + i];
  }
}

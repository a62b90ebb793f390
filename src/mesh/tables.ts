/**
 * Case tables for manifold surface nets, generated at load time (no hand-typed table).
 *
 * A cell is the cube between 8 neighbouring voxel centres. Corner n = bx + 2·by + 4·bz, bit n of
 * the case index set when that voxel is inside the label. Edges: 0..3 run along x (index
 * by + 2·bz), 4..7 along y (4 + bx + 2·bz), 8..11 along z (8 + bx + 2·by).
 *
 * Plain surface nets puts one vertex in every cell the surface crosses, which makes the mesh
 * non-manifold where two parts of a label touch only along an edge or a corner. Here a cell gets
 * one vertex per sheet of surface crossing it: on each cell face the crossing edges are paired as
 * marching cubes would draw the face's contour — on an ambiguous face (inside corners on one
 * diagonal) each inside corner is cut off on its own, so the inside is 6-connected — and edges
 * linked through faces belong to the same sheet. Both cells sharing a face pair its edges the same
 * way, so the quads of the dual surface always close up into a 2-manifold.
 */

/** For case c and edge e: `EDGE_SHEET[c * 12 + e]` is the sheet (0..3) crossing e, or -1. */
export const EDGE_SHEET = new Int8Array(256 * 12);
/** Number of sheets (vertices) of each case. */
export const SHEET_COUNT = new Uint8Array(256);
/**
 * Starting position of each sheet's vertex in the unit cell: `[(c * 4 + sheet) * 3 + axis]`. A
 * lone sheet starts at the cell centre (a voxel corner), so the unsmoothed surface is exactly the
 * voxels' faces — same volume, same centroid. Several sheets are pulled apart towards the centroid
 * of their own edge midpoints.
 */
export const SHEET_CENTROID = new Float32Array(256 * 4 * 3);

const corner = (bx: number, by: number, bz: number) => bx + 2 * by + 4 * bz;

/** Each face as 4 corners in cyclic order and the 4 edges between consecutive ones. */
function faces(): { corners: number[]; edges: number[] }[] {
  const out: { corners: number[]; edges: number[] }[] = [];
  for (const f of [0, 1]) {
    // x = f: (by, bz) cycle; edges y(bz=0), z(by=1), y(bz=1), z(by=0).
    out.push({
      corners: [corner(f, 0, 0), corner(f, 1, 0), corner(f, 1, 1), corner(f, 0, 1)],
      edges: [4 + f, 8 + f + 2, 4 + f + 2, 8 + f],
    });
    // y = f: (bx, bz) cycle; edges x(bz=0), z(bx=1), x(bz=1), z(bx=0).
    out.push({
      corners: [corner(0, f, 0), corner(1, f, 0), corner(1, f, 1), corner(0, f, 1)],
      edges: [f, 8 + 1 + 2 * f, f + 2, 8 + 2 * f],
    });
    // z = f: (bx, by) cycle; edges x(by=0), y(bx=1), x(by=1), y(bx=0).
    out.push({
      corners: [corner(0, 0, f), corner(1, 0, f), corner(1, 1, f), corner(0, 1, f)],
      edges: [2 * f, 4 + 1 + 2 * f, 1 + 2 * f, 4 + 2 * f],
    });
  }
  return out;
}

function edgeCorners(e: number): [number, number] {
  if (e < 4) {
    const by = e & 1,
      bz = e >> 1;
    return [corner(0, by, bz), corner(1, by, bz)];
  }
  if (e < 8) {
    const bx = (e - 4) & 1,
      bz = (e - 4) >> 1;
    return [corner(bx, 0, bz), corner(bx, 1, bz)];
  }
  const bx = (e - 8) & 1,
    by = (e - 8) >> 1;
  return [corner(bx, by, 0), corner(bx, by, 1)];
}

function edgeMidpoint(e: number): [number, number, number] {
  if (e < 4) return [0.5, e & 1, e >> 1];
  if (e < 8) return [(e - 4) & 1, 0.5, (e - 4) >> 1];
  return [(e - 8) & 1, (e - 8) >> 1, 0.5];
}

function build(): void {
  const FACES = faces();
  const CORNERS = Array.from({ length: 12 }, (_, e) => edgeCorners(e));
  for (let c = 0; c < 256; c++) {
    const inside = (n: number) => (c >> n) & 1;
    const parent = Array.from({ length: 12 }, (_, e) => e);
    const find = (e: number): number => (parent[e] === e ? e : (parent[e] = find(parent[e])));
    const join = (a: number, b: number) => {
      parent[find(a)] = find(b);
    };
    const crossing = CORNERS.map(([a, b]) => inside(a) !== inside(b));
    for (const { corners, edges } of FACES) {
      const cut = edges.filter((_, i) => crossing[edges[i]]);
      if (cut.length === 2) join(cut[0], cut[1]);
      else if (cut.length === 4) {
        // Ambiguous face: cut off each inside corner i (between edges i-1 and i) on its own.
        for (let i = 0; i < 4; i++) if (inside(corners[i])) join(edges[(i + 3) % 4], edges[i]);
      }
    }
    const sheetOf = new Map<number, number>();
    const sums: number[][] = [];
    for (let e = 0; e < 12; e++) {
      if (!crossing[e]) {
        EDGE_SHEET[c * 12 + e] = -1;
        continue;
      }
      const root = find(e);
      let s = sheetOf.get(root);
      if (s === undefined) {
        s = sheetOf.size;
        sheetOf.set(root, s);
        sums.push([0, 0, 0, 0]);
      }
      EDGE_SHEET[c * 12 + e] = s;
      const m = edgeMidpoint(e);
      for (let a = 0; a < 3; a++) sums[s][a] += m[a];
      sums[s][3]++;
    }
    SHEET_COUNT[c] = sheetOf.size;
    const pull = sheetOf.size > 1 ? 0.25 : 0;
    sums.forEach((sum, s) => {
      for (let a = 0; a < 3; a++) SHEET_CENTROID[(c * 4 + s) * 3 + a] = 0.5 + pull * (sum[a] / sum[3] - 0.5);
    });
  }
}

build();

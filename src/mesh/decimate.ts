/**
 * Quadric-error edge collapse (Garland & Heckbert 1997) for closed, 2-manifold, outward-wound
 * triangle meshes.
 *
 * Every vertex carries a quadric: the area-weighted sum of the squared-distance forms of the planes
 * of its incident triangles. Collapsing edge (u, v) moves u to the point minimising the summed
 * quadric Q_u + Q_v (or to the best of u, v and their midpoint where that point is ill-defined),
 * removes v and the two triangles on the edge, and leaves u with Q_u + Q_v. Edges are taken
 * cheapest first from a binary min-heap; entries are never updated in place but carry the version
 * stamps of both endpoints at push time, and an entry whose stamps no longer match is skipped.
 *
 * A collapse is refused when it would
 *  - break 2-manifoldness: the endpoints must share exactly two neighbours (the apexes of the
 *    edge's two triangles — the link condition), and no vertex may end up with fewer than three
 *    neighbours, so a component never shrinks below a tetrahedron;
 *  - turn a surviving triangle over (new·old unit normal < MIN_NORMAL_DOT) or make it degenerate.
 * Surviving triangles only ever have a vertex id replaced, so the winding (counter-clockwise seen
 * from outside) is kept. Edges refused once are dropped; they come back when an endpoint changes,
 * and a fresh heap of all remaining edges is built (up to MAX_ROUNDS times) while the triangle
 * target has not been reached.
 *
 * Adjacency is a vertex → triangle list in one growable Int32Array arena (compacted when full);
 * on a closed, consistently wound mesh the neighbours of v are exactly the vertices following v in
 * its triangles, one per triangle, so no edge table is needed. The result is deterministic.
 */

/** Largest fraction of triangles that may be removed. */
export const MAX_DECIMATION = 0.95;

/** A collapse is refused if a surviving triangle's unit normal turns by more than acos(0.2) ≈ 78°. */
const MIN_NORMAL_DOT = 0.2;
/** Shape quality 4√3·area / Σ edge² (1 for equilateral) below which a new triangle counts as degenerate. */
const MIN_QUALITY = 1e-3;
/** Fresh heaps built from all remaining edges at most this many times. */
const MAX_ROUNDS = 8;
/** Relative determinant below which the 3×3 system for the optimal position is treated as singular. */
const SINGULAR = 1e-10;

/** Quadric layout: a11 a12 a13 a22 a23 a33 b1 b2 b3 c, error(x) = xᵀAx + 2bᵀx + c. */
const QS = 10;

export interface DecimatedMesh {
  positions: Float64Array;
  indices: Uint32Array;
}

/**
 * Remove about `fraction` (0..0.95) of the triangles of a closed, manifold, outward-wound triangle
 * mesh by quadric-error edge collapse (Garland-Heckbert). Each collapse removes two triangles; fewer
 * are removed when no allowed collapse is left (tiny or already coarse meshes). The output has no
 * unused vertices; surviving vertices keep their relative order. `fraction <= 0` returns copies.
 */
export function decimate(positions: Float64Array, indices: Uint32Array, fraction: number): DecimatedMesh {
  if (positions.length % 3 !== 0) throw new RangeError(`positions length ${positions.length} is not a multiple of 3`);
  if (indices.length % 3 !== 0) throw new RangeError(`indices length ${indices.length} is not a multiple of 3`);
  const vertexCount = positions.length / 3;
  for (let i = 0; i < indices.length; i++) {
    if (indices[i] >= vertexCount) throw new RangeError(`index ${indices[i]} out of range (${vertexCount} vertices)`);
  }
  const f = Number.isFinite(fraction) ? Math.min(fraction, MAX_DECIMATION) : 0;
  const triCount = indices.length / 3;
  if (!(f > 0) || triCount === 0) return { positions: positions.slice(), indices: indices.slice() };
  const d = new Collapser(positions, indices);
  d.run(triCount - Math.round(triCount * f));
  return d.result();
}

class Collapser {
  readonly pos: Float64Array;
  readonly tri: Uint32Array;
  readonly triAlive: Uint8Array;
  readonly q: Float64Array;
  readonly removed: Uint8Array;
  readonly version: Uint32Array;
  /** Triangles of vertex v: refs[start[v] .. start[v] + count[v]). */
  readonly start: Int32Array;
  readonly count: Int32Array;
  refs: Int32Array;
  refsEnd = 0;
  liveTris: number;
  /** Visit marks for neighbour sets. */
  readonly mark: Uint32Array;
  markStamp = 0;
  scratch = new Int32Array(64);

  // Heap of (cost, entry id); entry data in a pool recycled through a free stack.
  heapCost = new Float64Array(0);
  heapId = new Int32Array(0);
  heapSize = 0;
  poolU = new Uint32Array(0);
  poolV = new Uint32Array(0);
  poolVerU = new Uint32Array(0);
  poolVerV = new Uint32Array(0);
  poolNext = 0;
  freeIds = new Int32Array(0);
  freeTop = 0;

  // Target position of the last edge evaluated by edgeCost.
  tx = 0;
  ty = 0;
  tz = 0;

  constructor(positions: Float64Array, indices: Uint32Array) {
    const n = positions.length / 3;
    const m = indices.length / 3;
    this.pos = positions.slice();
    this.tri = indices.slice();
    this.triAlive = new Uint8Array(m).fill(1);
    this.liveTris = m;
    this.removed = new Uint8Array(n);
    this.version = new Uint32Array(n);
    this.mark = new Uint32Array(n);
    this.start = new Int32Array(n);
    this.count = new Int32Array(n);
    for (let i = 0; i < indices.length; i++) this.count[indices[i]]++;
    let s = 0;
    for (let v = 0; v < n; v++) {
      this.start[v] = s;
      s += this.count[v];
    }
    this.refs = new Int32Array(Math.max(16, 2 * indices.length));
    this.refsEnd = s;
    const fill = this.start.slice();
    for (let i = 0; i < indices.length; i++) this.refs[fill[indices[i]]++] = (i / 3) | 0;
    this.q = new Float64Array(QS * n);
    this.planeQuadrics();
    this.reserveHeap(Math.max(16, 2 * m));
  }

  /** Area-weighted plane quadric of every triangle added to its three vertices. */
  planeQuadrics(): void {
    const { pos, tri, q } = this;
    for (let t = 0; t < tri.length; t += 3) {
      const a = 3 * tri[t],
        b = 3 * tri[t + 1],
        c = 3 * tri[t + 2];
      const ux = pos[b] - pos[a],
        uy = pos[b + 1] - pos[a + 1],
        uz = pos[b + 2] - pos[a + 2];
      const vx = pos[c] - pos[a],
        vy = pos[c + 1] - pos[a + 1],
        vz = pos[c + 2] - pos[a + 2];
      let nx = uy * vz - uz * vy,
        ny = uz * vx - ux * vz,
        nz = ux * vy - uy * vx;
      const len = Math.sqrt(nx * nx + ny * ny + nz * nz);
      if (len === 0) continue;
      const w = 0.5 * len; // triangle area
      nx /= len;
      ny /= len;
      nz /= len;
      const dd = -(nx * pos[a] + ny * pos[a + 1] + nz * pos[a + 2]);
      for (let k = 0; k < 3; k++) {
        const o = QS * tri[t + k];
        q[o] += w * nx * nx;
        q[o + 1] += w * nx * ny;
        q[o + 2] += w * nx * nz;
        q[o + 3] += w * ny * ny;
        q[o + 4] += w * ny * nz;
        q[o + 5] += w * nz * nz;
        q[o + 6] += w * nx * dd;
        q[o + 7] += w * ny * dd;
        q[o + 8] += w * nz * dd;
        q[o + 9] += w * dd * dd;
      }
    }
  }

  /** Collapse edges until at most `target` triangles are left or no collapse is allowed. */
  run(target: number): void {
    for (let round = 0; round < MAX_ROUNDS && this.liveTris > target; round++) {
      this.fillHeap();
      let collapsed = false;
      while (this.heapSize > 0 && this.liveTris > target) {
        const id = this.pop();
        const u = this.poolU[id],
          v = this.poolV[id];
        if (this.removed[u] || this.removed[v]) continue;
        if (this.version[u] !== this.poolVerU[id] || this.version[v] !== this.poolVerV[id]) continue;
        if (this.collapse(u, v)) collapsed = true;
      }
      if (!collapsed) break;
    }
  }

  /** Summed-quadric cost of collapsing (u, v); leaves the optimal position in tx, ty, tz. */
  edgeCost(u: number, v: number): number {
    const q = this.q,
      p = this.pos;
    const ou = QS * u,
      ov = QS * v;
    const a11 = q[ou] + q[ov],
      a12 = q[ou + 1] + q[ov + 1],
      a13 = q[ou + 2] + q[ov + 2];
    const a22 = q[ou + 3] + q[ov + 3],
      a23 = q[ou + 4] + q[ov + 4],
      a33 = q[ou + 5] + q[ov + 5];
    const b1 = q[ou + 6] + q[ov + 6],
      b2 = q[ou + 7] + q[ov + 7],
      b3 = q[ou + 8] + q[ov + 8];
    const c = q[ou + 9] + q[ov + 9];
    const err = (x: number, y: number, z: number): number =>
      x * (a11 * x + 2 * (a12 * y + a13 * z + b1)) + y * (a22 * y + 2 * (a23 * z + b2)) + z * (a33 * z + 2 * b3) + c;

    const ux = p[3 * u],
      uy = p[3 * u + 1],
      uz = p[3 * u + 2];
    const vx = p[3 * v],
      vy = p[3 * v + 1],
      vz = p[3 * v + 2];
    const mx = 0.5 * (ux + vx),
      my = 0.5 * (uy + vy),
      mz = 0.5 * (uz + vz);
    const ex = vx - ux,
      ey = vy - uy,
      ez = vz - uz;
    const edge2 = ex * ex + ey * ey + ez * ez;

    // Cofactors of the symmetric A; solve A x = −b by Cramer's rule.
    const c11 = a22 * a33 - a23 * a23,
      c12 = a13 * a23 - a12 * a33,
      c13 = a12 * a23 - a13 * a22;
    const det = a11 * c11 + a12 * c12 + a13 * c13;
    const tr = a11 + a22 + a33;
    if (Math.abs(det) > SINGULAR * tr * tr * tr) {
      const c22 = a11 * a33 - a13 * a13,
        c23 = a12 * a13 - a11 * a23,
        c33 = a11 * a22 - a12 * a12;
      const x = -(c11 * b1 + c12 * b2 + c13 * b3) / det;
      const y = -(c12 * b1 + c22 * b2 + c23 * b3) / det;
      const z = -(c13 * b1 + c23 * b2 + c33 * b3) / det;
      // A nearly flat neighbourhood leaves the optimum poorly pinned along the surface; only
      // trust it close to the edge.
      const dx = x - mx,
        dy = y - my,
        dz = z - mz;
      if (dx * dx + dy * dy + dz * dz <= edge2) {
        this.tx = x;
        this.ty = y;
        this.tz = z;
        return Math.max(0, err(x, y, z));
      }
    }
    let best = err(mx, my, mz);
    this.tx = mx;
    this.ty = my;
    this.tz = mz;
    const eu = err(ux, uy, uz);
    if (eu < best) {
      best = eu;
      this.tx = ux;
      this.ty = uy;
      this.tz = uz;
    }
    const ev = err(vx, vy, vz);
    if (ev < best) {
      best = ev;
      this.tx = vx;
      this.ty = vy;
      this.tz = vz;
    }
    return Math.max(0, best);
  }

  /** Collapse v into u if allowed; returns whether it happened. */
  collapse(u: number, v: number): boolean {
    const { tri, refs, mark } = this;
    const su = this.start[u],
      nu = this.count[u];
    const sv = this.start[v],
      nv = this.count[v];

    // Link condition: u and v share exactly two neighbours.
    const stamp = ++this.markStamp;
    for (let i = su; i < su + nu; i++) mark[after(tri, refs[i], u)] = stamp;
    let common = 0;
    for (let i = sv; i < sv + nv; i++) if (mark[after(tri, refs[i], v)] === stamp) common++;
    if (common !== 2) return false;

    // The two triangles on the edge, and their apexes.
    let t0 = -1,
      t1 = -1;
    for (let i = su; i < su + nu; i++) {
      const t = refs[i];
      if (tri[3 * t] === v || tri[3 * t + 1] === v || tri[3 * t + 2] === v) {
        if (t0 < 0) t0 = t;
        else if (t1 < 0) t1 = t;
        else return false;
      }
    }
    if (t1 < 0) return false;
    const a = apex(tri, t0, u, v),
      b = apex(tri, t1, u, v);
    if (a === b) return false;
    // Keep every vertex at valence ≥ 3: no component below a tetrahedron.
    if (nu + nv - 4 < 3 || this.count[a] - 1 < 3 || this.count[b] - 1 < 3) return false;

    this.edgeCost(u, v);
    const x = this.tx,
      y = this.ty,
      z = this.tz;
    for (let i = su; i < su + nu; i++) {
      const t = refs[i];
      if (t !== t0 && t !== t1 && !this.moveKeepsShape(t, u, x, y, z)) return false;
    }
    for (let i = sv; i < sv + nv; i++) {
      const t = refs[i];
      if (t !== t0 && t !== t1 && !this.moveKeepsShape(t, v, x, y, z)) return false;
    }

    // Apply: new triangle list of u = its own and v's, minus the two on the edge.
    if (this.scratch.length < nu + nv) this.scratch = new Int32Array(2 * (nu + nv));
    const list = this.scratch;
    let k = 0;
    for (let i = su; i < su + nu; i++) {
      const t = refs[i];
      if (t !== t0 && t !== t1) list[k++] = t;
    }
    for (let i = sv; i < sv + nv; i++) {
      const t = refs[i];
      if (t === t0 || t === t1) continue;
      const o = 3 * t;
      if (tri[o] === v) tri[o] = u;
      else if (tri[o + 1] === v) tri[o + 1] = u;
      else tri[o + 2] = u;
      list[k++] = t;
    }
    this.triAlive[t0] = 0;
    this.triAlive[t1] = 0;
    this.liveTris -= 2;
    this.dropRef(a, t0);
    this.dropRef(b, t1);
    this.count[v] = 0;
    this.removed[v] = 1;
    this.setList(u, list, k);

    const p = this.pos,
      q = this.q;
    p[3 * u] = x;
    p[3 * u + 1] = y;
    p[3 * u + 2] = z;
    for (let j = 0; j < QS; j++) q[QS * u + j] += q[QS * v + j];
    this.version[u]++;

    // Re-price every edge at u.
    const s = this.start[u];
    for (let i = s; i < s + k; i++) this.pushEdge(u, after(tri, this.refs[i], u));
    return true;
  }

  /**
   * Whether moving `moved` of triangle t to (x, y, z) keeps its normal within MIN_NORMAL_DOT of
   * the old one and does not make a (more) degenerate triangle.
   */
  moveKeepsShape(t: number, moved: number, x: number, y: number, z: number): boolean {
    const tri = this.tri,
      p = this.pos;
    const o = 3 * t;
    // Rotate so that the moved vertex comes first; the winding is unchanged.
    const k = tri[o] === moved ? 0 : tri[o + 1] === moved ? 1 : 2;
    const b = 3 * tri[o + ((k + 1) % 3)],
      c = 3 * tri[o + ((k + 2) % 3)],
      a = 3 * moved;
    const bx = p[b],
      by = p[b + 1],
      bz = p[b + 2];
    const cx = p[c] - bx,
      cy = p[c + 1] - by,
      cz = p[c + 2] - bz;
    // Old and new normals share the edge b→c: n = (b − a) × (c − b).
    const ox = bx - p[a],
      oy = by - p[a + 1],
      oz = bz - p[a + 2];
    const nx = bx - x,
      ny = by - y,
      nz = bz - z;
    const onx = oy * cz - oz * cy,
      ony = oz * cx - ox * cz,
      onz = ox * cy - oy * cx;
    const nnx = ny * cz - nz * cy,
      nny = nz * cx - nx * cz,
      nnz = nx * cy - ny * cx;
    const oldLen = Math.sqrt(onx * onx + ony * ony + onz * onz);
    const newLen = Math.sqrt(nnx * nnx + nny * nny + nnz * nnz);
    if (onx * nnx + ony * nny + onz * nnz < MIN_NORMAL_DOT * oldLen * newLen) return false;
    const bc2 = cx * cx + cy * cy + cz * cz;
    const oldSum = bc2 + ox * ox + oy * oy + oz * oz + sq(p[c] - p[a], p[c + 1] - p[a + 1], p[c + 2] - p[a + 2]);
    const newSum = bc2 + nx * nx + ny * ny + nz * nz + sq(p[c] - x, p[c + 1] - y, p[c + 2] - z);
    // quality = 2√3 |n| / Σ edge²; compare without dividing.
    const newQ = 2 * Math.sqrt(3) * newLen;
    if (newQ < MIN_QUALITY * newSum && newLen * oldSum < oldLen * newSum) return false;
    return true;
  }

  /** Remove triangle t from the list of vertex v (order within a list does not matter). */
  dropRef(v: number, t: number): void {
    const s = this.start[v],
      last = s + this.count[v] - 1;
    for (let i = s; i <= last; i++) {
      if (this.refs[i] === t) {
        this.refs[i] = this.refs[last];
        this.count[v]--;
        return;
      }
    }
  }

  /** Give v a new triangle list, appended to the arena (compacting it first when full). */
  setList(v: number, list: Int32Array, n: number): void {
    if (this.refsEnd + n > this.refs.length) this.compact(n);
    this.refs.set(list.subarray(0, n), this.refsEnd);
    this.start[v] = this.refsEnd;
    this.count[v] = n;
    this.refsEnd += n;
  }

  /** Pack the lists of all remaining vertices into a fresh arena with room for `extra` more. */
  compact(extra: number): void {
    const live = 3 * this.liveTris + extra;
    const next = new Int32Array(Math.max(this.refs.length, 2 * live));
    let e = 0;
    for (let v = 0; v < this.start.length; v++) {
      const n = this.count[v];
      if (n === 0) continue;
      const s = this.start[v];
      next.set(this.refs.subarray(s, s + n), e);
      this.start[v] = e;
      e += n;
    }
    this.refs = next;
    this.refsEnd = e;
  }

  // ---- heap ----

  reserveHeap(capacity: number): void {
    if (capacity <= this.heapCost.length) return;
    const grow = <T extends Float64Array | Int32Array | Uint32Array>(arr: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(arr);
      return next;
    };
    this.heapCost = grow(this.heapCost, (n) => new Float64Array(n));
    this.heapId = grow(this.heapId, (n) => new Int32Array(n));
    this.freeIds = grow(this.freeIds, (n) => new Int32Array(n));
    this.poolU = grow(this.poolU, (n) => new Uint32Array(n));
    this.poolV = grow(this.poolV, (n) => new Uint32Array(n));
    this.poolVerU = grow(this.poolVerU, (n) => new Uint32Array(n));
    this.poolVerV = grow(this.poolVerV, (n) => new Uint32Array(n));
  }

  /** A pool entry for (u, v) with the endpoints' current versions. */
  newEntry(u: number, v: number): number {
    let id: number;
    if (this.freeTop > 0) id = this.freeIds[--this.freeTop];
    else {
      if (this.poolNext >= this.poolU.length) this.reserveHeap(2 * this.poolU.length);
      id = this.poolNext++;
    }
    this.poolU[id] = u;
    this.poolV[id] = v;
    this.poolVerU[id] = this.version[u];
    this.poolVerV[id] = this.version[v];
    return id;
  }

  /** Heap of every remaining edge, each once (from the triangle where it runs low → high), heapified bottom-up. */
  fillHeap(): void {
    this.heapSize = 0;
    this.poolNext = 0;
    this.freeTop = 0;
    const tri = this.tri;
    for (let t = 0; t < this.triAlive.length; t++) {
      if (!this.triAlive[t]) continue;
      for (let k = 0; k < 3; k++) {
        const a = tri[3 * t + k],
          b = tri[3 * t + ((k + 1) % 3)];
        if (a >= b) continue;
        const cost = this.edgeCost(a, b);
        const id = this.newEntry(a, b);
        this.heapCost[this.heapSize] = cost;
        this.heapId[this.heapSize++] = id;
      }
    }
    for (let i = (this.heapSize >> 1) - 1; i >= 0; i--) this.siftDown(i, this.heapCost[i], this.heapId[i]);
  }

  pushEdge(u: number, v: number): void {
    const cost = this.edgeCost(u, v);
    const id = this.newEntry(u, v);
    const hc = this.heapCost,
      hi = this.heapId;
    let i = this.heapSize++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (hc[parent] <= cost) break;
      hc[i] = hc[parent];
      hi[i] = hi[parent];
      i = parent;
    }
    hc[i] = cost;
    hi[i] = id;
  }

  /** Remove the cheapest entry and return its id (the id goes back to the free stack). */
  pop(): number {
    const id = this.heapId[0];
    const last = --this.heapSize;
    if (last > 0) this.siftDown(0, this.heapCost[last], this.heapId[last]);
    this.freeIds[this.freeTop++] = id;
    return id;
  }

  siftDown(i: number, cost: number, id: number): void {
    const hc = this.heapCost,
      hi = this.heapId,
      n = this.heapSize;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && hc[child + 1] < hc[child]) child++;
      if (hc[child] >= cost) break;
      hc[i] = hc[child];
      hi[i] = hi[child];
      i = child;
    }
    hc[i] = cost;
    hi[i] = id;
  }

  // ---- output ----

  /** Surviving triangles in input order, vertices renumbered in input order, unused ones dropped. */
  result(): DecimatedMesh {
    const n = this.removed.length;
    const used = new Uint8Array(n);
    const indices = new Uint32Array(3 * this.liveTris);
    let k = 0;
    for (let t = 0; t < this.triAlive.length; t++) {
      if (!this.triAlive[t]) continue;
      for (let j = 0; j < 3; j++) {
        const v = this.tri[3 * t + j];
        used[v] = 1;
        indices[k++] = v;
      }
    }
    const remap = new Int32Array(n).fill(-1);
    let kept = 0;
    for (let v = 0; v < n; v++) if (used[v]) remap[v] = kept++;
    const positions = new Float64Array(3 * kept);
    for (let v = 0; v < n; v++) {
      const r = remap[v];
      if (r < 0) continue;
      positions[3 * r] = this.pos[3 * v];
      positions[3 * r + 1] = this.pos[3 * v + 1];
      positions[3 * r + 2] = this.pos[3 * v + 2];
    }
    for (let i = 0; i < indices.length; i++) indices[i] = remap[indices[i]];
    return { positions, indices };
  }
}

/** The vertex following v in triangle t (its neighbour across the edge v → next). */
function after(tri: Uint32Array, t: number, v: number): number {
  const o = 3 * t;
  return tri[o] === v ? tri[o + 1] : tri[o + 1] === v ? tri[o + 2] : tri[o];
}

/** The vertex of triangle t that is neither u nor v. */
function apex(tri: Uint32Array, t: number, u: number, v: number): number {
  const o = 3 * t;
  for (let k = 0; k < 3; k++) {
    const w = tri[o + k];
    if (w !== u && w !== v) return w;
  }
  return u;
}

function sq(x: number, y: number, z: number): number {
  return x * x + y * y + z * z;
}

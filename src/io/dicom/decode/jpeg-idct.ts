/**
 * The integer inverse DCT of the IJG library ("islow": Loeffler–Ligtenberg–Moschytz with 13-bit
 * fixed-point constants, two passes, PASS1_BITS 2 for 8-bit and 1 for 12-bit samples), so that
 * decoded pixels match libjpeg / DCMTK's dcmdjpeg. Written from the published algorithm. The
 * arithmetic is done in doubles with floor-division descaling, which equals libjpeg's 32/64-bit
 * integer arithmetic with arithmetic right shifts.
 */

const CONST_BITS = 13;
const F_0_298 = 2446;
const F_0_390 = 3196;
const F_0_541 = 4433;
const F_0_765 = 6270;
const F_0_899 = 7373;
const F_1_175 = 9633;
const F_1_501 = 12299;
const F_1_847 = 15137;
const F_1_961 = 16069;
const F_2_053 = 16819;
const F_2_562 = 20995;
const F_3_072 = 25172;

const descale = (x: number, n: number) => Math.floor((x + 2 ** (n - 1)) / 2 ** n);

/**
 * One 1-D 8-point IDCT over `src[o + s*i]` (i = 0..7) into `dst[d + t*i]`, descaled by `shift`
 * bits.
 */
function idct1d(src: Float64Array, o: number, s: number, dst: Float64Array, d: number, t: number, shift: number): void {
  let z2 = src[o + 2 * s];
  let z3 = src[o + 6 * s];
  let z1 = (z2 + z3) * F_0_541;
  const t2e = z1 - z3 * F_1_847;
  const t3e = z1 + z2 * F_0_765;
  z2 = src[o];
  z3 = src[o + 4 * s];
  const t0e = (z2 + z3) * 2 ** CONST_BITS;
  const t1e = (z2 - z3) * 2 ** CONST_BITS;
  const t10 = t0e + t3e;
  const t13 = t0e - t3e;
  const t11 = t1e + t2e;
  const t12 = t1e - t2e;

  let t0 = src[o + 7 * s];
  let t1 = src[o + 5 * s];
  let t2 = src[o + 3 * s];
  let t3 = src[o + s];
  z1 = t0 + t3;
  z2 = t1 + t2;
  z3 = t0 + t2;
  let z4 = t1 + t3;
  const z5 = (z3 + z4) * F_1_175;
  t0 *= F_0_298;
  t1 *= F_2_053;
  t2 *= F_3_072;
  t3 *= F_1_501;
  z1 *= -F_0_899;
  z2 *= -F_2_562;
  z3 = z3 * -F_1_961 + z5;
  z4 = z4 * -F_0_390 + z5;
  t0 += z1 + z3;
  t1 += z2 + z4;
  t2 += z2 + z3;
  t3 += z1 + z4;

  dst[d] = descale(t10 + t3, shift);
  dst[d + 7 * t] = descale(t10 - t3, shift);
  dst[d + t] = descale(t11 + t2, shift);
  dst[d + 6 * t] = descale(t11 - t2, shift);
  dst[d + 2 * t] = descale(t12 + t1, shift);
  dst[d + 5 * t] = descale(t12 - t1, shift);
  dst[d + 3 * t] = descale(t13 + t0, shift);
  dst[d + 4 * t] = descale(t13 - t0, shift);
}

const work = new Float64Array(64);
const rows = new Float64Array(8);

/**
 * Dequantized coefficients (natural order, 64) -> samples written to `out` at `offset` with row
 * `stride`, level-shifted by 2^(precision-1) and clamped to [0, 2^precision - 1].
 */
export function idctBlock(
  coef: Float64Array,
  precision: number,
  out: Uint16Array,
  offset: number,
  stride: number,
): void {
  const pass1 = precision > 8 ? 1 : 2;
  for (let c = 0; c < 8; c++) idct1d(coef, c, 8, work, c, 8, CONST_BITS - pass1);
  const center = 2 ** (precision - 1);
  const max = 2 ** precision - 1;
  for (let r = 0; r < 8; r++) {
    idct1d(work, r * 8, 1, rows, 0, 1, CONST_BITS + pass1 + 3);
    const o = offset + r * stride;
    for (let c = 0; c < 8; c++) {
      const v = rows[c] + center;
      out[o + c] = v < 0 ? 0 : v > max ? max : v;
    }
  }
}

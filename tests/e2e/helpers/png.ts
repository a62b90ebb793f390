/**
 * Minimal PNG decoder for screenshots (8-bit RGB/RGBA, non-interlaced — what Chromium writes)
 * and pixel statistics used to decide whether a viewport shows an image.
 */
import { inflateSync } from 'node:zlib';

export interface Rgba {
  width: number;
  height: number;
  /** width*height*4 bytes, RGBA. */
  data: Uint8Array;
}

export function decodePng(png: Uint8Array): Rgba {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  if (!sig.every((b, i) => png[i] === b)) throw new Error('not a PNG');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let width = 0,
    height = 0,
    colorType = 0;
  const idat: Uint8Array[] = [];
  for (let p = 8; p < png.length;) {
    const len = view.getUint32(p);
    const type = String.fromCharCode(...png.subarray(p + 4, p + 8));
    const body = png.subarray(p + 8, p + 8 + len);
    if (type === 'IHDR') {
      width = view.getUint32(p + 8);
      height = view.getUint32(p + 12);
      const depth = png[p + 16];
      colorType = png[p + 17];
      if (depth !== 8 || (colorType !== 2 && colorType !== 6) || png[p + 20] !== 0)
        throw new Error(`unsupported PNG: depth ${depth}, colour type ${colorType}, interlace ${png[p + 20]}`);
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    p += 12 + len;
  }
  const bpp = colorType === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const cur = new Uint8Array(stride);
  const prev = new Uint8Array(stride);
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? cur[x - bpp] : 0; // left
      const b = prev[x]; // up
      const c = x >= bpp ? prev[x - bpp] : 0; // up-left
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const pa = Math.abs(b - c),
          pb = Math.abs(a - c),
          pc = Math.abs(a + b - 2 * c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      cur[x] = v & 255;
    }
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      out[o] = cur[x * bpp];
      out[o + 1] = cur[x * bpp + 1];
      out[o + 2] = cur[x * bpp + 2];
      out[o + 3] = bpp === 4 ? cur[x * bpp + 3] : 255;
    }
    prev.set(cur);
  }
  return { width, height, data: out };
}

export interface PixelStats {
  /** Fraction of pixels that differ clearly (> 24 in some channel) from the most common colour. */
  foreground: number;
  /** Standard deviation of luminance (0..255). */
  lumaStd: number;
  /** Number of distinct grey levels (luma rounded), a proxy for real image content vs flat fills. */
  levels: number;
}

export function pixelStats(img: Rgba): PixelStats {
  const n = img.width * img.height;
  const counts = new Map<number, number>();
  const d = img.data;
  for (let i = 0; i < n; i++) {
    const key = ((d[4 * i] >> 3) << 10) | ((d[4 * i + 1] >> 3) << 5) | (d[4 * i + 2] >> 3);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let modeKey = 0,
    modeCount = -1;
  for (const [k, c] of counts) if (c > modeCount) ((modeKey = k), (modeCount = c));
  const bg = [((modeKey >> 10) & 31) << 3, ((modeKey >> 5) & 31) << 3, (modeKey & 31) << 3];
  let fg = 0,
    sum = 0,
    sum2 = 0;
  const levels = new Set<number>();
  for (let i = 0; i < n; i++) {
    const r = d[4 * i],
      g = d[4 * i + 1],
      b = d[4 * i + 2];
    if (Math.abs(r - bg[0]) > 24 || Math.abs(g - bg[1]) > 24 || Math.abs(b - bg[2]) > 24) fg++;
    const l = 0.299 * r + 0.587 * g + 0.114 * b;
    sum += l;
    sum2 += l * l;
    levels.add(Math.round(l));
  }
  const mean = sum / n;
  return { foreground: fg / n, lumaStd: Math.sqrt(Math.max(0, sum2 / n - mean * mean)), levels: levels.size };
}

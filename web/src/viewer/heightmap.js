// Height maps arrive decimated from GET /api/scans/{id}/surface (u16 with
// scale and offset, plus a validity bitset), never as raw float64 scans.
// A Height is {nx, ny, dx, dy (µm), z: Float32Array (µm, NaN = missing),
// zmin, zmax, source}. Images (calibrated 2D scans) are {image, dx, dy}.

import * as api from '../api.js';

function b64(s) {
  const bin = atob(s || '');
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function decodeSurface(j) {
  const n = j.nx * j.ny;
  const raw = b64(j.heights);
  const z = new Float32Array(n);
  const dv = new DataView(raw.buffer);
  if (j.encoding === 'f32') {
    for (let i = 0; i < n; i++) z[i] = dv.getFloat32(i * 4, true);
  } else {
    for (let i = 0; i < n; i++) z[i] = j.offset_um + dv.getUint16(i * 2, true) * j.scale_um;
  }
  if (j.mask) {
    const m = b64(j.mask);
    for (let i = 0; i < n; i++) if (!(m[i >> 3] & (1 << (i & 7)))) z[i] = NaN;
  }
  // Point (i, j) lies at (x0 + i·dx, y0 + j·dy): x0, y0 is the centre of the first block.
  return { nx: j.nx, ny: j.ny, dx: j.dx_um, dy: j.dy_um, x0: j.x0_um ?? 0, y0: j.y0_um ?? 0, z, zmin: j.z_min_um, zmax: j.z_max_um,
    source: j.source, factor: j.factor, fullNX: j.full_nx, fullNY: j.full_ny, fullDX: j.full_dx_um, fullDY: j.full_dy_um };
}

export async function loadSurface(scanID, max, signal) {
  const j = await api.get(`/api/scans/${encodeURIComponent(scanID)}/surface` + api.qs({ max, encoding: 'u16' }), { signal, notFound: 'ui.err.scan_missing' });
  return decodeSurface(j);
}

// loadImage loads a calibrated 2D scan (or any scan's thumbnail) as an image with its pixel size.
export async function loadImage(scan, width) {
  const img = new Image();
  img.decoding = 'async';
  img.src = `/api/scans/${encodeURIComponent(scan.id)}/thumbnail?width=${width}`;
  await img.decode();
  const full = scan.um_per_pixel || scan.resolution_um || 1;
  const pxW = scan.width_px || img.naturalWidth;
  const s = (full * pxW) / img.naturalWidth;
  return { image: img, dx: s, dy: s, x0: s / 2, y0: s / 2, nx: img.naturalWidth, ny: img.naturalHeight };
}

// robustRange is the 1st and 99th percentile of the valid heights.
export function robustRange(...maps) {
  const vals = [];
  for (const m of maps) {
    if (!m?.z) continue;
    const step = Math.max(1, Math.floor(m.z.length / 20000));
    for (let i = 0; i < m.z.length; i += step) if (!Number.isNaN(m.z[i])) vals.push(m.z[i]);
  }
  if (!vals.length) return [0, 1];
  vals.sort((a, b) => a - b);
  const lo = vals[Math.floor(vals.length * 0.01)];
  const hi = vals[Math.floor(vals.length * 0.99)];
  return hi > lo ? [lo, hi] : [lo - 1, lo + 1];
}

const STOPS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]]; // viridis

export function colourAt(f) {
  const x = (Number.isFinite(f) ? Math.min(0.9999, Math.max(0, f)) : 0) * (STOPS.length - 1);
  const i = Math.floor(x);
  const r = x - i;
  const a = STOPS[i], b = STOPS[i + 1];
  return [a[0] + (b[0] - a[0]) * r, a[1] + (b[1] - a[1]) * r, a[2] + (b[2] - a[2]) * r];
}

// lightVector gives the unit vector towards the light (azimuth clockwise from north = up, degrees).
export function lightVector(azimuth, elevation) {
  const az = (azimuth * Math.PI) / 180, el = (elevation * Math.PI) / 180;
  return [Math.sin(az) * Math.cos(el), -Math.cos(az) * Math.cos(el), Math.sin(el)];
}

// LUT is the colour map in 256 steps (r, g, b), so that shading does no
// per-point allocation.
const LUT = (() => {
  const t = new Uint8ClampedArray(256 * 3);
  for (let k = 0; k < 256; k++) { const [r, g, b] = colourAt(k / 255); t[k * 3] = r; t[k * 3 + 1] = g; t[k * 3 + 2] = b; }
  return t;
})();

// shade renders a height map to a canvas: hill shading from the light,
// optionally over the height colour map; missing points transparent.
// One flat pass with index arithmetic: it runs before the view is
// interactive, often before the JIT has warmed up.
export function shade(m, { azimuth = 315, elevation = 45, colour = true, relief = 4, range }) {
  const { nx, ny, z } = m;
  const cv = document.createElement('canvas');
  cv.width = nx; cv.height = ny;
  const ctx = cv.getContext('2d');
  const img = ctx.createImageData(nx, ny);
  const out = img.data;
  const [lx, ly, lz] = lightVector(azimuth, elevation);
  const [lo, hi] = range || robustRange(m);
  const kx = relief / (2 * m.dx), ky = relief / (2 * m.dy), cs = 255 / (hi - lo);
  for (let y = 0; y < ny; y++) {
    const row = y * nx, up = (y > 0 ? y - 1 : y) * nx, down = (y < ny - 1 ? y + 1 : y) * nx;
    for (let x = 0; x < nx; x++) {
      const i = row + x, o = i * 4, v = z[i];
      if (v !== v) { out[o + 3] = 0; continue; } // NaN: missing
      let l = z[x > 0 ? i - 1 : i], r = z[x < nx - 1 ? i + 1 : i], u = z[up + x], d = z[down + x];
      if (l !== l) l = v; if (r !== r) r = v; if (u !== u) u = v; if (d !== d) d = v;
      const gx = (r - l) * kx, gy = (d - u) * ky;
      let sh = (-gx * lx - gy * ly + lz) / Math.sqrt(gx * gx + gy * gy + 1);
      if (sh < 0) sh = 0;
      const lum = 0.25 + 0.75 * sh;
      if (colour) {
        let c = ((v - lo) * cs) | 0;
        c = c < 0 ? 0 : c > 255 ? 255 : c;
        out[o] = LUT[c * 3] * lum; out[o + 1] = LUT[c * 3 + 1] * lum; out[o + 2] = LUT[c * 3 + 2] * lum;
      } else {
        out[o] = out[o + 1] = out[o + 2] = 255 * lum;
      }
      out[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  return cv;
}

// flattenAcross removes a land's curvature for display: a quadratic in x
// fitted to the mean profile (striae run along y, so they stay). It returns
// {z, zmin, zmax, flattened} for the same grid.
export function flattenAcross(m) {
  const { nx, ny, z } = m;
  const mean = new Float64Array(nx), count = new Float64Array(nx);
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) { const v = z[j * nx + i]; if (!Number.isNaN(v)) { mean[i] += v; count[i]++; } }
  // Least squares v = a + b·x + c·x² over the columns with data (x scaled to [-1, 1]).
  const S = new Float64Array(5), T = new Float64Array(3);
  for (let i = 0; i < nx; i++) {
    if (!count[i]) continue;
    const x = (2 * i) / Math.max(1, nx - 1) - 1, v = mean[i] / count[i];
    let p = 1;
    for (let k = 0; k < 5; k++) { S[k] += p; if (k < 3) T[k] += p * v; p *= x; }
  }
  const A = [[S[0], S[1], S[2]], [S[1], S[2], S[3]], [S[2], S[3], S[4]]];
  const coef = solve3(A, [T[0], T[1], T[2]]);
  if (!coef) return { flattened: true };
  const out = new Float32Array(z.length);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < nx; i++) {
    const x = (2 * i) / Math.max(1, nx - 1) - 1, fit = coef[0] + coef[1] * x + coef[2] * x * x;
    for (let j = 0; j < ny; j++) { const n = j * nx + i; const v = z[n] - fit; out[n] = v; if (v < lo) lo = v; if (v > hi) hi = v; }
  }
  return { z: out, zmin: lo, zmax: hi, flattened: true };
}

function solve3(A, b) {
  const m = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < 3; c++) {
    let p = c;
    for (let r = c + 1; r < 3; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    if (Math.abs(m[p][c]) < 1e-12) return null;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = 0; r < 3; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k < 4; k++) m[r][k] -= f * m[c][k];
    }
  }
  return [m[0][3] / m[0][0], m[1][3] / m[1][1], m[2][3] / m[2][2]];
}

// centreOf is the point B turns about, in µm: the point (⌊nx/2⌋, ⌊ny/2⌋) of
// its full grid (integer division, as the engine).
export function centreOf(m) {
  const f = m.factor || 1;
  return [Math.floor((m.fullNX || m.nx * f) / 2) * (m.fullDX || m.dx / f), Math.floor((m.fullNY || m.ny * f) / 2) * (m.fullDY || m.dy / f)];
}

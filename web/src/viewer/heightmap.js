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
  return { nx: j.nx, ny: j.ny, dx: j.dx_um, dy: j.dy_um, z, zmin: j.z_min_um, zmax: j.z_max_um, source: j.source, factor: j.factor, fullNX: j.full_nx, fullNY: j.full_ny };
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
  return { image: img, dx: s, dy: s, nx: img.naturalWidth, ny: img.naturalHeight };
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

// shade renders a height map to a canvas: hill shading from the light,
// optionally over the height colour map; missing points transparent.
export function shade(m, { azimuth = 315, elevation = 45, colour = true, relief = 4, range }) {
  const { nx, ny, z } = m;
  const cv = document.createElement('canvas');
  cv.width = nx; cv.height = ny;
  const ctx = cv.getContext('2d');
  const img = ctx.createImageData(nx, ny);
  const [lx, ly, lz] = lightVector(azimuth, elevation);
  const [lo, hi] = range || robustRange(m);
  const k = relief;
  const at = (x, y) => z[Math.min(ny - 1, Math.max(0, y)) * nx + Math.min(nx - 1, Math.max(0, x))];
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const i = y * nx + x;
      const v = z[i];
      const o = i * 4;
      if (Number.isNaN(v)) { img.data[o + 3] = 0; continue; }
      let l = at(x - 1, y), r = at(x + 1, y), u = at(x, y - 1), d = at(x, y + 1);
      if (Number.isNaN(l)) l = v; if (Number.isNaN(r)) r = v; if (Number.isNaN(u)) u = v; if (Number.isNaN(d)) d = v;
      const gx = ((r - l) / (2 * m.dx)) * k, gy = ((d - u) / (2 * m.dy)) * k;
      const inv = 1 / Math.sqrt(gx * gx + gy * gy + 1);
      const s = Math.max(0, (-gx * lx - gy * ly + lz) * inv);
      const lum = 0.25 + 0.75 * s;
      if (colour) {
        const [cr, cg, cb] = colourAt((v - lo) / (hi - lo));
        img.data[o] = cr * lum; img.data[o + 1] = cg * lum; img.data[o + 2] = cb * lum;
      } else {
        img.data[o] = img.data[o + 1] = img.data[o + 2] = 255 * lum;
      }
      img.data[o + 3] = 255;
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

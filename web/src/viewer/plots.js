// Signature plots for the land-by-land view of bullets: two aligned
// signatures (A blue, B red) on one µm axis, matched striae shaded.
import { h } from '../dom.js';

export function signaturePlot({ a, b, dx, striae, width = 640, height = 150, labels }) {
  const cv = h('canvas', { class: 'sigplot', width, height, role: 'img', 'aria-label': labels.title });
  const ctx = cv.getContext('2d');
  const n = Math.max(a?.length || 0, b?.length || 0);
  const vals = [...(a || []), ...(b || [])].filter((v) => v != null && Number.isFinite(v));
  if (!n || !vals.length) return cv;
  let lo = Math.min(...vals), hi = Math.max(...vals);
  if (hi === lo) { hi += 1; lo -= 1; }
  const padL = 44, padB = 20, W = width - padL - 6, H = height - padB - 6;
  const X = (i) => padL + (i / (n - 1)) * W, Y = (v) => 6 + H - ((v - lo) / (hi - lo)) * H;
  ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, width, height);
  for (const s of striae || []) {
    ctx.fillStyle = s.match ? 'rgba(40,180,90,0.25)' : 'rgba(120,120,120,0.15)';
    ctx.fillRect(X(s.from_um / dx), 6, Math.max(1, X(s.to_um / dx) - X(s.from_um / dx)), H);
  }
  ctx.strokeStyle = '#999'; ctx.lineWidth = 1;
  ctx.strokeRect(padL, 6, W, H);
  ctx.fillStyle = '#333'; ctx.font = '11px system-ui, sans-serif';
  ctx.fillText(labels.um(hi), 2, 14); ctx.fillText(labels.um(lo), 2, 6 + H);
  ctx.fillText(labels.um(0), padL, height - 5);
  const end = labels.um((n - 1) * dx);
  ctx.fillText(end, padL + W - ctx.measureText(end).width, height - 5);
  for (const [sig, colour] of [[a, '#1f5fbf'], [b, '#c8322d']]) {
    if (!sig) continue;
    ctx.strokeStyle = colour; ctx.lineWidth = 1.2; ctx.beginPath();
    let pen = false;
    sig.forEach((v, i) => {
      if (v == null || !Number.isFinite(v)) { pen = false; return; }
      if (pen) ctx.lineTo(X(i), Y(v)); else { ctx.moveTo(X(i), Y(v)); pen = true; }
    });
    ctx.stroke();
  }
  return cv;
}

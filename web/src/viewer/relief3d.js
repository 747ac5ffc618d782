// Relief3D renders the two height maps as shaded 3D meshes side by side
// with WebGL (three.js): one camera for both (so orbit, pan and zoom stay
// synchronised), a directional light the user moves, the height colour map
// and A's congruent matching cells as outlines. B is turned by the
// registration so that both lie the same way.

import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { colourAt, robustRange, lightVector, centreOf } from './heightmap.js';

export class Relief3D {
  constructor(host, { label }) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'relief3d';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('aria-label', label);
    this.canvas.setAttribute('role', 'img');
    host.append(this.canvas);
    this.renderer = new THREE.WebGLRenderer({ canvas: this.canvas, antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color(0x15171c);
    this.camera = new THREE.PerspectiveCamera(35, 1, 1, 1e6);
    this.controls = new OrbitControls(this.camera, this.canvas);
    this.controls.listenToKeyEvents(this.canvas);
    this.controls.keyPanSpeed = 30;
    this.controls.addEventListener('change', () => this.render());
    this.ambient = new THREE.AmbientLight(0xffffff, 0.35);
    this.light = new THREE.DirectionalLight(0xffffff, 2.2);
    this.scene.add(this.ambient, this.light, this.light.target);
    this.group = new THREE.Group();
    this.scene.add(this.group);
    this.opts = { azimuth: 315, elevation: 45, colour: true, exaggeration: 0, cells: true };
    this.ro = new ResizeObserver(() => this.resize());
    this.ro.observe(host);
    this.host = host;
  }

  hasContext() { return !!this.renderer.getContext(); }

  destroy() {
    this.ro.disconnect();
    this.controls.dispose();
    this.group.traverse((o) => { o.geometry?.dispose(); o.material?.dispose?.(); });
    this.renderer.dispose();
    this.renderer.forceContextLoss?.();
  }

  resize() {
    const w = this.host.clientWidth, h = this.host.clientHeight;
    if (!w || !h) return;
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.render();
  }

  set(a, b, reg, cells) {
    this.a = a; this.b = b; this.reg = reg; this.cells = cells || [];
    this.rebuild();
  }

  setOptions(o) {
    const rebuild = o.colour !== undefined && o.colour !== this.opts.colour || o.exaggeration !== undefined && o.exaggeration !== this.opts.exaggeration || o.cells !== undefined && o.cells !== this.opts.cells;
    Object.assign(this.opts, o);
    if (rebuild) this.rebuild(); else { this.placeLight(); this.render(); }
  }

  setRegistration(reg) { this.reg = reg; if (this.meshB) this.poseB(); this.render(); }

  rebuild() {
    this.group.traverse((o) => { o.geometry?.dispose(); o.material?.dispose?.(); });
    this.group.clear();
    if (!this.a) return;
    const range = robustRange(this.a, this.b);
    const width = this.a.nx * this.a.dx;
    const k = this.opts.exaggeration || (0.05 * width) / (range[1] - range[0]);
    this.k = k;
    this.meshA = this.mesh(this.a, range, k);
    this.group.add(this.meshA);
    if (this.opts.cells && this.cells.length) this.group.add(this.cellLines(range, k));
    if (this.b) {
      this.meshB = this.mesh(this.b, range, k);
      this.pivotB = new THREE.Group();
      this.pivotB.add(this.meshB);
      this.group.add(this.pivotB);
      this.poseB();
    }
    this.frame();
    this.placeLight();
    this.render();
  }

  // mesh makes a grid mesh of m (x right, y up = −rows, z = height × k);
  // triangles touching a missing point are left out.
  mesh(m, [lo, hi], k) {
    const { nx, ny, z } = m;
    const pos = new Float32Array(nx * ny * 3);
    const col = new Float32Array(nx * ny * 3);
    const mid = (lo + hi) / 2;
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const n = j * nx + i, v = z[n];
        pos[n * 3] = (m.x0 || 0) + i * m.dx; pos[n * 3 + 1] = -((m.y0 || 0) + j * m.dy); pos[n * 3 + 2] = Number.isNaN(v) ? 0 : (v - mid) * k;
        const [r, g, b] = this.opts.colour ? colourAt((v - lo) / (hi - lo)) : [205, 200, 190];
        col[n * 3] = r / 255; col[n * 3 + 1] = g / 255; col[n * 3 + 2] = b / 255;
      }
    }
    const idx = [];
    for (let j = 0; j < ny - 1; j++) {
      for (let i = 0; i < nx - 1; i++) {
        const p = j * nx + i, q = p + 1, r = p + nx, s = r + 1;
        if (Number.isNaN(z[p]) || Number.isNaN(z[q]) || Number.isNaN(z[r]) || Number.isNaN(z[s])) continue;
        idx.push(p, r, q, q, r, s);
      }
    }
    const g = new THREE.BufferGeometry();
    g.setAttribute('position', new THREE.BufferAttribute(pos, 3));
    g.setAttribute('color', new THREE.BufferAttribute(col, 3));
    g.setIndex(nx * ny > 65535 ? new THREE.Uint32BufferAttribute(idx, 1) : new THREE.Uint16BufferAttribute(idx, 1));
    g.computeVertexNormals();
    return new THREE.Mesh(g, new THREE.MeshStandardMaterial({ vertexColors: true, roughness: 0.55, metalness: 0.15, side: THREE.DoubleSide }));
  }

  cellLines([lo, hi], k) {
    const pts = [];
    const zt = ((hi - lo) / 2) * k * 1.05;
    const colours = [];
    for (const c of this.cells) {
      const x0 = c.x_um, y0 = -c.y_um, x1 = c.x_um + c.w_um, y1 = -(c.y_um + c.h_um);
      const seg = [[x0, y0, x1, y0], [x1, y0, x1, y1], [x1, y1, x0, y1], [x0, y1, x0, y0]];
      const rgb = c.congruent ? [0.2, 0.9, 0.4] : [0.95, 0.8, 0.2];
      for (const [ax, ay, bx, by] of seg) { pts.push(ax, ay, zt, bx, by, zt); colours.push(...rgb, ...rgb); }
    }
    const g = new THREE.BufferGeometry();
    g.setAttribute('position', new THREE.Float32BufferAttribute(pts, 3));
    g.setAttribute('color', new THREE.Float32BufferAttribute(colours, 3));
    return new THREE.LineSegments(g, new THREE.LineBasicMaterial({ vertexColors: true }));
  }

  // poseB places B to the right of A, turned by the registration about its centre.
  poseB() {
    const [cx, cy] = centreOf(this.b);
    const gap = 0.08 * this.a.nx * this.a.dx;
    this.meshB.position.set(-cx, cy, 0);
    this.pivotB.rotation.z = (-(this.reg?.theta || 0) * Math.PI) / 180; // y is up here: clockwise on screen is negative
    this.pivotB.position.set(this.a.nx * this.a.dx + gap + cx, -cy, 0);
  }

  frame() {
    const box = new THREE.Box3().setFromObject(this.group);
    const c = box.getCenter(new THREE.Vector3());
    const size = box.getSize(new THREE.Vector3());
    const d = Math.max(size.x / this.camera.aspect, size.y) * 0.8 / (2 * Math.tan((this.camera.fov * Math.PI) / 360));
    this.camera.near = d / 100; this.camera.far = d * 20;
    this.camera.position.set(c.x, c.y - d * 0.35, d);
    this.camera.updateProjectionMatrix();
    this.controls.target.copy(c);
    this.controls.update();
    this.centre = c; this.size = Math.max(size.x, size.y);
  }

  placeLight() {
    const [x, y, z] = lightVector(this.opts.azimuth, this.opts.elevation);
    const c = this.centre || new THREE.Vector3();
    const d = this.size || 1000;
    this.light.position.set(c.x + x * d, c.y - y * d, c.z + z * d); // screen y down → world y up
    this.light.target.position.copy(c);
  }

  render() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => { this.pending = 0; this.renderer.render(this.scene, this.camera); });
  }
}

/**
 * <nnx-landscape-surface>: a loss landscape drawn as a lit 3-D surface by a WebGPU render
 * pipeline (shaders/landscape_surface.wgsl): one vertex per grid point with its normal from the
 * height field and its colour by loss, grid lines over it, a perspective camera (wgpu-matrix)
 * that orbits with a mouse drag and zooms with the wheel. Hovering shows the nearest grid point's
 * α, β and loss. Heights and colours follow `range`, so two surfaces given the same range compare.
 *
 * In: `device`, `grid` (alphas, betas, loss[a][b]), `range`. Reflects `data-state` (empty, drawn, error).
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { mat4, vec3, vec4 } from 'wgpu-matrix';
import code from '../../shaders/landscape_surface.wgsl?raw';
import { lossLevel, lossRgb, type LossRange } from './landscape_scale.ts';
import { base, tokens } from './theme.ts';

/** The part of a landscape grid the views draw. */
export interface SurfaceGrid {
  alphas: number[];
  betas: number[];
  loss: (number | null)[][];
}

/** Floats per vertex: position, normal, colour. */
const STRIDE = 9;
/** Height of the highest loss in world units (the grid spans −1..1 in x and z). */
const HEIGHT = 1.1;
/** Grid lines sit this far above the surface so the depth test keeps them visible. */
const LINE_LIFT = 0.006;

/** Vertices (position, normal, colour) of the height field, row a = alphas[a] along x, column b along z. */
export function surfaceVertices(grid: SurfaceGrid, range: LossRange, lift = 0): Float32Array {
  const na = grid.alphas.length;
  const nb = grid.betas.length;
  const height = (a: number, b: number) => HEIGHT * lossLevel(grid.loss[a][b], range);
  const out = new Float32Array(na * nb * STRIDE);
  const dx = 2 / (na - 1);
  const dz = 2 / (nb - 1);
  for (let a = 0; a < na; a++) {
    for (let b = 0; b < nb; b++) {
      const o = (a * nb + b) * STRIDE;
      const y = height(a, b);
      // Central differences (one-sided at the border) of the height field give the normal.
      const sx = (height(Math.min(a + 1, na - 1), b) - height(Math.max(a - 1, 0), b)) / (dx * (Math.min(a + 1, na - 1) - Math.max(a - 1, 0)));
      const sz = (height(a, Math.min(b + 1, nb - 1)) - height(a, Math.max(b - 1, 0))) / (dz * (Math.min(b + 1, nb - 1) - Math.max(b - 1, 0)));
      const n = vec3.normalize([-sx, 1, -sz]);
      const [r, g, bl] = lossRgb(lossLevel(grid.loss[a][b], range));
      out.set([-1 + a * dx, y + lift, -1 + b * dz, n[0], n[1], n[2], r / 255, g / 255, bl / 255], o);
    }
  }
  return out;
}

function triangleIndices(na: number, nb: number): Uint32Array {
  const out: number[] = [];
  for (let a = 0; a + 1 < na; a++) {
    for (let b = 0; b + 1 < nb; b++) {
      const i = a * nb + b;
      out.push(i, i + nb, i + 1, i + 1, i + nb, i + nb + 1);
    }
  }
  return Uint32Array.from(out);
}

function lineIndices(na: number, nb: number): Uint32Array {
  const out: number[] = [];
  for (let a = 0; a < na; a++) for (let b = 0; b + 1 < nb; b++) out.push(a * nb + b, a * nb + b + 1);
  for (let b = 0; b < nb; b++) for (let a = 0; a + 1 < na; a++) out.push(a * nb + b, (a + 1) * nb + b);
  return Uint32Array.from(out);
}

interface Gpu {
  context: GPUCanvasContext;
  format: GPUTextureFormat;
  surface: GPURenderPipeline;
  lines: GPURenderPipeline;
  uniform: GPUBuffer;
  bindGroup: GPUBindGroup;
  depth: GPUTexture | null;
  counts: { triangles: number; lines: number };
  vertices: GPUBuffer | null;
  lineVertices: GPUBuffer | null;
  triangleIndex: GPUBuffer | null;
  lineIndex: GPUBuffer | null;
}

@customElement('nnx-landscape-surface')
export class NnxLandscapeSurface extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; position: relative; }
    canvas { width: 100%; height: var(--nnx-surface-height, 320px); display: block; border-radius: 8px; background: #f4f6fb; cursor: grab; touch-action: none; }
    canvas:active { cursor: grabbing; }
    .tip { position: absolute; pointer-events: none; background: rgba(20, 26, 46, 0.92); color: #fff; font: 11.5px var(--_mono); padding: 4px 7px; border-radius: 5px; white-space: nowrap; transform: translate(10px, -120%); z-index: 5; }
    .tip.left { transform: translate(calc(-100% - 10px), -120%); }
    .hint { font-size: 11px; color: var(--_muted); margin-top: 4px; }
    .error { color: var(--_danger); font-size: 12px; }
  `];

  @property({ attribute: false }) device: GPUDevice | null = null;
  @property({ attribute: false }) grid: SurfaceGrid | null = null;
  @property({ attribute: false }) range: LossRange | null = null;
  @property({ reflect: true, attribute: 'data-state' }) surfaceState: 'empty' | 'drawn' | 'error' = 'empty';

  /** Camera orbit: angle around the vertical axis, elevation (radians) and distance to the target. */
  @state() yaw = 0.75;
  @state() pitch = 0.55;
  @state() distance = 4.3;
  @state() private hover: { x: number; y: number; text: string } | null = null;
  @state() private error: string | null = null;
  @query('canvas') private canvas!: HTMLCanvasElement;
  private gpu: Gpu | null = null;
  private frame = 0;
  private drag: { x: number; y: number } | null = null;
  private resize: ResizeObserver | null = null;

  disconnectedCallback(): void {
    super.disconnectedCallback();
    cancelAnimationFrame(this.frame);
    this.resize?.disconnect();
    this.release();
  }

  private release(): void {
    const g = this.gpu;
    if (!g) return;
    for (const b of [g.uniform, g.vertices, g.lineVertices, g.triangleIndex, g.lineIndex]) b?.destroy();
    g.depth?.destroy();
    g.context.unconfigure();
    this.gpu = null;
  }

  protected updated(changed: PropertyValues<this>): void {
    if (changed.has('device')) this.release();
    if (changed.has('device') || changed.has('grid') || changed.has('range')) this.upload();
    this.schedule();
  }

  protected firstUpdated(): void {
    this.resize = new ResizeObserver(() => this.schedule());
    this.resize.observe(this.canvas);
  }

  private setup(device: GPUDevice): Gpu {
    const context = this.canvas.getContext('webgpu');
    if (!context) throw new Error('this browser gives no WebGPU canvas context');
    const format = navigator.gpu.getPreferredCanvasFormat();
    context.configure({ device, format, alphaMode: 'premultiplied' });
    const module = device.createShaderModule({ label: 'landscape_surface', code });
    const layout = device.createBindGroupLayout({ entries: [{ binding: 0, visibility: GPUShaderStage.VERTEX | GPUShaderStage.FRAGMENT, buffer: { type: 'uniform' } }] });
    const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
    const vertex: GPUVertexState = {
      module, entryPoint: 'vertex_main',
      buffers: [{ arrayStride: STRIDE * 4, attributes: [
        { shaderLocation: 0, offset: 0, format: 'float32x3' },
        { shaderLocation: 1, offset: 12, format: 'float32x3' },
        { shaderLocation: 2, offset: 24, format: 'float32x3' },
      ] }],
    };
    const depthStencil: GPUDepthStencilState = { format: 'depth24plus', depthWriteEnabled: true, depthCompare: 'less' };
    const surface = device.createRenderPipeline({
      label: 'landscape surface', layout: pipelineLayout, vertex, depthStencil,
      fragment: { module, entryPoint: 'surface_fragment', targets: [{ format }] },
      primitive: { topology: 'triangle-list', cullMode: 'none' },
    });
    const lines = device.createRenderPipeline({
      label: 'landscape grid lines', layout: pipelineLayout, vertex, depthStencil,
      fragment: { module, entryPoint: 'line_fragment', targets: [{ format }] },
      primitive: { topology: 'line-list' },
    });
    const uniform = device.createBuffer({ label: 'landscape camera', size: 80, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const bindGroup = device.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: uniform } }] });
    return { context, format, surface, lines, uniform, bindGroup, depth: null, counts: { triangles: 0, lines: 0 }, vertices: null, lineVertices: null, triangleIndex: null, lineIndex: null };
  }

  private upload(): void {
    const device = this.device;
    const grid = this.grid;
    if (!device || !grid || !this.canvas) return;
    try {
      this.gpu ??= this.setup(device);
      const g = this.gpu;
      for (const b of [g.vertices, g.lineVertices, g.triangleIndex, g.lineIndex]) b?.destroy();
      const range = this.range ?? { lo: 0, hi: 1 };
      const make = (label: string, data: Float32Array | Uint32Array, usage: number) => {
        const b = device.createBuffer({ label, size: Math.max(4, data.byteLength), usage: usage | GPUBufferUsage.COPY_DST });
        device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
        return b;
      };
      const na = grid.alphas.length;
      const nb = grid.betas.length;
      const triangles = triangleIndices(na, nb);
      const lines = lineIndices(na, nb);
      g.vertices = make('landscape vertices', surfaceVertices(grid, range), GPUBufferUsage.VERTEX);
      g.lineVertices = make('landscape line vertices', surfaceVertices(grid, range, LINE_LIFT), GPUBufferUsage.VERTEX);
      g.triangleIndex = make('landscape triangles', triangles, GPUBufferUsage.INDEX);
      g.lineIndex = make('landscape lines', lines, GPUBufferUsage.INDEX);
      g.counts = { triangles: triangles.length, lines: lines.length };
      this.error = null;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
      this.surfaceState = 'error';
    }
  }

  private schedule(): void {
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.draw());
  }

  /** The camera's view-projection matrix for the canvas' aspect ratio. */
  viewProjection(aspect: number): Float32Array {
    const eye = [
      this.distance * Math.cos(this.pitch) * Math.sin(this.yaw),
      0.4 + this.distance * Math.sin(this.pitch),
      this.distance * Math.cos(this.pitch) * Math.cos(this.yaw),
    ];
    const projection = mat4.perspective((38 * Math.PI) / 180, aspect, 0.05, 50);
    const view = mat4.lookAt(eye, [0, 0.4, 0], [0, 1, 0]);
    return mat4.multiply(projection, view) as Float32Array;
  }

  private draw(): void {
    const g = this.gpu;
    const device = this.device;
    if (!g || !device || !g.vertices || !this.canvas) return;
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    const height = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (this.canvas.width !== width || this.canvas.height !== height || !g.depth) {
      this.canvas.width = width;
      this.canvas.height = height;
      g.depth?.destroy();
      g.depth = device.createTexture({ label: 'landscape depth', size: [width, height], format: 'depth24plus', usage: GPUTextureUsage.RENDER_ATTACHMENT });
    }
    const uniform = new Float32Array(20);
    uniform.set(this.viewProjection(width / height), 0);
    uniform.set([0.45, 0.85, 0.3, 0], 16);
    device.queue.writeBuffer(g.uniform, 0, uniform);
    const encoder = device.createCommandEncoder({ label: 'landscape frame' });
    const pass = encoder.beginRenderPass({
      colorAttachments: [{ view: g.context.getCurrentTexture().createView(), clearValue: { r: 0.957, g: 0.965, b: 0.984, a: 1 }, loadOp: 'clear', storeOp: 'store' }],
      depthStencilAttachment: { view: g.depth.createView(), depthClearValue: 1, depthLoadOp: 'clear', depthStoreOp: 'store' },
    });
    pass.setBindGroup(0, g.bindGroup);
    pass.setPipeline(g.surface);
    pass.setVertexBuffer(0, g.vertices);
    pass.setIndexBuffer(g.triangleIndex!, 'uint32');
    pass.drawIndexed(g.counts.triangles);
    pass.setPipeline(g.lines);
    pass.setVertexBuffer(0, g.lineVertices!);
    pass.setIndexBuffer(g.lineIndex!, 'uint32');
    pass.drawIndexed(g.counts.lines);
    pass.end();
    device.queue.submit([encoder.finish()]);
    this.surfaceState = 'drawn';
  }

  /** The grid point whose projection is nearest to canvas pixel (x, y) (CSS pixels), within 16 px. */
  pick(x: number, y: number): { a: number; b: number } | null {
    const grid = this.grid;
    if (!grid || !this.canvas) return null;
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    const vp = this.viewProjection(w / h);
    const vertices = surfaceVertices(grid, this.range ?? { lo: 0, hi: 1 });
    let best: { a: number; b: number } | null = null;
    let bestDistance = 16;
    for (let a = 0; a < grid.alphas.length; a++) {
      for (let b = 0; b < grid.betas.length; b++) {
        const o = (a * grid.betas.length + b) * STRIDE;
        const p = vec4.transformMat4([vertices[o], vertices[o + 1], vertices[o + 2], 1], vp);
        if (p[3] <= 0) continue;
        const d = Math.hypot(((p[0] / p[3] + 1) / 2) * w - x, ((1 - p[1] / p[3]) / 2) * h - y);
        if (d < bestDistance) {
          bestDistance = d;
          best = { a, b };
        }
      }
    }
    return best;
  }

  private onPointerDown(e: PointerEvent): void {
    this.drag = { x: e.clientX, y: e.clientY };
    this.canvas.setPointerCapture(e.pointerId);
  }

  private onPointerMove(e: PointerEvent): void {
    if (this.drag) {
      this.yaw -= (e.clientX - this.drag.x) * 0.01;
      this.pitch = Math.max(-1.2, Math.min(1.45, this.pitch + (e.clientY - this.drag.y) * 0.01));
      this.drag = { x: e.clientX, y: e.clientY };
      this.hover = null;
      return;
    }
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    const hit = this.pick(x, y);
    const grid = this.grid;
    if (!hit || !grid) {
      this.hover = null;
      return;
    }
    const loss = grid.loss[hit.a][hit.b];
    this.hover = { x, y, text: `α ${grid.alphas[hit.a].toFixed(3)}, β ${grid.betas[hit.b].toFixed(3)}: loss ${loss === null ? 'not finite' : loss.toPrecision(5)}` };
  }

  private onPointerUp(e: PointerEvent): void {
    this.drag = null;
    if (this.canvas.hasPointerCapture(e.pointerId)) this.canvas.releasePointerCapture(e.pointerId);
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    this.distance = Math.max(1.6, Math.min(9, this.distance * Math.exp(e.deltaY * 0.001)));
  }

  render() {
    return html`
      <canvas @pointerdown=${this.onPointerDown} @pointermove=${this.onPointerMove} @pointerup=${this.onPointerUp}
        @pointerleave=${() => (this.hover = null)} @wheel=${this.onWheel}></canvas>
      ${this.hover ? html`<div class="tip ${this.hover.x > this.canvas.clientWidth / 2 ? 'left' : ''}" data-role="surface-hover" style="left: ${this.hover.x}px; top: ${this.hover.y}px">${this.hover.text}</div>` : nothing}
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : html`<div class="hint">drag to orbit, wheel to zoom; x: α (d1), z: β (d2), height and colour: log loss</div>`}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-landscape-surface': NnxLandscapeSurface;
  }
}

/**
 * The Layer Lab's ViT patch embedding page (torchvision's `conv_proj` + class token + position
 * embedding, as the analysis expands `PatchEmbedding`): a Conv2d with kernel = stride = patch
 * size runs on the GPU, so each output feature of a patch is one dot product of the patch's
 * flattened pixels with a filter; the patches then become tokens, a class token is prepended
 * and the position embedding is added (a GPU `add` of the laid-out tokens and the embedding).
 */
import { html, nothing } from 'lit';
import { NnxError } from '../../analysis/errors.ts';
import { buildSummary } from '../../analysis/summary.ts';
import { numel, type Tensor } from '../../analysis/tensor.ts';
import type { GpuRuntime } from '../../kernels/runtime.ts';
import { explainNeuron } from '../../ops/explain.ts';
import { runSpec } from '../../ops/run.ts';
import type { RunSpec } from '../../ops/spec.ts';
import { formatCount, formatFloat32, formatFloat64, formatShape } from '../format.ts';
import '../heatmap.ts';
import '../neuron_panel.ts';
import '../patch_image.ts';
import { checkInts, figures, gradValues, int, invalid } from './common.ts';
import { checkInput, inputGradSeedRows, makeInput, stream, uniform } from './data.ts';
import { num, type LabConfig, type LabOp, type LabRunData, type NeuronFocus, type RunTensors, type Validation } from './types.ts';

function read(config: LabConfig) {
  return { h: num(config, 'h'), w: num(config, 'w'), patch: num(config, 'patch'), dim: num(config, 'dim'), seed: num(config, 'seed') };
}

function pytorch(config: LabConfig): string {
  const c = read(config);
  return `nn.Conv2d(3, ${c.dim}, kernel_size=${c.patch}, stride=${c.patch})  # ViT conv_proj, then class token + pos_embedding`;
}

/** Parameter and cost rows of the patch embedding and of a 3×3 CNN stem on the same input, from src/analysis. */
function comparison(config: LabConfig) {
  const c = read(config);
  const input = [1, 3, c.h, c.w];
  const vit = buildSummary({ name: 'patch_embedding', input, layers: [{ type: 'PatchEmbedding', name: 'patch_embed', in_channels: 3, embed_dim: c.dim, patch_size: c.patch }] });
  const cnn = buildSummary({ name: 'cnn_stem', input, layers: [{ type: 'Conv2d', name: 'stem', in_channels: 3, out_channels: c.dim, kernel_size: 3, padding: 1 }] });
  const row = (name: string) => vit.layers.find((l) => l.name === name)!;
  return { vit, cnn, conv: row('patch_embed.conv_proj'), tokens: row('patch_embed.tokens') };
}

export const vitPatchLab: LabOp = {
  name: 'vit_patch_embedding',
  title: 'ViT patch embedding',
  summary: 'The image is cut into P×P patches; each patch’s C·P·P pixels are flattened and projected to D features (a Conv2d with kernel = stride = P), the patches become tokens, a learned class token goes first and a learned position embedding is added.',
  rows: [
    { section: 'Layer', label: 'patch size P', fields: [int('patch', 8, 1, 32)] },
    { section: 'Layer', label: 'embed_dim D', fields: [int('dim', 8, 1, 64)] },
    { section: 'Input', label: 'image H × W', hint: 'RGB, 3 channels', fields: [int('h', 32, 1, 96, 'H'), int('w', 32, 1, 96, 'W')] },
    ...inputGradSeedRows(true),
  ],

  validate(config): Validation {
    const c = read(config);
    const line = pytorch(config);
    const bad = checkInts(vitPatchLab.rows, config, line);
    if (bad) return bad;
    let cmp;
    try {
      cmp = comparison(config);
    } catch (e) {
      if (!(e instanceof NnxError)) throw e;
      const gh = c.h / c.patch;
      const gw = c.w / c.patch;
      return invalid(`${e.message.replace(/^layer "[^"]*" \([^)]*\): /, '')}: ${c.h} / ${c.patch} = ${+gh.toFixed(3)}, ${c.w} / ${c.patch} = ${+gw.toFixed(3)}`, ['h', 'w', 'patch'], line);
    }
    const inputProblem = checkInput(config, 3 * c.h * c.w);
    if (inputProblem) return invalid(inputProblem, ['xtext', 'upload'], line);
    const grid = cmp.conv.output_shape;
    const tokens = cmp.tokens.output_shape;
    const shapes: Record<string, number[]> = {
      x: [1, 3, c.h, c.w], weight: [c.dim, 3, c.patch, c.patch], bias: [c.dim], output: grid,
      tokens, pos_embedding: tokens, grad_output: grid, 'grad.x': [1, 3, c.h, c.w], 'grad.weight': [c.dim, 3, c.patch, c.patch],
    };
    const big = Object.entries(shapes).find(([, s]) => numel(s) > 65_536);
    if (big) return invalid(`${big[0]} ${formatShape(big[1])} has ${formatCount(numel(big[1]))} values; the lab draws at most 65,536`, ['h', 'w', 'dim'], line);
    return {
      ok: true, error: null, fields: [], derivations: [
        { text: `patches = (${c.h} / ${c.patch}) · (${c.w} / ${c.patch}) = ${grid[2]} · ${grid[3]} = ${grid[2] * grid[3]}`, ok: true },
        { text: `tokens = patches + class token = ${grid[2] * grid[3]} + 1 = ${tokens[1]}`, ok: true },
      ],
      shapes, pytorch: line,
      stats: [
        { label: 'tokens', value: formatShape(tokens) },
        { label: 'parameters', value: formatCount(cmp.vit.totals.params), title: `conv_proj ${formatCount(cmp.conv.params)} + class token and pos_embedding ${formatCount(cmp.tokens.params)} (src/analysis)` },
        { label: 'MACs', value: formatCount(cmp.vit.totals.macs), title: 'conv_proj: D·C·P·P per patch' },
        { label: '3×3 CNN stem params', value: formatCount(cmp.cnn.totals.params), title: `Conv2d(3, ${c.dim}, 3, padding=1) on the same image (src/analysis)` },
      ],
    };
  },

  buildSpec(config): RunSpec {
    const v = vitPatchLab.validate(config);
    if (!v.ok) throw new Error(v.error ?? 'invalid configuration');
    const c = read(config);
    const bound = 1 / Math.sqrt(3 * c.patch * c.patch); // PyTorch's default Conv2d init range
    const grid = numel(v.shapes.output);
    return {
      op: 'conv2d',
      attrs: { stride: c.patch },
      inputs: {
        x: { shape: v.shapes.x, data: Array.from(makeInput(config, v.shapes.x, c.seed)) },
        weight: { shape: v.shapes.weight, data: Array.from(uniform(numel(v.shapes.weight), stream(c.seed, 1), -bound, bound)) },
        bias: { shape: [c.dim], data: Array.from(uniform(c.dim, stream(c.seed, 2), -bound, bound)) },
      },
      grad_output: { output: { shape: v.shapes.output, data: Array.from(gradValues(config.grad, grid, () => uniform(grid, stream(c.seed, 3), -1, 1))) } },
    };
  },

  /** Lays the GPU's patch features out as tokens after a class token, then adds the position embedding on the GPU. */
  async extraRun(rt: GpuRuntime, _spec: RunSpec, tensors: RunTensors, config: LabConfig): Promise<RunTensors> {
    const out = tensors['outputs.output'];
    const [, dim, gh, gw] = out.shape;
    const count = gh * gw + 1;
    const seed = read(config).seed;
    const cls = uniform(dim, stream(seed, 5), -0.02, 0.02);
    // torchvision draws pos_embedding from N(0, 0.02²); a uniform of similar size keeps the page simple.
    const pos = uniform(count * dim, stream(seed, 6), -0.05, 0.05);
    const laid = new Float32Array(count * dim);
    laid.set(cls, 0);
    for (let p = 0; p < gh * gw; p++) for (let d = 0; d < dim; d++) laid[(1 + p) * dim + d] = out.data[d * gh * gw + p];
    const shape = [1, count, dim];
    const { readback } = await runSpec(rt, { op: 'add', inputs: { x: { shape, data: Array.from(laid) }, other: { shape, data: Array.from(pos) } } });
    return {
      'tokens.before': { shape, data: laid }, 'tokens.class_token': { shape: [1, 1, dim], data: cls },
      'tokens.pos_embedding': { shape, data: pos }, 'tokens.output': readback.outputs.output,
    };
  },

  forwardSlots: [
    { name: 'x', title: 'image x', source: 'inputs.x', axes: ['n', 'c'], help: 'R, G, B planes' },
    { name: 'weight', title: 'conv_proj.weight', source: 'inputs.weight', axes: ['d', 'c'], help: 'one P×P×3 filter per output feature' },
    { name: 'bias', title: 'conv_proj.bias', source: 'inputs.bias', help: 'one per feature' },
    { name: 'output', title: 'patch features', source: 'outputs.output', axes: ['n', 'd'], help: 'one plane per feature, one cell per patch; click one' },
  ],
  operators: { weight: '⊛', bias: '+', output: '=' },
  traceSlots: [
    { name: 'pos_embedding', title: 'pos_embedding', source: 'tokens.pos_embedding', help: 'tokens × D (seeded; row 0 is the class token’s)' },
    { name: 'tokens', title: 'tokens = [class; patches] + pos_embedding', source: 'tokens.output', help: 'GPU add of the laid-out tokens and the position embedding' },
  ],
  backwardSlots: [
    { name: 'grad_output', title: '∂L/∂features', source: 'grad_output.output', axes: ['n', 'd'], help: 'the upstream gradient fed to backward' },
    { name: 'grad.weight', title: '∂L/∂conv_proj.weight', source: 'grads.weight', axes: ['d', 'c'], help: 'each patch contributes its pixels times its gradient' },
    { name: 'grad.x', title: '∂L/∂x', source: 'grads.x', axes: ['n', 'c'], help: 'patches do not overlap: each pixel has one patch' },
  ],
  explainSlot: 'output',
  params: [
    { name: 'conv_proj.weight', value: 'inputs.weight', grad: 'grads.weight' },
    { name: 'conv_proj.bias', value: 'inputs.bias', grad: 'grads.bias' },
  ],
  padding: () => ({}),

  focus(config, [, d, py, px]): NeuronFocus {
    const c = read(config);
    const xs: number[][] = [];
    const ws: number[][] = [];
    for (let ch = 0; ch < 3; ch++) {
      for (let y = 0; y < c.patch; y++) {
        for (let x = 0; x < c.patch; x++) {
          xs.push([0, ch, py * c.patch + y, px * c.patch + x]);
          ws.push([d, ch, y, x]);
        }
      }
    }
    const token = 1 + py * Math.floor(c.w / c.patch) + px;
    return { highlights: { x: xs, weight: ws, bias: [[d]], 'grad.x': xs, 'grad.weight': ws, grad_output: [[0, d, py, px]], tokens: [[0, token, d]], pos_embedding: [[0, token, d]] } };
  },

  detail(run, index, select) {
    return vitDetail(run, index, select);
  },
};

function vitDetail(run: LabRunData, index: number[] | null, select: (index: number[]) => void) {
  const c = read(run.config);
  const x = run.tensors['inputs.x'];
  const gw = Math.floor(c.w / c.patch);
  const d = index?.[1] ?? 0;
  const picked: [number, number] | null = index ? [index[2], index[3]] : null;
  const image = html`<nnx-patch-image .image=${x} .patch=${c.patch} .selected=${picked} .size=${288}
    @nnx-patch-select=${(e: CustomEvent<{ py: number; px: number }>) => select([0, d, e.detail.py, e.detail.px])}></nnx-patch-image>`;
  const cmp = comparison(run.config);
  const params = figures([
    { label: 'conv_proj (weight + bias)', value: formatCount(cmp.conv.params), role: 'conv-params', raw: cmp.conv.params },
    { label: 'class token + pos_embedding', value: formatCount(cmp.tokens.params), role: 'token-params', raw: cmp.tokens.params },
    { label: 'patch embedding, total', value: formatCount(cmp.vit.totals.params), role: 'vit-params', raw: cmp.vit.totals.params, cls: 'total' },
    { label: `CNN stem Conv2d(3, ${c.dim}, 3, padding=1)`, value: formatCount(cmp.cnn.totals.params), role: 'cnn-params', raw: cmp.cnn.totals.params },
    { label: 'their outputs', value: `${formatShape(cmp.vit.output_shape)} vs ${formatShape(cmp.cnn.output_shape)}` },
    { label: 'MACs', value: `${formatCount(cmp.vit.totals.macs)} vs ${formatCount(cmp.cnn.totals.macs)}` },
  ]);
  if (!index) {
    return html`<div class="detail"><div class="layout"><div>${image}</div><div>${params}
      <div class="hint" style="margin-top:10px"><span class="arrow">←</span><span><b>Click a patch</b> (or a cell of the patch features) to see its pixels flattened, the projection of one feature term by term, and the token it becomes.</span></div></div></div></div>`;
  }
  const [, , py, px] = index;
  const token = 1 + py * gw + px;
  const explanation = explainNeuron('conv2d', run.spec.attrs ?? {}, run.readback, index);
  const pixels: Tensor = {
    shape: [3, c.patch * c.patch],
    data: Float32Array.from(explanation.terms.map((t) => t.x)),
  };
  const before = run.tensors['tokens.before'];
  const pos = run.tensors['tokens.pos_embedding'];
  const after = run.tensors['tokens.output'];
  const tokenRows = (t: number, label: string) => html`<tr class=${t === token ? 'arg' : ''} data-token=${t}>
    <td class="mono">${label}</td>
    ${Array.from({ length: c.dim }, (_, dd) => {
      const a = before.data[t * c.dim + dd];
      const p = pos.data[t * c.dim + dd];
      const g = after.data[t * c.dim + dd];
      return html`<td class="num" title=${`${formatFloat32(a)} + ${formatFloat32(p)} = ${formatFloat64(a + p)} (float64)`} data-role=${t === token ? 'token' : nothing} data-value=${g} data-sum=${a + p}>${formatFloat32(g)}</td>`;
    })}
  </tr>`;
  return html`<div class="detail" data-role="vit-detail">
    <div class="head"><h2 class="mono">patch (${py}, ${px}) → token ${token}, feature ${d}</h2>
      <span class="muted small">${3 * c.patch * c.patch} pixels · ${c.dim} features</span></div>
    <div class="layout">
      <div>${image}</div>
      <div>${params}</div>
    </div>
    <h3 style="margin:12px 0 4px;font-size:12px">the patch's pixels, flattened in (c, y, x) order: ${3 * c.patch * c.patch} values, one row per channel (hover for each value)</h3>
    <nnx-heatmap .tensor=${pixels} .name=${'patch'} .maxWidth=${760} .planeSize=${760} .maxCell=${12}></nnx-heatmap>
    <h3 style="margin:12px 0 4px;font-size:12px">feature ${d} = Σ pixel · conv_proj.weight[${d}] + bias</h3>
    <nnx-neuron-panel .explanation=${explanation} .name=${'features'}></nnx-neuron-panel>
    <h3 style="margin:12px 0 4px;font-size:12px">tokens: class token and this patch, + pos_embedding (GPU add; hover a value for the float64 sum)</h3>
    <div class="terms" tabindex="0" role="region" aria-label="tokens">
      <table data-role="tokens">
        <thead><tr><th></th>${Array.from({ length: c.dim }, (_, dd) => html`<th class="num">d ${dd}</th>`)}</tr></thead>
        <tbody>
          <tr><td class="mono">class_token</td>${Array.from(run.tensors['tokens.class_token'].data, (v) => html`<td class="num">${formatFloat32(v)}</td>`)}</tr>
          <tr><td class="mono">+ pos_embedding[0]</td>${Array.from({ length: c.dim }, (_, dd) => html`<td class="num">${formatFloat32(pos.data[dd])}</td>`)}</tr>
          ${tokenRows(0, '= token 0 (GPU)')}
          <tr><td class="mono">patch features (GPU)</td>${Array.from({ length: c.dim }, (_, dd) => html`<td class="num">${formatFloat32(before.data[token * c.dim + dd])}</td>`)}</tr>
          <tr><td class="mono">+ pos_embedding[${token}]</td>${Array.from({ length: c.dim }, (_, dd) => html`<td class="num">${formatFloat32(pos.data[token * c.dim + dd])}</td>`)}</tr>
          ${tokenRows(token, `= token ${token} (GPU)`)}
        </tbody>
      </table>
    </div>
    <p class="note">A 3×3 CNN stem with the same D keeps every pixel position (${formatShape(cmp.cnn.output_shape)}) with ${formatCount(cmp.cnn.totals.params)} parameters;
      the patch projection sees ${c.patch}×${c.patch} pixels at once and leaves ${cmp.tokens.output_shape[1]} tokens. Counts come from src/analysis.</p>
  </div>`;
}

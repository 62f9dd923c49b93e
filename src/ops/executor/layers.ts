/**
 * How the executor runs each ModelSpec layer type on the GPU: which op (from the registry) and
 * attributes, which of the layer's parameters feed which op input. Shapes and parameter layouts
 * come from the analysis graph; nothing here recomputes them.
 */
import { normalizePool2dAttrs, type Pool2dAttrs } from '../../analysis/conv_shapes.ts';
import { InputError } from '../../analysis/errors.ts';
import type { LayerNode } from '../../analysis/graph.ts';
import type { LayerSpec } from '../../analysis/model_spec.ts';
import { numel } from '../../analysis/tensor.ts';
import { reluBackward, reluForward } from '../../kernels/relu.ts';
import type { GpuRuntime, GpuTensor } from '../../kernels/runtime.ts';
import type { HostTensor, OpRun } from '../op.ts';
import { OPS } from '../registry.ts';
import type { ModuleKind } from './init.ts';
import { adaptiveAvgPool2dImpl, meanImpl, selectImpl } from './layers_shape.ts';
import { permuteImpl } from './layers_permute.ts';
import { stackedRecurrentImpl } from './layers_recurrent.ts';
import { dropoutImpl, multiheadAttentionImpl, patchTokensImpl } from './layers_attention.ts';
import { moeImpl } from './layers_moe.ts';

/** A leaf layer's forward result: its output and the backward closure. */
export interface LayerRun {
  output: GpuTensor;
  /** Tensors the layer made besides its output (op traces, unused outputs), freed after backward. */
  scratch: GpuTensor[];
  /** Named trace tensors worth reading (a recurrent layer's grad_h_norm, after backward). */
  trace: Record<string, GpuTensor>;
  /** Buffers (running statistics) the layer replaced: name → new tensor. */
  updatedBuffers: Record<string, GpuTensor>;
  /** Gradients of the inputs (none when `skipInputs`: the model's data input) and of the parameters. */
  backward(gradOutput: GpuTensor, options?: { skipInputs?: boolean }): Promise<{ inputs: (GpuTensor | null)[]; params: Record<string, GpuTensor> }>;
}

/** The graph that graph layers read (edge_index [2, E] flat, sources then targets); the executor replaces it on setData. */
export interface ExecGraphData {
  edgeIndex: Int32Array;
}

/** Where a forward runs: the executor's seed and the step number (random masks derive from them and the layer path). */
export interface LayerContext {
  seed: number;
  step: number;
  /**
   * false runs the layer as PyTorch's model.eval(): BatchNorm normalizes with its running
   * statistics (and updates nothing), every dropout is the identity. Default true (training).
   */
  training?: boolean;
}

/** One leaf layer type. */
export interface LayerImpl {
  module: ModuleKind;
  /** Saturation band of the activation (fraction of outputs <= lo or >= hi), if any. */
  band?: [number, number];
  /** Recurrent layers: time steps T of the trace's `grad_h_norm` [T] (‖∂L/∂h_t‖ after backward). */
  steps?: number;
  forward(rt: GpuRuntime, inputs: GpuTensor[], params: Record<string, GpuTensor>, buffers: Record<string, GpuTensor>, context?: LayerContext): Promise<LayerRun>;
}

/** The layer's attributes among `keys` that are set (not undefined or null). */
export function pick(layer: LayerSpec, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (layer[k] !== undefined && layer[k] !== null) out[k] = layer[k];
  return out;
}

/** The nn.Conv2d arguments F.conv2d takes as attributes. */
export const CONV2D_ATTR_KEYS = ['stride', 'padding', 'dilation', 'groups'];
/** The nn.MaxPool2d arguments F.max_pool2d takes as attributes. */
export const MAX_POOL2D_ATTR_KEYS = ['kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode'];

/** A MaxPool2d layer's attributes, normalized as max_pool2d normalizes them. */
export function maxPoolAttrsOf(layer: LayerSpec): Pool2dAttrs {
  return normalizePool2dAttrs('max_pool2d', pick(layer, MAX_POOL2D_ATTR_KEYS));
}

/**
 * A layer that runs one registered op: x is the op's first input (or the first `inputNames`),
 * the layer's parameters map to op inputs by `paramMap` (layer name → op name), and the op's
 * output `outputName` is the layer's output. Other outputs get zero gradients.
 */
function viaOp(
  opName: string, _node: LayerNode, attrs: Record<string, unknown>, paramMap: Record<string, string>, module: ModuleKind,
  options: { inputNames?: string[]; outputName?: string; bufferMap?: Record<string, string>; band?: [number, number]; hostInputs?: () => Record<string, HostTensor>; evalAttrs?: Record<string, unknown> } = {},
): LayerImpl {
  const op = OPS[opName];
  const inputNames = options.inputNames ?? ['x'];
  const outputName = options.outputName ?? op.outputs[0];
  return {
    module,
    band: options.band,
    async forward(rt, inputs, params, buffers, context) {
      const gpuInputs: Record<string, GpuTensor> = {};
      inputNames.forEach((n, i) => (gpuInputs[n] = inputs[i]));
      for (const [layerName, opInput] of Object.entries(paramMap)) if (params[layerName]) gpuInputs[opInput] = params[layerName];
      for (const [layerName, opInput] of Object.entries(options.bufferMap ?? {})) if (buffers[layerName]) gpuInputs[opInput] = buffers[layerName];
      const host: Record<string, HostTensor> = { ...Object.fromEntries(Object.entries(gpuInputs).map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype }])), ...options.hostInputs?.() };
      const prepared = op.prepare(context?.training === false && options.evalAttrs ? options.evalAttrs : attrs, host);
      const run: OpRun = await prepared.forward(rt, gpuInputs, { trace: false });
      const output = run.outputs[outputName];
      const scratch: GpuTensor[] = Object.values(run.trace);
      const updatedBuffers: Record<string, GpuTensor> = {};
      for (const [name, t] of Object.entries(run.outputs)) {
        if (name === outputName) continue;
        const bufferName = Object.entries(options.bufferMap ?? {}).find(([, opName2]) => opName2 === name)?.[0];
        if (bufferName && buffers[bufferName]) updatedBuffers[bufferName] = t;
        else scratch.push(t);
      }
      return {
        output,
        scratch,
        trace: run.trace,
        updatedBuffers,
        async backward(gradOutput, backwardOptions) {
          const gradOutputs: Record<string, GpuTensor> = { [outputName]: gradOutput };
          const zeros: GpuTensor[] = [];
          for (const name of op.outputs) {
            if (name !== outputName && run.outputs[name]) {
              gradOutputs[name] = rt.tensor(`${opName}.grad_output.${name} (zeros)`, run.outputs[name].shape);
              zeros.push(gradOutputs[name]);
            }
          }
          const grads = await run.backward(gradOutputs, { skip: backwardOptions?.skipInputs ? inputNames : [] });
          rt.releaseAfterSubmit(...zeros);
          const paramGrads: Record<string, GpuTensor> = {};
          for (const [layerName, opInput] of Object.entries(paramMap)) if (grads[opInput]) paramGrads[layerName] = grads[opInput];
          // Traces that only backward fills (grad_h_norm) are scratch too.
          for (const t of Object.values(run.trace)) if (!scratch.includes(t)) scratch.push(t);
          const used = new Set([...inputNames, ...Object.values(paramMap)]);
          for (const [name, t] of Object.entries(grads)) if (!used.has(name)) rt.releaseAfterSubmit(t);
          return { inputs: inputNames.map((n) => grads[n] ?? null), params: paramGrads };
        },
      };
    },
  };
}

/**
 * PyG's GCNConv, GATConv and SAGEConv as the gcn, gat and sage ops, on the executor's edge_index
 * (read at every forward, so setData can replace it). PyG's parameter names map to op inputs.
 */
function graphLayerImpl(layer: LayerSpec, node: LayerNode, graph: ExecGraphData, unsupported: (why: string) => never): LayerImpl {
  const hostInputs = () => ({ edge_index: { shape: [2, graph.edgeIndex.length / 2], dtype: 'int32' as const, data: graph.edgeIndex } });
  if (layer.type === 'GCNConv') {
    if (layer.improved) unsupported('does not implement improved=true (self-loop weight 2)');
    return viaOp('gcn', node, pick(layer, ['add_self_loops', 'normalize']), { 'lin.weight': 'weight', bias: 'bias' }, 'glorot', { hostInputs });
  }
  if (layer.type === 'GATConv') {
    if (typeof layer.dropout === 'number' && layer.dropout > 0) unsupported(`runs attention dropout 0 only, got ${layer.dropout}`);
    return viaOp('gat', node, pick(layer, ['heads', 'concat', 'negative_slope', 'add_self_loops']), { 'lin.weight': 'weight', att_src: 'att_src', att_dst: 'att_dst', bias: 'bias' }, 'glorot', { hostInputs });
  }
  if (layer.normalize || layer.project) unsupported('runs SAGEConv with normalize=false and project=false only');
  if (layer.aggr !== undefined && layer.aggr !== 'mean') unsupported(`runs aggr "mean" only, got ${JSON.stringify(layer.aggr)}`);
  return viaOp('sage', node, pick(layer, ['root_weight']), { 'lin_l.weight': 'weight_l', 'lin_l.bias': 'bias_l', 'lin_r.weight': 'weight_r' }, 'dense', { hostInputs });
}

/** ReLU that keeps its output for backward (as autograd does): dL/dx = dL/dy where y > 0. */
const reluImpl: LayerImpl = {
  module: 'other',
  band: [0, Infinity],
  async forward(rt, [x]) {
    const output = rt.tensor('relu.output', x.shape);
    await reluForward(rt, x, output);
    return {
      output, scratch: [], trace: {}, updatedBuffers: {},
      async backward(gradOutput) {
        const gradX = rt.tensor('relu.grad.x', x.shape);
        await reluBackward(rt, output, gradOutput, gradX);
        return { inputs: [gradX], params: {} };
      },
    };
  },
};

/** A view (Flatten, Reshape, Identity, Dropout with p = 0 or in eval): same buffer, new shape. */
export function viewImpl(outShape: number[]): LayerImpl {
  return {
    module: 'other',
    async forward(_rt, [x]) {
      return {
        output: { ...x, shape: [...outShape] }, scratch: [], trace: {}, updatedBuffers: {},
        async backward(gradOutput) {
          return { inputs: [{ ...gradOutput, shape: [...x.shape] }], params: {} };
        },
      };
    },
  };
}

/**
 * The residual sum (the `add` op's kernel). Backward hands dL/dy itself to the first summand and
 * one copy to the second, so the working set is two output-sized gradients, as autograd's.
 */
const addImpl: LayerImpl = {
  module: 'other',
  async forward(rt, [x, other]) {
    const op = OPS.add.prepare({}, { x: { shape: x.shape, dtype: 'float32' }, other: { shape: other.shape, dtype: 'float32' } });
    const run = await op.forward(rt, { x, other }, { trace: false });
    return {
      output: run.outputs.output, scratch: [], trace: {}, updatedBuffers: {},
      async backward(gradOutput) {
        const copy = rt.tensor('add.grad.other', gradOutput.shape);
        rt.copy(gradOutput.buffer, copy.buffer, 4 * numel(gradOutput.shape));
        return { inputs: [gradOutput, copy], params: {} };
      },
    };
  },
};

const ACTIVATIONS: Record<string, [string, [number, number] | undefined]> = {
  Tanh: ['tanh', [-0.99, 0.99]], Sigmoid: ['sigmoid', [0.01, 0.99]], GELU: ['gelu', undefined], SiLU: ['silu', undefined], LeakyReLU: ['leaky_relu', undefined],
};

/** Layer types the executor runs (the analysis knows more). */
export const EXECUTABLE_TYPES = [
  'Linear', 'Conv2d', 'ReLU', 'Tanh', 'Sigmoid', 'GELU', 'SiLU', 'LeakyReLU', 'Identity', 'Flatten', 'Reshape', 'Dropout', 'Dropout2d',
  'MaxPool2d', 'AvgPool2d', 'BatchNorm1d', 'BatchNorm2d', 'LayerNorm', 'GroupNorm', 'RNN', 'LSTM', 'GRU', 'Select', 'Add',
  'ReLU6', 'ELU', 'Softmax', 'LogSoftmax',
  'MultiheadAttention', 'PatchTokens',
  'GCNConv', 'GATConv', 'SAGEConv', 'Mean', 'AdaptiveAvgPool2d', 'Embedding', 'ConvTranspose2d',
  'Permute',
  'MoE',
];

/** The implementation of one leaf layer, from its spec and its analysis row. */
export function layerImpl(layer: LayerSpec, node: LayerNode, graph?: ExecGraphData): LayerImpl {
  const t = layer.type;
  const unsupported = (why: string): never => {
    throw new InputError(`layer "${node.name}" (${t}): the GPU executor ${why}`);
  };
  const paramNames = node.params.map((p) => p.name);
  const identityMap = Object.fromEntries(paramNames.map((n) => [n, n]));
  switch (t) {
    case 'Linear':
      return viaOp('linear', node, {}, identityMap, 'dense');
    case 'Conv2d':
      if (layer.padding_mode !== undefined && layer.padding_mode !== 'zeros') unsupported(`supports padding_mode "zeros" only, got ${JSON.stringify(layer.padding_mode)}`);
      return viaOp('conv2d', node, pick(layer, CONV2D_ATTR_KEYS), identityMap, 'dense');
    case 'ReLU':
      return reluImpl;
    case 'Tanh': case 'Sigmoid': case 'GELU': case 'SiLU': case 'LeakyReLU': {
      const [op, band] = ACTIVATIONS[t];
      return viaOp(op, node, pick(layer, t === 'LeakyReLU' ? ['negative_slope'] : t === 'GELU' ? ['approximate'] : []), {}, 'other', { band });
    }
    case 'ReLU6':
      return viaOp('relu6', node, {}, {}, 'other', { band: [0, 6] });
    case 'ELU':
      return viaOp('elu', node, pick(layer, ['alpha']), {}, 'other');
    case 'Softmax': case 'LogSoftmax':
      return viaOp(t === 'Softmax' ? 'softmax' : 'log_softmax', node, pick(layer, ['dim']), {}, 'other');
    case 'Identity': case 'Flatten': case 'Reshape':
      return viewImpl(node.outputShape);
    case 'Dropout': case 'Dropout2d':
      return node.view ? viewImpl(node.outputShape) : dropoutImpl(node, layer);
    case 'MultiheadAttention':
      return multiheadAttentionImpl(node, layer);
    case 'PatchTokens':
      return patchTokensImpl(node);
    case 'MaxPool2d':
      if (layer.return_indices) unsupported('does not return pooling indices as a value');
      return viaOp('max_pool2d', node, pick(layer, MAX_POOL2D_ATTR_KEYS), {}, 'other');
    case 'AvgPool2d':
      return viaOp('avg_pool2d', node, pick(layer, ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override']), {}, 'other');
    case 'BatchNorm1d': case 'BatchNorm2d': {
      const attrs: Record<string, unknown> = { training: true, ...pick(layer, ['eps']) };
      if (layer.momentum !== undefined && layer.momentum !== null) attrs.momentum = layer.momentum;
      if (layer.momentum === null) unsupported('does not implement momentum = null (cumulative averages)');
      // Eval normalizes with the running statistics; without them (track_running_stats false) with the batch's, as PyTorch.
      const evalAttrs = node.buffers.length ? { ...attrs, training: false } : attrs;
      return viaOp('batch_norm', node, attrs, identityMap, 'norm', { bufferMap: { running_mean: 'running_mean', running_var: 'running_var' }, evalAttrs });
    }
    case 'LayerNorm':
      return viaOp('layer_norm', node, { normalized_shape: layer.normalized_shape, ...pick(layer, ['eps']) }, identityMap, 'norm');
    case 'GroupNorm':
      return viaOp('group_norm', node, pick(layer, ['num_groups', 'eps']), identityMap, 'norm');
    case 'RNN': case 'LSTM': case 'GRU':
      return stackedRecurrentImpl(layer, node, unsupported);
    case 'Select':
      return selectImpl(node, layer);
    case 'Embedding':
      if (layer.max_norm !== undefined && layer.max_norm !== null) unsupported('does not implement max_norm (renormalized rows)');
      return viaOp('embedding', node, pick(layer, ['padding_idx']), { weight: 'weight' }, 'embedding', { inputNames: ['indices'] });
    case 'ConvTranspose2d':
      return viaOp('conv_transpose2d', node, pick(layer, ['stride', 'padding', 'output_padding', 'groups', 'dilation']), identityMap, 'dense');
    case 'Permute':
      return permuteImpl(node, layer);
    case 'MoE':
      return moeImpl(node, layer, unsupported);
    case 'Mean':
      return meanImpl(node, layer);
    case 'AdaptiveAvgPool2d':
      return adaptiveAvgPool2dImpl(node);
    case 'GCNConv': case 'GATConv': case 'SAGEConv':
      return graphLayerImpl(layer, node, graph!, unsupported);
    case 'Add':
      if (node.inputShapes.length !== 2 || node.inputShapes[0].join() !== node.inputShapes[1].join()) unsupported('adds exactly two inputs of the same shape (no broadcasting)');
      return addImpl;
    default:
      return unsupported(`does not run ${t} layers yet (it runs ${EXECUTABLE_TYPES.join(', ')}, Sequential and Residual)`);
  }
}

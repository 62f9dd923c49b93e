import { InputError } from '../errors.ts';
import type { LayerSpec } from '../model_spec.ts';
import { formatShape, numel } from '../tensor.ts';
import { expandLlamaAttention, expandSwiGLU } from './llama.ts';
import { Args, expectRank, type InputInfo, type LayerRule } from './types.ts';

/**
 * Composite layers expand into a sequence of primitive layers (in DAG form where there are
 * skips), named as PyTorch names the submodules, so each shows as its own row.
 */
export type Expansion = (layer: LayerSpec, inputs: InputInfo[]) => LayerSpec[];

/**
 * nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1,
 * activation='relu', layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True).
 * Post-norm: x = norm1(x + dropout1(self_attn(x))); x = norm2(x + dropout2(linear2(dropout(act(linear1(x)))))).
 * Pre-norm (norm_first): x = x + dropout1(self_attn(norm1(x))); x = x + dropout2(linear2(…(norm2(x)))).
 */
const TEL_ARGS = ['d_model', 'nhead', 'dim_feedforward', 'dropout', 'activation', 'layer_norm_eps', 'batch_first', 'norm_first', 'bias'];
export function expandTransformerEncoderLayer(layer: LayerSpec): LayerSpec[] {
  const a = new Args(layer, TEL_ARGS);
  const d = a.int('d_model');
  const nhead = a.int('nhead');
  const ff = a.int('dim_feedforward', 2048);
  const p = a.num('dropout', 0.1, 0, 1);
  const act = a.choice('activation', ['relu', 'gelu'] as const, 'relu');
  const eps = a.num('layer_norm_eps', 1e-5, 0);
  const batchFirst = a.bool('batch_first', false);
  const normFirst = a.bool('norm_first', false);
  const bias = a.bool('bias', true);
  const attn: LayerSpec = { type: 'MultiheadAttention', name: 'self_attn', embed_dim: d, num_heads: nhead, dropout: p, bias, batch_first: batchFirst };
  const norm = (name: string): LayerSpec => ({ type: 'LayerNorm', name, normalized_shape: d, eps, bias });
  const ffBlock: LayerSpec[] = [
    { type: 'Linear', name: 'linear1', in_features: d, out_features: ff, bias },
    { type: act === 'relu' ? 'ReLU' : 'GELU', name: 'activation' },
    { type: 'Dropout', name: 'dropout', p },
    { type: 'Linear', name: 'linear2', in_features: ff, out_features: d, bias },
    { type: 'Dropout', name: 'dropout2', p },
  ];
  if (normFirst) {
    return [
      norm('norm1'), attn, { type: 'Dropout', name: 'dropout1', p },
      { type: 'Add', name: 'add1', inputs: ['input', 'dropout1'] },
      norm('norm2'), ...ffBlock,
      { type: 'Add', name: 'add2', inputs: ['add1', 'dropout2'] },
    ];
  }
  return [
    attn, { type: 'Dropout', name: 'dropout1', p },
    { type: 'Add', name: 'add1', inputs: ['input', 'dropout1'] },
    norm('norm1'), ...ffBlock,
    { type: 'Add', name: 'add2', inputs: ['norm1', 'dropout2'] },
    norm('norm2'),
  ];
}

/**
 * nn.TransformerEncoder(encoder_layer, num_layers, norm=None): `encoder_layer` is a
 * TransformerEncoderLayer spec, copied num_layers times as `layers.0` … (PyTorch's names).
 */
export function expandTransformerEncoder(layer: LayerSpec): LayerSpec[] {
  const a = new Args(layer, ['encoder_layer', 'num_layers', 'norm', 'enable_nested_tensor', 'mask_check']);
  const n = a.int('num_layers');
  a.bool('enable_nested_tensor', true);
  a.bool('mask_check', true);
  const enc = a.raw('encoder_layer');
  if (typeof enc !== 'object' || enc === null || Array.isArray(enc) || (enc as LayerSpec).type !== 'TransformerEncoderLayer') {
    throw new InputError(`encoder_layer must be a {"type": "TransformerEncoderLayer", …} object, got ${JSON.stringify(enc)}`);
  }
  const copies: LayerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const copy: LayerSpec = { ...(enc as LayerSpec), name: String(i) };
    delete copy.id;
    delete copy.inputs;
    copies.push(copy);
  }
  const out: LayerSpec[] = [{ type: 'Sequential', name: 'layers', layers: copies }];
  const norm = a.raw('norm');
  if (norm !== undefined && norm !== null) {
    if (typeof norm !== 'object' || Array.isArray(norm) || typeof (norm as LayerSpec).type !== 'string') {
      throw new InputError(`norm must be a layer object such as {"type": "LayerNorm", "normalized_shape": 512}, got ${JSON.stringify(norm)}`);
    }
    out.push({ ...(norm as LayerSpec), name: 'norm' });
  }
  return out;
}

const PATCH_ARGS = ['in_channels', 'embed_dim', 'patch_size', 'class_token', 'position_embedding', 'bias'];

/**
 * PatchEmbedding {in_channels=3, embed_dim, patch_size, class_token=true, position_embedding=true}:
 * ViT's input stem as torchvision builds it: `conv_proj` (Conv2d with kernel = stride = patch),
 * then `tokens` (flatten the patches, prepend the class token, add the position embedding).
 */
export function expandPatchEmbedding(layer: LayerSpec, [x]: InputInfo[]): LayerSpec[] {
  const a = new Args(layer, PATCH_ARGS);
  const inCh = a.int('in_channels', 3);
  const dim = a.int('embed_dim');
  const patch = a.int('patch_size');
  const cls = a.bool('class_token', true);
  const pos = a.bool('position_embedding', true);
  const bias = a.bool('bias', true);
  expectRank(x, [4], '[N, C, H, W]');
  const [h, w] = x.shape.slice(2);
  if (h % patch !== 0 || w % patch !== 0) {
    throw new InputError(`the image ${h}×${w} (input ${formatShape(x.shape)}) is not divisible into ${patch}×${patch} patches`);
  }
  return [
    { type: 'Conv2d', name: 'conv_proj', in_channels: inCh, out_channels: dim, kernel_size: patch, stride: patch, bias },
    { type: 'PatchTokens', name: 'tokens', embed_dim: dim, class_token: cls, position_embedding: pos },
  ];
}

/**
 * PatchTokens {embed_dim, class_token=true, position_embedding=true}: [N, D, h, w] → [N, h·w (+1), D]:
 * flatten and transpose the patch grid, prepend a learned class token [1, 1, D], add a learned
 * position embedding [1, tokens, D]. One add per element for the position embedding.
 */
export const patchTokens: LayerRule = {
  args: ['embed_dim', 'class_token', 'position_embedding'],
  infer(layer, [x]) {
    const a = new Args(layer, patchTokens.args);
    const dim = a.int('embed_dim');
    const cls = a.bool('class_token', true);
    const pos = a.bool('position_embedding', true);
    expectRank(x, [4], '[N, D, h, w]');
    if (x.shape[1] !== dim) throw new InputError(`embed_dim is ${dim} but the input ${formatShape(x.shape)} has ${x.shape[1]} channels`);
    const seq = x.shape[2] * x.shape[3] + (cls ? 1 : 0);
    const out = [x.shape[0], seq, dim];
    const params = [];
    if (cls) params.push({ name: 'class_token', shape: [1, 1, dim] });
    if (pos) params.push({ name: 'pos_embedding', shape: [1, seq, dim] });
    return {
      outputShape: out, params, macs: 0,
      flops: pos ? numel(out) : 0,
      saved: [],
      notes: [`${x.shape[2]}×${x.shape[3]} patches${cls ? ' + class token' : ''} = ${seq} tokens`],
    };
  },
};

/** Composite layer types and their expansions. */
export const COMPOSITES: Record<string, Expansion> = {
  TransformerEncoderLayer: expandTransformerEncoderLayer,
  TransformerEncoder: expandTransformerEncoder,
  PatchEmbedding: expandPatchEmbedding,
  LlamaAttention: expandLlamaAttention,
  SwiGLU: expandSwiGLU,
};

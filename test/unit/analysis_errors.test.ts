import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { analyzeModel, LayerInputError, resolveInputShape } from '../../src/analysis/graph.ts';
import type { LayerSpec, ModelSpec } from '../../src/analysis/model_spec.ts';
import { parseDType, parseInit, parseModelSpec, parseOptimizer, validateModelSpec } from '../../src/analysis/model_spec.ts';
import { getDeviceProfile, parseDeviceProfile, peakFlops } from '../../src/analysis/roofline.ts';
import { buildSummary } from '../../src/analysis/summary.ts';
import { zooModel } from '../../src/analysis/zoo/index.ts';

/**
 * Every error path: an impossible or malformed input raises an InputError whose message is one
 * line naming the problem, the layer (path and type) and the numbers.
 */
function expectInputError(fn: () => unknown, message: string | RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected an InputError matching ${String(message)}`).toBeInstanceOf(InputError);
  const text = (caught as Error).message;
  expect(text).not.toContain('\n');
  if (typeof message === 'string') expect(text).toBe(message);
  else expect(text).toMatch(message);
}

const spec = (input: number[], layers: LayerSpec[], extra: Partial<ModelSpec> = {}): ModelSpec => ({ input, layers, ...extra });
const img = [2, 1, 28, 28];
const conv = (extra: Partial<LayerSpec> = {}): LayerSpec => ({ type: 'Conv2d', in_channels: 1, out_channels: 4, kernel_size: 3, ...extra });

/** [what, input shape, layers, expected message]: each run through analyzeModel. */
const LAYER_CASES: [string, number[], LayerSpec[], string | RegExp, Partial<ModelSpec>?][] = [
  // Conv2d / ConvTranspose2d
  ['kernel larger than the padded input', img, [conv({ kernel_size: 30 })],
    'layer "0" (Conv2d): kernel 30×30 (dilated) is larger than the padded input 28×28: out = floor((28 + 0 - 30) / 1) + 1 = -1, floor((28 + 0 - 30) / 1) + 1 = -1'],
  ['dilated kernel larger, nested path', img, [{ type: 'Sequential', name: 'features', layers: [{ type: 'ReLU' }, conv({ dilation: 20 })] }],
    'layer "features.1" (Conv2d): kernel 41×41 (dilated) is larger than the padded input 28×28: out = floor((28 + 0 - 41) / 1) + 1 = -12, floor((28 + 0 - 41) / 1) + 1 = -12'],
  ['in_channels not divisible by groups', [1, 6, 8, 8], [conv({ in_channels: 6, out_channels: 4, groups: 4 })], 'layer "0" (Conv2d): in_channels 6 is not divisible by groups 4'],
  ['out_channels not divisible by groups', [1, 4, 8, 8], [conv({ in_channels: 4, out_channels: 6, groups: 4 })], 'layer "0" (Conv2d): out_channels 6 is not divisible by groups 4'],
  ['input channels differ from in_channels', img, [conv({ in_channels: 3 })], 'layer "0" (Conv2d): in_channels is 3 but the input [2, 1, 28, 28] has 1 channel (dim 1)'],
  ['padding same with stride', img, [conv({ padding: 'same', stride: 2 })], 'layer "0" (Conv2d): padding="same" needs stride 1 (as in PyTorch), got stride [2, 2]'],
  ['padding word', img, [conv({ padding: 'full' })], 'layer "0" (Conv2d): padding must be an int, a pair, "same" or "valid", got "full"'],
  ['stride zero', img, [conv({ stride: 0 })], 'layer "0" (Conv2d): stride must be >= 1, got 0'],
  ['kernel_size missing', img, [{ type: 'Conv2d', in_channels: 1, out_channels: 4 }], 'layer "0" (Conv2d): argument kernel_size is required'],
  ['kernel_size triple', img, [conv({ kernel_size: [3, 3, 3] })], 'layer "0" (Conv2d): kernel_size must be an integer or a pair of integers, got [3,3,3]'],
  ['padding_mode', img, [conv({ padding_mode: 'mirror' })], 'layer "0" (Conv2d): padding_mode must be one of "zeros", "reflect", "replicate", "circular", got "mirror"'],
  ['conv on 2-D input', [2, 28], [conv()], 'layer "0" (Conv2d): expects a 4-D input [N, C, H, W], got [2, 28]'],
  ['output_padding too big', img, [{ type: 'ConvTranspose2d', in_channels: 1, out_channels: 3, kernel_size: 3, stride: 2, output_padding: 2 }],
    'layer "0" (ConvTranspose2d): output_padding 2 must be smaller than stride 2 or dilation 1'],
  ['transposed output empty', [1, 1, 1, 1], [{ type: 'ConvTranspose2d', in_channels: 1, out_channels: 3, kernel_size: 1, padding: 1 }],
    'layer "0" (ConvTranspose2d): output would be -1×-1: padding 1×1 removes more than (H − 1)·S + D·(K − 1) + OP + 1 = 1×1'],
  ['transposed channels', img, [{ type: 'ConvTranspose2d', in_channels: 2, out_channels: 3, kernel_size: 3 }], 'layer "0" (ConvTranspose2d): in_channels is 2 but the input [2, 1, 28, 28] has 1 channel (dim 1)'],
  ['transposed groups', [1, 4, 4, 4], [{ type: 'ConvTranspose2d', in_channels: 4, out_channels: 3, kernel_size: 3, groups: 2 }], 'layer "0" (ConvTranspose2d): out_channels 3 is not divisible by groups 2'],
  ['transposed padding_mode', img, [{ type: 'ConvTranspose2d', in_channels: 1, out_channels: 3, kernel_size: 3, padding_mode: 'reflect' }], 'layer "0" (ConvTranspose2d): padding_mode must be one of "zeros", got "reflect"'],
  // Linear / Embedding
  ['in_features vs the flattened size', img, [conv({ out_channels: 10, kernel_size: 5 }), { type: 'MaxPool2d', kernel_size: 2 }, { type: 'Flatten' }, { type: 'Linear', name: 'fc', in_features: 1000, out_features: 10 }],
    'layer "fc" (Linear): in_features 1000 does not match the input [2, 1440], whose last dimension is 1440'],
  ['Linear on a feature map without Flatten', img, [conv({ out_channels: 10, kernel_size: 5 }), { type: 'Linear', in_features: 1440, out_features: 10 }],
    'layer "1" (Linear): in_features 1440 does not match the input [2, 10, 24, 24], whose last dimension is 24 (a Flatten before it would give [2, 5760])'],
  ['Linear argument missing', [2, 3], [{ type: 'Linear', in_features: 3 }], 'layer "0" (Linear): argument out_features is required'],
  ['Linear argument not an integer', [2, 3], [{ type: 'Linear', in_features: 3, out_features: 2.5 }], 'layer "0" (Linear): out_features must be an integer >= 1, got 2.5'],
  ['Linear bias not a bool', [2, 3], [{ type: 'Linear', in_features: 3, out_features: 2, bias: 'yes' }], 'layer "0" (Linear): bias must be true or false, got "yes"'],
  ['Embedding on floats', img, [{ type: 'ReLU' }, { type: 'Embedding', num_embeddings: 3, embedding_dim: 2 }],
    'layer "1" (Embedding): needs integer token ids but its input [2, 1, 28, 28] holds floats (an Embedding must read the model input, whose dtype is then int64)'],
  ['Embedding padding_idx', [2, 5], [{ type: 'Embedding', num_embeddings: 3, embedding_dim: 2, padding_idx: 3 }], 'layer "0" (Embedding): padding_idx 3 must be in [-3, 2] for num_embeddings 3'],
  ['float layer on token ids', [2, 5], [{ type: 'Linear', in_features: 5, out_features: 2 }], 'layer "0" (Linear): expects a float input, got integer token ids [2, 5] (only Embedding takes integer input)', { input_dtype: 'int64' }],
  // norms
  ['BatchNorm2d channels', img, [{ type: 'BatchNorm2d', num_features: 3 }], 'layer "0" (BatchNorm2d): num_features is 3 but the input [2, 1, 28, 28] has 1 channel (dim 1)'],
  ['BatchNorm1d rank', img, [{ type: 'BatchNorm1d', num_features: 1 }], 'layer "0" (BatchNorm1d): expects a 2-D or 3-D input [N, C] or [N, C, L], got [2, 1, 28, 28]'],
  ['BatchNorm momentum', img, [{ type: 'BatchNorm2d', num_features: 1, momentum: 2 }], 'layer "0" (BatchNorm2d): momentum must be a number in [0, 1], got 2'],
  ['LayerNorm shape', [2, 5, 8], [{ type: 'LayerNorm', normalized_shape: [4, 8] }], 'layer "0" (LayerNorm): normalized_shape [4, 8] does not match the trailing dimensions of the input [2, 5, 8]'],
  ['LayerNorm shape type', [2, 5, 8], [{ type: 'LayerNorm', normalized_shape: 'x' }], 'layer "0" (LayerNorm): normalized_shape must be a positive integer or a list of them, got "x"'],
  ['LayerNorm shape missing', [2, 5, 8], [{ type: 'LayerNorm' }], 'layer "0" (LayerNorm): argument normalized_shape is required'],
  ['GroupNorm divisibility', [2, 10, 4, 4], [{ type: 'GroupNorm', num_groups: 3, num_channels: 10 }], 'layer "0" (GroupNorm): num_channels 10 is not divisible by num_groups 3'],
  ['GroupNorm channels', [2, 8, 4, 4], [{ type: 'GroupNorm', num_groups: 2, num_channels: 10 }], 'layer "0" (GroupNorm): num_channels is 10 but the input [2, 8, 4, 4] has 8 channels (dim 1)'],
  ['GroupNorm rank', [8], [{ type: 'GroupNorm', num_groups: 2, num_channels: 8 }], 'layer "0" (GroupNorm): expects an input [N, C, *], got [8]'],
  // activations, dropout
  ['Softmax without dim', [2, 5], [{ type: 'Softmax' }], 'layer "0" (Softmax): argument dim is required (PyTorch\'s implicit dim choice is deprecated)'],
  ['Softmax dim out of range', [2, 5], [{ type: 'Softmax', dim: 2 }], 'layer "0" (Softmax): dim 2 is out of range for a 2-D input (allowed -2..1)'],
  ['GELU approximate', [2, 5], [{ type: 'GELU', approximate: 'fast' }], 'layer "0" (GELU): approximate must be one of "none", "tanh", got "fast"'],
  ['Dropout p', [2, 5], [{ type: 'Dropout', p: 1.5 }], 'layer "0" (Dropout): p must be a number in [0, 1], got 1.5'],
  ['Dropout2d rank', [2, 5], [{ type: 'Dropout2d' }], 'layer "0" (Dropout2d): expects a 3-D or 4-D input [N, C, H, W], got [2, 5]'],
  ['unknown argument', [2, 5], [{ type: 'ReLU', inplace: true, slope: 1 }], 'layer "0" (ReLU): unknown argument "slope" (known: inplace)'],
  ['argument on an argument-less layer', [2, 5], [{ type: 'Sigmoid', inplace: true }], 'layer "0" (Sigmoid): unknown argument "inplace" (known: none)'],
  ['LeakyReLU slope', [2, 5], [{ type: 'LeakyReLU', negative_slope: 'a' }], 'layer "0" (LeakyReLU): negative_slope must be a finite number, got "a"'],
  // pooling
  ['pool kernel larger than the input', img, [{ type: 'MaxPool2d', kernel_size: 40 }], 'layer "0" (MaxPool2d): kernel 40×40 (dilation 1×1) is larger than the padded input 28×28: output would be 0×0'],
  ['pool padding over half the kernel', img, [{ type: 'AvgPool2d', kernel_size: 2, padding: 2 }], 'layer "0" (AvgPool2d): padding 2 must be at most half the kernel size 2 (PyTorch\'s rule: pad <= kernel_size / 2)'],
  ['pool kernel missing', img, [{ type: 'MaxPool2d' }], 'layer "0" (MaxPool2d): attribute kernel_size is required'],
  ['pool on 2-D', [2, 5], [{ type: 'MaxPool2d', kernel_size: 2 }], 'layer "0" (MaxPool2d): expects a 3-D or 4-D input [N, C, H, W] or [C, H, W], got [2, 5]'],
  ['return_indices', img, [{ type: 'MaxPool2d', kernel_size: 2, return_indices: true }], 'layer "0" (MaxPool2d): return_indices=true is not supported in a model spec (the indices are not a layer output here)'],
  ['adaptive output_size missing', img, [{ type: 'AdaptiveAvgPool2d' }], 'layer "0" (AdaptiveAvgPool2d): argument output_size is required'],
  ['adaptive output_size triple', img, [{ type: 'AdaptiveAvgPool2d', output_size: [1, 1, 1] }], 'layer "0" (AdaptiveAvgPool2d): output_size must be an integer or a pair, got [1,1,1]'],
  ['adaptive output_size zero', img, [{ type: 'AdaptiveAvgPool2d', output_size: 0 }], 'layer "0" (AdaptiveAvgPool2d): output_size must hold positive integers or null, got 0'],
  // shape layers
  ['Flatten dims reversed', img, [{ type: 'Flatten', start_dim: 3, end_dim: 1 }], 'layer "0" (Flatten): start_dim 3 comes after end_dim 1 for the input [2, 1, 28, 28]'],
  ['Flatten dim out of range', img, [{ type: 'Flatten', start_dim: 4 }], 'layer "0" (Flatten): start_dim 4 is out of range for a 4-D input (allowed -4..3)'],
  ['Flatten dim not integer', img, [{ type: 'Flatten', start_dim: 1.5 }], 'layer "0" (Flatten): start_dim must be an integer, got 1.5'],
  ['Select index', [2, 7, 9], [{ type: 'Select', dim: 1, index: 7 }], 'layer "0" (Select): index 7 is out of range for dim 1 of size 7 (input [2, 7, 9])'],
  ['Select dim missing', [2, 7, 9], [{ type: 'Select', index: 0 }], 'layer "0" (Select): argument dim is required'],
  ['Reshape size', [2, 12], [{ type: 'Reshape', shape: [5, -1] }], 'layer "0" (Reshape): cannot reshape the input [2, 12] (24 elements) to [5, -1]'],
  ['Reshape two free dims', [2, 12], [{ type: 'Reshape', shape: [-1, -1] }], 'layer "0" (Reshape): shape [-1, -1] has more than one -1'],
  ['Reshape shape type', [2, 12], [{ type: 'Reshape', shape: [0] }], 'layer "0" (Reshape): shape must be a list of positive integers with at most one -1, got [0]'],
  ['Mean dim', [2, 12], [{ type: 'Mean', dim: 'x' }], 'layer "0" (Mean): dim must be an integer or a list of integers, got "x"'],
  ['Mean repeated dim', [2, 12], [{ type: 'Mean', dim: [1, -1] }], 'layer "0" (Mean): dim [1,-1] names a dimension twice'],
  ['Mean of token ids', [2, 12], [{ type: 'Mean', dim: 1 }], 'layer "0" (Mean): expects a float input, got integer token ids [2, 12]', { input_dtype: 'int64' }],
  // merges and references
  ['Add needs two inputs', img, [{ type: 'Add' }], 'layer "0" (Add): takes 2 to 16 inputs, got 1'],
  ['Linear given two inputs', img, [{ type: 'ReLU', name: 'a' }, { type: 'Linear', in_features: 28, out_features: 2, inputs: ['a', 'input'] }], 'layer "1" (Linear): takes 1 input, got 2'],
  ['undefined reference', img, [{ type: 'ReLU', name: 'r' }, { type: 'Add', inputs: ['r', 'nope'] }], 'layer "1" (Add): input "nope" is not defined before it here (defined: input, r)'],
  ['Add shapes do not broadcast', img, [{ type: 'Flatten', name: 'f' }, { type: 'Add', inputs: ['f', 'input'] }],
    'layer "1" (Add): input shapes [2, 784], [2, 1, 28, 28] do not broadcast (dimension -2: 2 vs 28)'],
  ['Concat shapes differ', img, [{ type: 'ReLU', name: 'a' }, { type: 'Flatten', name: 'b' }, { type: 'Concat', inputs: ['a', 'b'], dim: 1 }],
    'layer "2" (Concat): inputs [2, 1, 28, 28], [2, 784] differ outside dim 1'],
  ['Concat floats and ids', [2, 5], [{ type: 'Embedding', name: 'e', num_embeddings: 9, embedding_dim: 5 }, { type: 'Select', name: 's', dim: 2, index: 0 }, { type: 'Concat', inputs: ['input', 's'] }],
    'layer "2" (Concat): cannot concatenate float and integer inputs'],
  ['MatMul inner dims', [2, 3, 4], [{ type: 'ReLU', name: 'a' }, { type: 'MatMul', inputs: ['a', 'a'] }], 'layer "1" (MatMul): inner dimensions differ: [2, 3, 4] @ [2, 3, 4] (4 vs 3)'],
  ['MatMul scalar', [4], [{ type: 'Mean', name: 'm', dim: 0 }, { type: 'MatMul', inputs: ['m', 'input'] }], 'layer "1" (MatMul): inputs must be at least 1-D'],
  ['Residual mismatch', img, [{ type: 'Residual', name: 'blk', body: [conv({ out_channels: 2, padding: 1 })] }],
    'layer "blk" (Residual): body output [2, 2, 28, 28] and shortcut output [2, 1, 28, 28] differ, so they cannot be added (give the shortcut a strided 1×1 Conv2d)'],
  ['Residual without body', img, [{ type: 'Residual', name: 'blk' }], 'layer "blk" (Residual): body must be a non-empty list of layers'],
  ['Residual empty shortcut', img, [{ type: 'Residual', name: 'blk', body: [{ type: 'ReLU' }], shortcut: [] }], 'spec: layers[0].shortcut must be a non-empty list of layers'],
  ['Sequential without layers', img, [{ type: 'Sequential', name: 's' }], 'layer "s" (Sequential): layers must be a non-empty list of layers'],
  ['container given two inputs', img, [{ type: 'ReLU', name: 'a' }, { type: 'Sequential', inputs: ['a', 'input'], layers: [{ type: 'ReLU' }] }], 'layer "1" (Sequential): takes one input, got 2'],
  ['unknown type with a case typo', img, [{ type: 'conv2d' }], 'layer "0" (conv2d): unknown layer type "conv2d" (did you mean "Conv2d"?)'],
  ['unknown type', img, [{ type: 'Conv3d' }], /^layer "0" \(Conv3d\): unknown layer type "Conv3d" \(known: Sequential, Residual, .*Conv2d, .*SAGEConv\)$/],
  // recurrent
  ['LSTM input_size', [2, 5, 10], [{ type: 'LSTM', input_size: 5, hidden_size: 3 }], 'layer "0" (LSTM): input_size is 5 but the input [2, 5, 10] has 10 features in its last dimension'],
  ['GRU rank', img, [{ type: 'GRU', input_size: 28, hidden_size: 3, batch_first: true }], 'layer "0" (GRU): expects a 3-D input [N, T, input_size] (batch_first) or 2-D [T, input_size], got [2, 1, 28, 28]'],
  ['LSTM proj_size', [2, 5, 10], [{ type: 'LSTM', input_size: 10, hidden_size: 3, proj_size: 3 }], 'layer "0" (LSTM): proj_size 3 must be smaller than hidden_size 3'],
  ['RNN nonlinearity', [2, 5, 10], [{ type: 'RNN', input_size: 10, hidden_size: 3, nonlinearity: 'sigmoid' }], 'layer "0" (RNN): nonlinearity must be one of "tanh", "relu", got "sigmoid"'],
  ['GRU proj_size is LSTM-only', [2, 5, 10], [{ type: 'GRU', input_size: 10, hidden_size: 3, proj_size: 2 }], /^layer "0" \(GRU\): unknown argument "proj_size"/],
  // attention
  ['heads do not divide embed_dim', [2, 5, 10], [{ type: 'MultiheadAttention', embed_dim: 10, num_heads: 3 }], 'layer "0" (MultiheadAttention): embed_dim 10 is not divisible by num_heads 3'],
  ['attention with two inputs', [2, 5, 10], [{ type: 'ReLU', name: 'a' }, { type: 'MultiheadAttention', embed_dim: 10, num_heads: 2, inputs: ['a', 'input'] }],
    'layer "1" (MultiheadAttention): takes one input (self-attention) or three (query, key, value), got 2'],
  ['attention rank', [2, 5, 10, 1], [{ type: 'MultiheadAttention', embed_dim: 10, num_heads: 2 }], 'layer "0" (MultiheadAttention): query must be 3-D [L, N, E] or 2-D [L, E], got [2, 5, 10, 1]'],
  ['attention embed_dim', [2, 5, 10], [{ type: 'MultiheadAttention', embed_dim: 8, num_heads: 2 }], 'layer "0" (MultiheadAttention): embed_dim is 8 but the query [2, 5, 10] has 10 features'],
  ['attention kdim', [2, 5, 8], [{ type: 'MultiheadAttention', embed_dim: 8, num_heads: 2, kdim: 6, vdim: 8 }], 'layer "0" (MultiheadAttention): kdim is 6 but the key [2, 5, 8] has 8 features'],
  ['attention vdim', [2, 5, 8], [{ type: 'MultiheadAttention', embed_dim: 8, num_heads: 2, vdim: 6 }], 'layer "0" (MultiheadAttention): vdim is 6 but the value [2, 5, 8] has 8 features'],
  ['attention key/value lengths', [2, 5, 8], [{ type: 'Reshape', name: 'v', shape: [1, 10, 8] }, { type: 'MultiheadAttention', embed_dim: 8, num_heads: 2, batch_first: true, inputs: ['input', 'input', 'v'] }],
    'layer "1" (MultiheadAttention): key [2, 5, 8] and value [1, 10, 8] have different lengths'],
  ['attention batch sizes', [2, 5, 8], [{ type: 'Reshape', name: 'q', shape: [1, 10, 8] }, { type: 'MultiheadAttention', embed_dim: 8, num_heads: 2, batch_first: true, inputs: ['q', 'input', 'input'] }],
    'layer "1" (MultiheadAttention): query [1, 10, 8], key [2, 5, 8] and value [2, 5, 8] have different batch sizes'],
  ['TransformerEncoderLayer activation', [2, 5, 8], [{ type: 'TransformerEncoderLayer', d_model: 8, nhead: 2, activation: 'tanh' }], 'layer "0" (TransformerEncoderLayer): activation must be one of "relu", "gelu", got "tanh"'],
  ['TransformerEncoderLayer inner error names the sublayer', [2, 5, 8], [{ type: 'TransformerEncoderLayer', name: 'enc', d_model: 8, nhead: 3 }], 'layer "enc.self_attn" (MultiheadAttention): embed_dim 8 is not divisible by num_heads 3'],
  ['TransformerEncoder layer type', [2, 5, 8], [{ type: 'TransformerEncoder', num_layers: 2, encoder_layer: { type: 'Linear' } }], 'layer "0" (TransformerEncoder): encoder_layer must be a {"type": "TransformerEncoderLayer", …} object, got {"type":"Linear"}'],
  ['TransformerEncoder norm', [2, 5, 8], [{ type: 'TransformerEncoder', num_layers: 1, norm: 3, encoder_layer: { type: 'TransformerEncoderLayer', d_model: 8, nhead: 2 } }],
    'layer "0" (TransformerEncoder): norm must be a layer object such as {"type": "LayerNorm", "normalized_shape": 512}, got 3'],
  ['patches do not tile the image', img, [{ type: 'PatchEmbedding', in_channels: 1, embed_dim: 8, patch_size: 5 }], 'layer "0" (PatchEmbedding): the image 28×28 (input [2, 1, 28, 28]) is not divisible into 5×5 patches'],
  ['PatchTokens embed_dim', [2, 8, 4, 4], [{ type: 'PatchTokens', embed_dim: 6 }], 'layer "0" (PatchTokens): embed_dim is 6 but the input [2, 8, 4, 4] has 8 channels'],
  // graph layers
  ['graph layer without graph size', [4, 5], [{ type: 'GCNConv', in_channels: 5, out_channels: 3 }], 'layer "0" (GCNConv): needs the graph size: add "graph": {"num_nodes": V, "num_edges": E} to the spec'],
  ['graph node count', [4, 5], [{ type: 'GATConv', in_channels: 5, out_channels: 3 }], 'layer "0" (GATConv): the input [4, 5] has 4 nodes but graph.num_nodes is 5', { graph: { num_nodes: 5, num_edges: 8 }, batch_dim: null }],
  ['graph features', [4, 5], [{ type: 'SAGEConv', in_channels: 6, out_channels: 3 }], 'layer "0" (SAGEConv): in_channels is 6 but the input [4, 5] has 5 features per node', { graph: { num_edges: 8 } }],
  ['graph rank', [1, 4, 5], [{ type: 'GCNConv', in_channels: 5, out_channels: 3 }], 'layer "0" (GCNConv): expects node features [num_nodes, in_channels], got [1, 4, 5]', { graph: { num_edges: 8 } }],
  ['SAGE aggr', [4, 5], [{ type: 'SAGEConv', in_channels: 5, out_channels: 3, aggr: 'lstm' }], 'layer "0" (SAGEConv): aggr must be one of "mean", "sum", "add", "max", got "lstm"', { graph: { num_edges: 8 } }],
];

describe('layer configuration errors name the layer and the numbers', () => {
  for (const [what, input, layers, message, extra] of LAYER_CASES) {
    it(what, () => expectInputError(() => analyzeModel(spec(input, layers, extra)), message));
  }
  it('is a LayerInputError carrying the path and type', () => {
    try {
      analyzeModel(spec(img, [{ type: 'Sequential', name: 'a', layers: [conv({ name: 'b', groups: 3 })] }]));
    } catch (error) {
      expect(error).toBeInstanceOf(LayerInputError);
      expect((error as LayerInputError).layerPath).toBe('a.b');
      expect((error as LayerInputError).layerType).toBe('Conv2d');
    }
  });
});

/** Spec-level validation: [what, value, message]. */
const SPEC_CASES: [string, unknown, string][] = [
  ['not an object', [1, 2], 'a model spec must be a JSON object with "input" and "layers", got an array'],
  ['unknown key', { input: [1], layers: [{ type: 'ReLU' }], lr: 1 }, 'spec: unknown key "lr" (known: name, input, input_dtype, batch_dim, graph, layers, init, loss, optimizer, seed, dtype, description, weights)'],
  ['name type', { name: 3, input: [1], layers: [{ type: 'ReLU' }] }, 'spec: name must be a string, got 3'],
  ['description type', { description: [], input: [1], layers: [{ type: 'ReLU' }] }, 'spec: description must be a string, got []'],
  ['input missing', { layers: [{ type: 'ReLU' }] }, 'spec: "input" (the input shape, e.g. [1, 3, 224, 224]) is required'],
  ['input with a zero', { input: [2, 0], layers: [{ type: 'ReLU' }] }, 'spec: input must be a non-empty list of positive integers, got [2,0]'],
  ['input_dtype', { input: [2], input_dtype: 'int32', layers: [{ type: 'ReLU' }] }, 'spec: input_dtype must be "float32" or "int64", got "int32"'],
  ['batch_dim', { input: [2, 3], batch_dim: 2, layers: [{ type: 'ReLU' }] }, 'spec: batch_dim must be null or an integer in [0, 1] for input [2,3], got 2'],
  ['graph type', { input: [2, 3], graph: 5, layers: [{ type: 'ReLU' }] }, 'spec: graph must be an object {"num_nodes", "num_edges"}, got 5'],
  ['graph key', { input: [2, 3], graph: { num_edges: 1, edges: 2 }, layers: [{ type: 'ReLU' }] }, 'spec: graph: unknown key "edges" (known: num_nodes, num_edges)'],
  ['graph num_edges', { input: [2, 3], graph: { num_edges: -1 }, layers: [{ type: 'ReLU' }] }, 'spec: graph.num_edges must be an integer >= 0, got -1'],
  ['graph num_nodes', { input: [2, 3], graph: { num_edges: 1, num_nodes: 0 }, layers: [{ type: 'ReLU' }] }, 'spec: graph.num_nodes must be an integer >= 1, got 0'],
  ['layers empty', { input: [2], layers: [] }, 'spec: layers must be a non-empty list of layers'],
  ['layer not an object', { input: [2], layers: [3] }, 'spec: layers[0] must be an object with a "type", got 3'],
  ['layer type missing', { input: [2], layers: [{ name: 'x' }] }, 'spec: layers[0] needs a "type" (a PyTorch module name such as "Conv2d"), got nothing'],
  ['layer name with a dot', { input: [2], layers: [{ type: 'ReLU', name: 'a.b' }] }, 'spec: layers[0] (ReLU): name must be a non-empty string without dots, got "a.b"'],
  ['layer inputs', { input: [2], layers: [{ type: 'ReLU', inputs: 'input' }] }, 'spec: layers[0] (ReLU): inputs must be a non-empty list of layer names, got "input"'],
  ['layer trainable', { input: [2], layers: [{ type: 'ReLU', trainable: 1 }] }, 'spec: layers[0] (ReLU): trainable must be true or false, got 1'],
  ['nested empty layers', { input: [2], layers: [{ type: 'Sequential', layers: [] }] }, 'spec: layers[0].layers must be a non-empty list of layers'],
  ['nested init', { input: [2], layers: [{ type: 'Sequential', layers: [{ type: 'Linear', init: 'glorot' }] }] },
    'spec: layers[0].layers[0] (Linear): init scheme must be one of pytorch, xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal, normal, uniform, zeros, ones, got "glorot"'],
  ['loss', { input: [2], layers: [{ type: 'ReLU' }], loss: 'nll' }, 'spec: loss must be one of cross_entropy, mse, got "nll"'],
  ['optimizer', { input: [2], layers: [{ type: 'ReLU' }], optimizer: 'rmsprop' }, 'spec: optimizer must be one of sgd, momentum, adam, got "rmsprop"'],
  ['seed', { input: [2], layers: [{ type: 'ReLU' }], seed: -1 }, 'spec: seed must be an integer >= 0, got -1'],
  ['dtype', { input: [2], layers: [{ type: 'ReLU' }], dtype: 'fp64' }, 'spec: dtype must be one of fp32, fp16, bf16, int8, got "fp64"'],
];

describe('spec validation', () => {
  for (const [what, value, message] of SPEC_CASES) {
    it(what, () => expectInputError(() => validateModelSpec(value), message));
  }
  it('accepts the executor fields', () => {
    expect(() => validateModelSpec({
      name: 'm', input: [2, 4], init: { scheme: 'normal', std: 0.02 }, loss: 'mse', seed: 3, dtype: 'float32',
      optimizer: { type: 'adam', lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0 },
      layers: [{ type: 'Linear', in_features: 4, out_features: 2, init: 'kaiming_uniform' }, { type: 'ReLU', init: { scheme: 'kaiming_normal', mode: 'fan_out' } }],
    })).not.toThrow();
  });
  it('malformed JSON', () => expectInputError(() => parseModelSpec('{"input": [1,', 'net.json'), /^net\.json: not valid JSON \(/));
  it('init arguments', () => {
    expectInputError(() => parseInit({ scheme: 'normal', a: 1 }, 'x'), 'x: init "normal" takes std, mean, got "a"');
    expectInputError(() => parseInit({ scheme: 'zeros', std: 1 }, 'x'), 'x: init "zeros" takes no arguments, got "std"');
    expectInputError(() => parseInit({ scheme: 'normal', std: -1 }, 'x'), 'x: init std must be >= 0, got -1');
    expectInputError(() => parseInit({ scheme: 'normal', std: 'big' }, 'x'), 'x: init std must be a finite number, got "big"');
    expectInputError(() => parseInit({ scheme: 'uniform', a: 2, b: 1 }, 'x'), 'x: init uniform needs a <= b, got a = 2, b = 1');
    expectInputError(() => parseInit({ scheme: 'kaiming_normal', mode: 'fan_avg' }, 'x'), 'x: init mode must be "fan_in" or "fan_out", got "fan_avg"');
    expect(parseInit('xavier_uniform', 'x')).toEqual({ scheme: 'xavier_uniform' });
  });
  it('optimizer arguments', () => {
    expectInputError(() => parseOptimizer({ type: 'adam', betas: [0.9] }), 'optimizer: betas must be two numbers in [0, 1), got [0.9]');
    expectInputError(() => parseOptimizer({ type: 'sgd', lr: -1 }), 'optimizer: lr must be a number >= 0, got -1');
    expectInputError(() => parseOptimizer({ type: 'sgd', nesterov: true }), 'optimizer: unknown key "nesterov" (known: type, lr, momentum, betas, eps, weight_decay)');
  });
  it('dtype spellings', () => {
    expect(['float16', 'half', 'BF16', 'int8'].map((d) => parseDType(d))).toEqual(['fp16', 'fp16', 'bf16', 'int8']);
    expectInputError(() => parseDType('double', '--dtype'), '--dtype must be one of fp32, fp16, bf16, int8, got "double"');
  });
});

describe('input overrides, zoo and devices', () => {
  const lstm = zooModel('lstm_lm');
  it('--batch replaces the spec\'s batch_dim; a graph has none', () => {
    expect(resolveInputShape(lstm, { batch: 4 })).toEqual([35, 4]);
    expectInputError(() => resolveInputShape(zooModel('gcn_karate'), { batch: 2 }), 'model "gcn_karate" has no batch dimension (its input [34, 34] is a whole graph)');
    expectInputError(() => resolveInputShape(lstm, { batch: 0 }), 'batch must be an integer >= 1, got 0');
    expectInputError(() => resolveInputShape(lstm, { input: [3], batch: 2 }), 'batch_dim 1 is out of range for the input [3]');
    expectInputError(() => resolveInputShape(lstm, { input: [3, -1] }), 'input shape must be a non-empty list of positive integers, got [3,-1]');
  });
  it('a shape override that the model cannot take fails at the layer', () => {
    expectInputError(() => analyzeModel(zooModel('resnet18'), { input: [1, 1, 224, 224] }), 'layer "conv1" (Conv2d): in_channels is 3 but the input [1, 1, 224, 224] has 1 channel (dim 1)');
    expectInputError(() => analyzeModel(zooModel('lenet5'), { input: [1, 1, 2, 2] }), /^layer "conv2" \(Conv2d\): kernel 5×5 \(dilated\) is larger than the padded input 1×1/);
  });
  it('unknown zoo model, unknown device, bad profiles', () => {
    expectInputError(() => zooModel('resnet19'), /^unknown model "resnet19" \(zoo: resnet18, resnet50, /);
    expectInputError(() => getDeviceProfile('tpu'), /^unknown device "tpu" \(built-in: h100-sxm, /);
    expectInputError(() => parseDeviceProfile(3, 'p.json'), 'p.json must be a JSON object, got 3');
    expectInputError(() => parseDeviceProfile({ name: 'x', peak: 1 }), 'device profile: unknown key "peak" (known: name, peak_flops, bandwidth_bytes_per_s, source)');
    expectInputError(() => parseDeviceProfile({ peak_flops: {}, bandwidth_bytes_per_s: 1 }), 'device profile: name must be a non-empty string');
    expectInputError(() => parseDeviceProfile({ name: 'x', peak_flops: { fp32: 1 }, bandwidth_bytes_per_s: 0 }), 'device profile: bandwidth_bytes_per_s must be a number > 0, got 0');
    expectInputError(() => parseDeviceProfile({ name: 'x', peak_flops: {}, bandwidth_bytes_per_s: 1 }), 'device profile: peak_flops must be an object such as {"fp32": 1.2e12}, got {}');
    expectInputError(() => parseDeviceProfile({ name: 'x', peak_flops: { fp64: 1 }, bandwidth_bytes_per_s: 1 }), 'device profile: peak_flops key "fp64" is not one of fp32, fp16, bf16, int8');
    expectInputError(() => parseDeviceProfile({ name: 'x', peak_flops: { fp32: -1 }, bandwidth_bytes_per_s: 1 }), 'device profile: peak_flops.fp32 must be a number > 0, got -1');
    expectInputError(() => parseDeviceProfile({ name: 'x', peak_flops: { fp32: 1 }, bandwidth_bytes_per_s: 1, source: 2 }), 'device profile: source must be a string');
    expectInputError(() => peakFlops(getDeviceProfile('t4'), 'bf16'), 'device "NVIDIA T4" has no bf16 peak (it has fp32, fp16, int8)');
    expectInputError(() => buildSummary(zooModel('lenet5'), { dtype: 'bf16', device: getDeviceProfile('v100-sxm2') }), 'device "NVIDIA V100 SXM2" has no bf16 peak (it has fp32, fp16)');
  });
});

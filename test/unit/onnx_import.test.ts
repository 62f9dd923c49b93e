/**
 * ONNX import without a GPU: every PyTorch export in test/fixtures/onnx_import (CNN with folded
 * BatchNorm, MLP with the Erf GELU, LSTM in both layouts, bidirectional GRU, Transformer encoder
 * layers, Embedding; opsets 11/13/17, constant folding on and off, dynamic batch) gives
 * PyTorch's parameter count and the layers the model is made of (h_n[-1] as the last time step); corrupt files, unmappable ops
 * and wrong input shapes are one-line errors; exported specs import back with the same counts.
 */
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { analyzeModel } from '../../src/analysis/graph.ts';
import { exportOnnx } from '../../src/analysis/onnx/onnx_export.ts';
import { decodeOnnx } from '../../src/analysis/onnx/onnx_graph.ts';
import { importOnnx } from '../../src/analysis/onnx/onnx_import.ts';
import { zooModel } from '../../src/analysis/zoo/index.ts';

const { onnx } = onnxProto;
const DIR = new URL('../fixtures/onnx_import/', import.meta.url);
const CASES = JSON.parse(readFileSync(new URL('cases.json', DIR), 'utf8')) as { name: string; file: string; params: number; input: { shape: number[] }; output: { shape: number[] } }[];
const read = (file: string) => new Uint8Array(readFileSync(new URL(file, DIR)));

const LAYERS: Record<string, string[]> = {
  cnn_bn: ['Conv2d', 'BatchNorm2d', 'ReLU', 'MaxPool2d', 'Conv2d', 'BatchNorm2d', 'ReLU', 'AvgPool2d', 'AdaptiveAvgPool2d', 'Flatten', 'Linear'],
  mlp: ['Flatten', 'Linear', 'Tanh', 'Linear', 'GELU', 'Linear', 'Sigmoid'],
  lstm_seq: ['LSTM', 'Select', 'Linear'],
  lstm_bf: ['Permute', 'LSTM', 'Permute', 'Select', 'Linear'],
  gru_bidir: ['Permute', 'GRU', 'Permute'],
  lstm_hn: ['Permute', 'LSTM', 'Select', 'Linear'],
  gru_hn: ['GRU', 'Select', 'Linear'],
  encoder_post: ['MultiheadAttention', 'Add', 'LayerNorm', 'Linear', 'ReLU', 'Linear', 'Add', 'LayerNorm'],
  encoder_pre_bf: ['LayerNorm', 'Permute', 'MultiheadAttention', 'Permute', 'Add', 'LayerNorm', 'Linear', 'GELU', 'Linear', 'Add'],
  embedding: ['Embedding', 'Linear'],
};

function tinyModel(nodes: { opType: string; input: string[]; output: string[] }[], outputs = ['y']): Uint8Array {
  const info = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }, { dimValue: 3 }] } } } });
  const model = onnx.ModelProto.create({
    irVersion: 8, opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'g', node: nodes.map((n, i) => ({ ...n, name: `/${n.opType}_${i}` })), input: [info('x')], output: outputs.map(info) },
  });
  return onnx.ModelProto.encode(model).finish();
}

describe('ONNX import of PyTorch exports', () => {
  for (const c of CASES) {
    it(`${c.file}: ${c.params} parameters as PyTorch counts them, output [${c.output.shape.join(', ')}]`, () => {
      const imported = importOnnx(read(c.file), { input: c.input.shape }, c.file);
      const graph = analyzeModel(imported.spec);
      expect(graph.layers.reduce((sum, l) => sum + l.paramCount, 0)).toBe(c.params);
      expect(graph.output.shape).toEqual(c.output.shape);
      expect(imported.spec.layers.map((l) => l.type)).toEqual(LAYERS[c.name]);
      expect(imported.outputName).toBe('y');
      const again = importOnnx(exportOnnx(imported.spec), { input: c.input.shape }, 'again.onnx');
      expect(analyzeModel(again.spec).layers.reduce((sum, l) => sum + l.paramCount, 0), 'exported and imported again').toBe(c.params);
    });
  }

  it('keeps state_dict names where the initializers carry them and reorders LSTM gates to i, f, g, o', () => {
    const mlp = importOnnx(read('mlp_op13.onnx'), {}, 'mlp');
    expect(Object.keys(mlp.spec.weights!)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias', 'fc3.weight', 'fc3.bias']);
    const lstm = importOnnx(read('lstm_seq_op13.onnx'), { input: [7, 3, 5] }, 'lstm');
    expect(lstm.spec.layers[0]).toMatchObject({ type: 'LSTM', name: 'lstm', num_layers: 2, hidden_size: 6 });
    expect(Object.keys(lstm.spec.weights!).filter((k) => k.startsWith('lstm.'))).toEqual([
      'lstm.weight_ih_l0', 'lstm.weight_hh_l0', 'lstm.bias_ih_l0', 'lstm.bias_hh_l0', 'lstm.weight_ih_l1', 'lstm.weight_hh_l1', 'lstm.bias_ih_l1', 'lstm.bias_hh_l1',
    ]);
    // The op13 file (no constant folding) stores lstm.weight_ih_l0 in PyTorch's order and slices it into ONNX's i, o, f, c.
    const graph = decodeOnnx(read('lstm_seq_op13.onnx'));
    expect(lstm.spec.weights!['lstm.weight_ih_l0'].data).toEqual(graph.initializers.get('lstm.weight_ih_l0')!.data);
  });

  it('a symbolic batch defaults to 1 with a note; a fixed dim that differs from --input is an error', () => {
    const dynamic = importOnnx(read('mlp_op13.onnx'), {}, 'mlp_op13.onnx');
    expect(dynamic.spec.input).toEqual([1, 5, 3]);
    expect(dynamic.notes.join('\n')).toMatch(/symbolic dims set to 1/);
    expect(() => importOnnx(read('mlp_op11.onnx'), { input: [4, 5, 3] }, 'mlp_op11.onnx')).toThrow(/^mlp_op11\.onnx: --input \[4, 5, 3\] differs from the model's fixed input \[3, 5, 3\] at dim 0$/);
    expect(() => importOnnx(read('mlp_op13.onnx'), { input: [4, 15] }, 'm.onnx')).toThrow(/^m\.onnx: --input \[4, 15\] has 2 dims, the model's input "x" has 3$/);
  });

  it('corrupt and truncated files are one-line errors', () => {
    const bytes = read('cnn_bn_op17.onnx');
    expect(() => importOnnx(new Uint8Array([1, 2, 3, 255, 255, 255]), {}, 'junk.onnx')).toThrow(/^junk\.onnx: not a valid ONNX file \(/);
    expect(() => importOnnx(bytes.slice(0, bytes.length - 300), {}, 'cut.onnx')).toThrow(/^cut\.onnx: not a valid ONNX file \(/);
    expect(() => importOnnx(new Uint8Array(0), {}, 'empty.onnx')).toThrow(/^empty\.onnx: not a valid ONNX file \(no graph nodes; 0 bytes read\)$/);
    for (const bad of [new Uint8Array([1, 2, 3, 255, 255, 255]), bytes.slice(0, 1000), new Uint8Array(0)]) {
      try {
        importOnnx(bad, {}, 'bad.onnx');
      } catch (error) {
        expect((error as Error).message).not.toMatch(/\n/);
      }
    }
  });

  it('an op no layer runs names the node, its op type and its inputs; nothing is dropped silently', () => {
    const bytes = tinyModel([{ opType: 'Relu', input: ['x'], output: ['r'] }, { opType: 'Sin', input: ['r'], output: ['y'] }]);
    expect(() => importOnnx(bytes, {}, 't.onnx')).toThrow(/^ONNX node "\/Sin_1" \(Sin, inputs r\): cannot be mapped to a ModelSpec layer \(no layer runs Sin\)$/);
    const constAdd = tinyModel([{ opType: 'Constant', input: [], output: ['c'] }, { opType: 'Add', input: ['x', 'c'], output: ['y'] }]);
    expect(() => importOnnx(constAdd, {}, 't.onnx')).toThrow(/^ONNX node "\/Constant_0" \(Constant, inputs none\): has no value attribute/);
    const twoOut = tinyModel([{ opType: 'Relu', input: ['x'], output: ['y'] }, { opType: 'Tanh', input: ['x'], output: ['z'] }], ['y', 'z']);
    expect(() => importOnnx(twoOut, {}, 't.onnx')).toThrow(/^t\.onnx: the graph has 2 outputs \(y, z\); a ModelSpec passes on one$/);
    const dangling = tinyModel([{ opType: 'Relu', input: ['w'], output: ['y'] }]);
    expect(() => importOnnx(dangling, {}, 't.onnx')).toThrow(/^ONNX node "\/Relu_0" \(Relu, inputs w\): input "w" is neither a graph input, an initializer nor an earlier node's output$/);
  });
});

describe('ONNX export', () => {
  for (const name of ['lenet5', 'fashion_cnn']) {
    it(`${name}: the exported file imports back with the same parameter count and output shape`, () => {
      const spec = zooModel(name);
      const before = analyzeModel(spec);
      const back = analyzeModel(importOnnx(exportOnnx(spec), { input: spec.input }, `${name}.onnx`).spec);
      expect(back.layers.reduce((s, l) => s + l.paramCount, 0)).toBe(before.layers.reduce((s, l) => s + l.paramCount, 0));
      expect(back.output.shape).toEqual(before.output.shape);
    });
  }

  it('layers without a writer and weights of the wrong shape are one-line errors', () => {
    expect(() => exportOnnx({ input: [5, 3], layers: [{ type: 'LSTM', name: 'rnn', input_size: 3, hidden_size: 4 }] })).toThrow(/^export: layer "rnn" \(LSTM\): only batched 3-D input is written$/);
    expect(() => exportOnnx({ input: [2, 4], layers: [{ type: 'GroupNorm', name: 'gn', num_groups: 2, num_channels: 4 }] })).toThrow(/^export: layer "gn" \(GroupNorm\) has no ONNX writer yet/);
    const spec = { input: [1, 4], layers: [{ type: 'Linear', name: 'fc', in_features: 4, out_features: 2 }] };
    expect(() => exportOnnx(spec, { 'fc.weight': { shape: [4, 2], data: new Array(8).fill(0) } })).toThrow(/^export: weights "fc\.weight" has shape \[4, 2\], the model expects \[2, 4\]$/);
  });
});

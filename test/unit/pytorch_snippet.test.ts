import { describe, expect, it } from 'vitest';
import { hasPytorchSnippet, pythonLiteral, pytorchSnippet } from '../../src/analysis/pytorch_snippet.ts';
import type { JsonTensor, RunSpec } from '../../src/ops/spec.ts';

/** Every `name = torch.tensor([...], dtype=...)[.reshape(...)]` of a snippet, parsed back. */
function tensorsOf(snippet: string): Record<string, { shape: number[] | null; dtype: string; values: number[] }> {
  const out: Record<string, { shape: number[] | null; dtype: string; values: number[] }> = {};
  const re = /^(\w+) = torch\.tensor\(\[?([^\]]*?)\]?, dtype=torch\.(\w+)\)(?:\.reshape\(([\d, ]+)\))?/gms;
  for (const m of snippet.matchAll(re)) {
    const values = m[2].split(',').map((s) => s.trim()).filter(Boolean).map((s) => (s === 'True' ? 1 : s === 'False' ? 0 : Number(s)));
    out[m[1]] = { shape: m[4] ? m[4].split(',').map(Number) : null, dtype: m[3], values };
  }
  return out;
}

/** Deterministic values in (-1, 1) that are not short decimals. */
function tensor(shape: number[], seed: number): JsonTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Array.from({ length: n }, (_, i) => Math.sin((i + 1) * 12.9898 + seed * 78.233)) };
}

function expectTensorsRoundTrip(spec: RunSpec, snippet: string): void {
  const parsed = tensorsOf(snippet);
  for (const [name, t] of Object.entries(spec.inputs)) {
    const p = parsed[name];
    expect(p, `${name} is written`).toBeDefined();
    expect(p.shape ?? (t.shape.length === 1 ? t.shape : [])).toEqual(t.shape);
    expect(p.dtype).toBe(t.dtype === 'int32' ? 'int64' : 'float32');
    // Exact: each printed value reads back as the float32 the GPU got.
    expect(p.values.map((v) => Math.fround(v))).toEqual((t.data as number[]).map((v) => Math.fround(v)));
  }
}

describe('pytorchSnippet', () => {
  it('conv2d: exact inputs, F.conv2d with PyTorch keywords, print(y), backward with the page\'s dL/dy', () => {
    const spec: RunSpec = {
      op: 'conv2d', attrs: { stride: [2, 1], padding: 1, dilation: 1, groups: 1 },
      inputs: { x: tensor([2, 3, 5, 7], 1), weight: tensor([4, 3, 3, 3], 2), bias: tensor([4], 3) },
      grad_output: { output: tensor([2, 4, 3, 7], 4) },
    };
    const s = pytorchSnippet(spec, { grads: ['x', 'weight', 'bias'] });
    expect(s.split('\n').slice(1, 3)).toEqual(['import torch', 'import torch.nn.functional as F']);
    expectTensorsRoundTrip(spec, s);
    expect(s).toContain('y = F.conv2d(x, weight, bias, stride=(2, 1), padding=1, dilation=1, groups=1)\nprint(y)\n');
    expect(s).toMatch(/^x = torch\.tensor\(.*\.reshape\(2, 3, 5, 7\)\.requires_grad_\(\)$/ms);
    expect(tensorsOf(s).grad_y.values.map(Math.fround)).toEqual((spec.grad_output as Record<string, JsonTensor>).output.data.map(Math.fround));
    expect(s).toContain('torch.autograd.backward([y], [grad_y])');
    for (const g of ['x', 'weight', 'bias']) expect(s).toContain(`print('grad ${g}', ${g}.grad)`);
  });

  it('linear without bias, a 0-d and a 1-element tensor, no gradients asked: no backward', () => {
    const spec: RunSpec = { op: 'linear', inputs: { x: { shape: [1], data: [0.1] }, weight: { shape: [3, 1], data: [1, -0, 2.5] } } };
    const s = pytorchSnippet(spec);
    expect(s).toContain('x = torch.tensor([0.1], dtype=torch.float32)\n');
    expect(s).toContain('weight = torch.tensor([1, -0, 2.5], dtype=torch.float32).reshape(3, 1)\n');
    expect(s).toContain('y = F.linear(x, weight, None)');
    expect(s).not.toContain('backward');
    const scalar = pytorchSnippet({ op: 'relu', inputs: { x: { shape: [], data: [16777217] } } });
    expect(scalar).toContain('x = torch.tensor(16777216, dtype=torch.float32)\n');
  });

  it('lstm runs through nn.LSTM with the weights copied in, and says so', () => {
    const [T, N, I, H] = [3, 2, 5, 4];
    const spec: RunSpec = {
      op: 'lstm', attrs: {},
      inputs: { x: tensor([T, N, I], 1), h0: tensor([1, N, H], 2), c0: tensor([1, N, H], 3), weight_ih: tensor([4 * H, I], 4), weight_hh: tensor([4 * H, H], 5), bias_ih: tensor([4 * H], 6), bias_hh: tensor([4 * H], 7) },
      grad_output: { y: tensor([T, N, H], 8) },
    };
    const s = pytorchSnippet(spec, { grads: ['x', 'h0', 'c0', 'weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'] });
    expectTensorsRoundTrip(spec, s);
    expect(s.split('\n')[1]).toMatch(/^# torch\.nn\.functional has no lstm: torch\.nn\.LSTM runs it/);
    expect(s).toContain(`lstm = torch.nn.LSTM(input_size=${I}, hidden_size=${H})`);
    expect(s).toContain('    lstm.weight_ih_l0.copy_(weight_ih)');
    expect(s).toContain('y, (h_n, c_n) = lstm(x, (h0, c0))\nprint(y)\nprint(h_n)\nprint(c_n)\n');
    expect(s).toContain("print('grad weight_hh', lstm.weight_hh_l0.grad)");
    expect(s).not.toMatch(/^weight_ih = .*requires_grad_/ms);
  });

  it('layer_norm, max_pool2d, softmax, cross_entropy and multi-head attention use PyTorch names', () => {
    const x = tensor([2, 3, 4, 4], 1);
    expect(pytorchSnippet({ op: 'layer_norm', attrs: { eps: 1e-5, normalized_shape: [4] }, inputs: { x, weight: tensor([4], 2), bias: tensor([4], 3) } }))
      .toContain('y = F.layer_norm(x, (4,), weight, bias, eps=0.00001)');
    expect(pytorchSnippet({ op: 'max_pool2d', attrs: { kernel_size: [2, 3], stride: 2, padding: 0, ceil_mode: true, dilation: 1 }, inputs: { x } }))
      .toContain('y = F.max_pool2d(x, kernel_size=(2, 3), stride=2, padding=0, dilation=1, ceil_mode=True)');
    expect(pytorchSnippet({ op: 'softmax', attrs: { dim: -1 }, inputs: { x } })).toContain('y = F.softmax(x, dim=-1)');
    const ce: RunSpec = { op: 'cross_entropy', attrs: { reduction: 'mean', ignore_index: -100 }, inputs: { logits: tensor([3, 5], 1), target: { shape: [3], data: [0, 4, 2], dtype: 'int32' } }, grad_output: { loss: { shape: [], data: [1] } } };
    const s = pytorchSnippet(ce, { grads: ['logits'] });
    expectTensorsRoundTrip(ce, s);
    expect(s).toContain("loss = F.cross_entropy(logits, target, ignore_index=-100, reduction='mean')");
    expect(s).toContain('torch.autograd.backward([loss], [grad_loss])');
    const mha = pytorchSnippet({ op: 'multi_head_attention', attrs: { num_heads: 2, is_causal: true }, inputs: { x: tensor([1, 6, 8], 1), in_proj_weight: tensor([24, 8], 2), out_proj_weight: tensor([8, 8], 3) } });
    expect(mha).toContain('y = F.multi_head_attention_forward(x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1), 8, 2, in_proj_weight, None, None, None, False, 0.0, out_proj_weight, None, training=False, key_padding_mask=None, need_weights=False, attn_mask=torch.ones(6, 6, dtype=torch.bool).triu(1))[0].transpose(0, 1)');
  });

  it('graph ops get their inputs and a header saying PyTorch has no such op, never a guessed call', () => {
    const spec: RunSpec = { op: 'gcn', inputs: { x: tensor([4, 3], 1), edge_index: { shape: [2, 3], data: [0, 1, 2, 1, 2, 3], dtype: 'int32' }, weight: tensor([2, 3], 2) } };
    const s = pytorchSnippet(spec, { grads: ['x'] });
    const header = s.split('\nimport torch')[0].split('\n').slice(1);
    for (const line of header) expect(line.length).toBeLessThanOrEqual(100);
    expect(header.map((l) => l.slice(2)).join(' ')).toContain("PyTorch has no gcn op: PyTorch Geometric's GCNConv computes it (PyG is not part of PyTorch, so no call is written here).");
    expectTensorsRoundTrip(spec, s);
    expect(s).not.toMatch(/^y = |print\(|backward/m);
  });

  it('refuses an op it has no recipe for, naming it', () => {
    expect(hasPytorchSnippet('conv3d')).toBe(false);
    expect(() => pytorchSnippet({ op: 'conv3d', inputs: {} })).toThrow(/no recipe for op "conv3d"/);
  });

  it('pythonLiteral writes tuples, booleans, None and quoted strings', () => {
    expect(pythonLiteral([3])).toBe('(3,)');
    expect(pythonLiteral([1, 2])).toBe('(1, 2)');
    expect(pythonLiteral(false)).toBe('False');
    expect(pythonLiteral(null)).toBe('None');
    expect(pythonLiteral("it's")).toBe("'it\\'s'");
  });
});

/** Float64 references of gcn, gat and sage: central finite differences and the PyTorch fixtures. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gatBackwardRef, gatForwardRef, gcnBackwardRef, gcnForwardRef, sageBackwardRef, sageForwardRef } from '../../src/analysis/reference/graph.ts';
import type { Tensor64 } from '../../src/analysis/tensor.ts';
import type { JsonTensor } from '../../src/ops/spec.ts';
import { FD_ATOL, FD_RTOL, expectClose, makeRng, numericalGrad, randomTensor } from './reference_helpers.ts';

// 7 nodes: node 6 isolated, self loops 2→2 (twice), duplicate 0→1, 4→3.
const EDGES = [0, 1, 0, 2, 3, 2, 0, 4, 2, 5, 4, 0, 1, 1, 2, 2, 3, 1, 3, 4, 3, 5, 0, 3];
const E = EDGES.length / 2;
const V = 7;

function fd(name: string, forward: () => Tensor64, grads: Record<string, Tensor64 | null>, inputs: Record<string, Tensor64 | null>, gradOut: Tensor64) {
  for (const [k, t] of Object.entries(inputs)) {
    if (!t) continue;
    expectClose(grads[k]!, numericalGrad(forward, t, gradOut.data), FD_ATOL, FD_RTOL, `${name} d${k}`);
  }
}

describe('graph references match central finite differences', () => {
  it('has the corner cases in its graph', () => {
    expect(E).toBe(12);
    expect(EDGES.slice(0, E).includes(6) || EDGES.slice(E).includes(6)).toBe(false);
  });
  for (const o of [{}, { addSelfLoops: false, normalize: false }]) {
    it(`gcn ${JSON.stringify(o)}`, () => {
      const rng = makeRng(1);
      const x = randomTensor([V, 3], rng);
      const w = randomTensor([4, 3], rng);
      const b = randomTensor([4], rng);
      const g = randomTensor([V, 4], rng);
      const forward = () => gcnForwardRef(x, EDGES, w, b, o);
      fd('gcn', forward, gcnBackwardRef(x, EDGES, w, b, g, o), { x, weight: w, bias: b }, g);
    });
  }
  for (const root of [true, false]) {
    it(`sage root_weight=${root}`, () => {
      const rng = makeRng(2);
      const x = randomTensor([V, 3], rng);
      const wl = randomTensor([2, 3], rng);
      const bl = randomTensor([2], rng);
      const wr = root ? randomTensor([2, 3], rng) : null;
      const g = randomTensor([V, 2], rng);
      const out = sageForwardRef(x, EDGES, wl, bl, wr);
      for (let f = 0; f < 2; f++) expect(out.data[6 * 2 + f]).toBeCloseTo(bl.data[f] + (wr ? wr.data[f * 3] * x.data[18] + wr.data[f * 3 + 1] * x.data[19] + wr.data[f * 3 + 2] * x.data[20] : 0), 12);
      fd('sage', () => sageForwardRef(x, EDGES, wl, bl, wr), sageBackwardRef(x, EDGES, wl, bl, wr, g), { x, weight_l: wl, bias_l: bl, weight_r: wr }, g);
    });
  }
  for (const o of [{ heads: 1 }, { heads: 3, concat: true }, { heads: 2, concat: false, negativeSlope: 0.1 }, { heads: 2, addSelfLoops: false }]) {
    it(`gat ${JSON.stringify(o)}`, () => {
      const rng = makeRng(3);
      const heads = o.heads;
      const c = 2;
      const x = randomTensor([V, 3], rng);
      const w = randomTensor([heads * c, 3], rng);
      const as = randomTensor([1, heads, c], rng);
      const ad = randomTensor([1, heads, c], rng);
      const width = (o as { concat?: boolean }).concat === false ? c : heads * c;
      const b = randomTensor([width], rng);
      const g = randomTensor([V, width], rng);
      const forward = () => gatForwardRef(x, EDGES, w, as, ad, b, o);
      fd('gat', forward, gatBackwardRef(x, EDGES, w, as, ad, b, g, o), { x, weight: w, att_src: as, att_dst: ad, bias: b }, g);
    });
  }
});

interface FixtureCase {
  name: string;
  op: string;
  attrs: Record<string, unknown>;
  inputs: Record<string, JsonTensor>;
  grad_output: Record<string, JsonTensor>;
  expected: { outputs: Record<string, JsonTensor>; grads: Record<string, JsonTensor> };
}

const t64 = (t: JsonTensor | undefined): Tensor64 | null => (t ? { shape: t.shape, data: Float64Array.from(t.data) } : null);

describe('graph references match the PyTorch fixtures (float64, 1e-10)', () => {
  const cases: FixtureCase[] = [
    ...JSON.parse(readFileSync(new URL('../fixtures/graph_cases.json', import.meta.url), 'utf8')),
    ...JSON.parse(readFileSync(new URL('../fixtures/graph_holdout.json', import.meta.url), 'utf8')),
  ];
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const i = c.inputs;
    const ei = i.edge_index.data;
    const g = t64(c.grad_output.output)!;
    const a = c.attrs as Record<string, never>;
    let out: Tensor64;
    let grads: Record<string, Tensor64 | null>;
    if (c.op === 'gcn') {
      const o = { addSelfLoops: a.add_self_loops, normalize: a.normalize };
      out = gcnForwardRef(t64(i.x)!, ei, t64(i.weight)!, t64(i.bias), o);
      grads = gcnBackwardRef(t64(i.x)!, ei, t64(i.weight)!, t64(i.bias), g, o);
    } else if (c.op === 'sage') {
      out = sageForwardRef(t64(i.x)!, ei, t64(i.weight_l)!, t64(i.bias_l), t64(i.weight_r));
      grads = sageBackwardRef(t64(i.x)!, ei, t64(i.weight_l)!, t64(i.bias_l), t64(i.weight_r), g);
    } else {
      const o = { heads: a.heads, concat: a.concat, negativeSlope: a.negative_slope, addSelfLoops: a.add_self_loops };
      out = gatForwardRef(t64(i.x)!, ei, t64(i.weight)!, t64(i.att_src)!, t64(i.att_dst)!, t64(i.bias), o);
      grads = gatBackwardRef(t64(i.x)!, ei, t64(i.weight)!, t64(i.att_src)!, t64(i.att_dst)!, t64(i.bias), g, o);
    }
    expectClose(out, c.expected.outputs.output, 1e-10, 1e-10, 'output');
    for (const [k, e] of Object.entries(c.expected.grads)) expectClose(grads[k]!, e, 1e-10, 1e-10, `grad ${k}`);
  });
});

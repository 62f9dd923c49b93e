/**
 * Fuzzing every op's validation without a GPU: `nnx run`'s checks (parseInputs, then the op's
 * prepare) on random input shapes and hostile attributes for all registered ops, and on the
 * benchmark cases shrunk to small shapes with one value made hostile. Each case is accepted with
 * output shapes of whole numbers, or refused with one NnxError line.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BUILTIN_CASES } from '../../src/ops/bench_cases.ts';
import { OPS } from '../../src/ops/registry.ts';
import { parseInputs } from '../../src/ops/spec.ts';
import { expectOneLineError, hostileValue, timed } from './fuzz_common.ts';

const ATTR_NAMES = [
  'stride', 'padding', 'dilation', 'groups', 'kernel_size', 'ceil_mode', 'count_include_pad', 'divisor_override', 'dim', 'reduction',
  'ignore_index', 'training', 'momentum', 'eps', 'normalized_shape', 'num_groups', 'num_layers', 'bidirectional', 'batch_first',
  'nonlinearity', 'heads', 'concat', 'negative_slope', 'approximate', 'alpha', 'start_dim', 'end_dim', 'padding_idx', 'is_causal',
  'scale', 'dropout_p', 'num_heads', 'output_padding', 'scale', 'zero_point', 'quant_min', 'quant_max', 'axis', 'add_self_loops', 'normalize',
];

/** A JSON tensor of `shape` holding small whole numbers (valid as float32 and as int32 indices). */
function jsonTensor(shape: unknown[], dtype: string): Record<string, unknown> {
  const count = shape.every((d) => Number.isInteger(d) && (d as number) >= 0) ? shape.reduce<number>((a, d) => a * (d as number), 1) : 0;
  return { shape, data: Array.from({ length: Math.min(count, 4096) }, (_, i) => i % 2), ...(dtype === 'int32' ? { dtype } : {}) };
}

/** nnx run's checks on a spec: the parsed inputs and the op's prepare, timed. */
function check(op: string, attrs: Record<string, unknown>, inputs: Record<string, unknown>): 'ok' | 'refused' {
  const what = JSON.stringify({ op, attrs, inputs });
  const { value, error } = timed(() => {
    const definition = OPS[op];
    return definition.prepare(attrs, parseInputs(definition, { op, attrs, inputs }));
  }, 1000, what);
  if (error !== undefined) {
    expectOneLineError(error, what);
    return 'refused';
  }
  for (const [name, shape] of Object.entries(value!.outputShapes)) {
    expect(shape.every((d) => Number.isSafeInteger(d) && d >= 0), `${op} output ${name} shape ${JSON.stringify(shape)} for ${what}`).toBe(true);
  }
  return 'ok';
}

/** The benchmark cases with every dimension cut to at most 6, so their inputs are cheap to build. */
const SMALL_CASES = BUILTIN_CASES.map((c) => ({ op: c.op, attrs: c.attrs, shapes: Object.fromEntries(Object.entries(c.shapes).map(([k, s]) => [k, s.map((d) => Math.min(d, 6))])) }));

describe('fuzz: every op\'s validation (nnx run without the GPU)', () => {
  test('random input shapes and hostile attributes for every registered op: accepted with whole-number output shapes, or one line', () => {
    const spec = fc.record({
      op: fc.constantFrom(...Object.keys(OPS)),
      attrs: fc.dictionary(fc.constantFrom(...ATTR_NAMES), hostileValue, { maxKeys: 3 }),
      shapes: fc.array(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }), { minLength: 6, maxLength: 6 }),
      drop: fc.nat(7),
    });
    fc.assert(fc.property(spec, ({ op, attrs, shapes, drop }) => {
      const inputs = Object.fromEntries(OPS[op].inputs.filter((_, i) => i !== drop).map((input, i) => [input.name, jsonTensor(shapes[i % shapes.length], input.dtype)]));
      check(op, attrs, inputs);
    }), { seed: 2001, numRuns: 600 });
  });

  test('benchmark cases (shrunk) with one attribute or shape entry made hostile: accepted or one line', () => {
    const outcomes = { ok: 0, refused: 0 };
    const mutated = fc.record({ base: fc.constantFrom(...SMALL_CASES), where: fc.constantFrom('attr', 'shape', 'none'), key: fc.constantFrom(...ATTR_NAMES), pick: fc.nat(), value: hostileValue });
    fc.assert(fc.property(mutated, ({ base, where, key, pick, value }) => {
      const attrs: Record<string, unknown> = { ...base.attrs };
      const shapes: Record<string, unknown[]> = Object.fromEntries(Object.entries(base.shapes).map(([k, s]) => [k, [...s]]));
      if (where === 'attr') attrs[Object.keys(attrs).length && pick % 2 ? Object.keys(attrs)[pick % Object.keys(attrs).length] : key] = value;
      else if (where === 'shape') {
        const names = Object.keys(shapes);
        const s = shapes[names[pick % names.length]];
        s[pick % s.length] = value;
      }
      const inputs = Object.fromEntries(Object.entries(shapes).map(([name, s]) => [name, jsonTensor(s, OPS[base.op].inputs.find((i) => i.name === name)?.dtype ?? 'float32')]));
      outcomes[check(base.op, attrs, inputs)]++;
    }), { seed: 2002, numRuns: 600 });
    expect(outcomes.ok).toBeGreaterThan(50);
    expect(outcomes.refused).toBeGreaterThan(50);
  });
});

/**
 * Fuzzing the ModelSpec parser and `nnx summary`: random layer lists, mutated zoo specs, deep
 * nesting, huge sizes and random JSON. Every case ends in a report whose numbers are finite or in
 * one NnxError line, within a bounded time. Seeds are fixed, so a failure reproduces.
 */
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { argDefaults } from '../../src/analysis/layer_defaults.ts';
import { knownLayerTypes } from '../../src/analysis/layers/index.ts';
import { parseModelSpec } from '../../src/analysis/model_spec.ts';
import { zooModel } from '../../src/analysis/zoo/index.ts';
import { summaryCommand } from '../../src/cli/summary.ts';
import { summarizeTorchPrint } from '../../src/analysis/torch_print.ts';
import { expectOneLineError, hostileNumber, hostileText, hostileValue, timed, wrongKind } from './fuzz_common.ts';

const dir = mkdtempSync(join(tmpdir(), 'nnx-fuzz-spec-'));
let files = 0;

/** `nnx summary FILE --json` in-process on the spec text: the parsed report, or the error it threw. */
async function summary(text: string, extra: string[] = []): Promise<{ report?: Record<string, unknown>; error?: unknown; ms: number }> {
  const file = join(dir, `spec-${++files}.json`);
  writeFileSync(file, text);
  let out = '';
  const log = vi.spyOn(console, 'log').mockImplementation((s: unknown) => void (out += String(s)));
  const started = performance.now();
  try {
    await summaryCommand([file, '--json', ...extra]);
    return { report: JSON.parse(out) as Record<string, unknown>, ms: performance.now() - started };
  } catch (error) {
    return { error, ms: performance.now() - started };
  } finally {
    log.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

/** Every number in the report's totals and rows is finite (a NaN would arrive as null in JSON). */
function expectFiniteReport(report: Record<string, unknown>): void {
  const totals = report.totals as Record<string, unknown>;
  for (const [key, v] of Object.entries(totals)) expect(Number.isFinite(v), `totals.${key} = ${v}`).toBe(true);
  for (const row of report.layers as Record<string, unknown>[]) {
    for (const key of ['params', 'macs', 'flops', 'output_bytes', 'weight_bytes']) expect(Number.isFinite(row[key]), `${row.name}.${key} = ${row[key]}`).toBe(true);
    expect((row.output_shape as unknown[]).every((d) => Number.isInteger(d) && (d as number) >= 0), `${row.name} output_shape ${JSON.stringify(row.output_shape)}`).toBe(true);
  }
}

/** Runs summary on `spec` and checks the outcome: a finite report or one NnxError line; never slower than `maxMs`. */
async function checkSummary(spec: unknown, maxMs = 3000, where?: RegExp): Promise<'ok' | 'refused'> {
  const text = JSON.stringify(spec);
  const r = await summary(text);
  expect(r.ms, `summary took ${r.ms.toFixed(0)} ms on ${text.slice(0, 200)}`).toBeLessThanOrEqual(maxMs);
  if (r.error !== undefined) {
    expectOneLineError(r.error, text);
    if (where) expect((r.error as Error).message).toMatch(where);
    return 'refused';
  }
  expectFiniteReport(r.report!);
  return 'ok';
}

const ARG_NAMES = [
  'in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'dilation', 'groups', 'bias', 'in_features', 'out_features',
  'num_features', 'normalized_shape', 'num_groups', 'num_channels', 'eps', 'hidden_size', 'input_size', 'num_layers', 'batch_first',
  'bidirectional', 'embed_dim', 'num_heads', 'num_embeddings', 'embedding_dim', 'dim', 'start_dim', 'end_dim', 'p', 'output_size',
  'shape', 'dims', 'index', 'negative_slope', 'patch_size', 'num_experts', 'top_k', 'heads', 'padding_idx', 'ceil_mode',
];

const layerTypes = fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...knownLayerTypes()) }, { weight: 1, arbitrary: hostileText });

/** A random layer: a known (or hostile) type with a few arguments of random and hostile values, sometimes a hostile name. */
const randomLayer = (children: fc.Arbitrary<unknown[]> | null) =>
  fc.record(
    {
      type: layerTypes,
      name: hostileText,
      args: fc.dictionary(fc.constantFrom(...ARG_NAMES), hostileValue, { maxKeys: 4 }),
      layers: children ?? fc.constant(undefined),
    },
    { requiredKeys: ['type', 'args'] },
  ).map(({ args, ...rest }) => ({ ...rest, ...args }));

const randomShape = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 5 }) },
  { weight: 1, arbitrary: fc.array(fc.oneof(hostileNumber, wrongKind), { maxLength: 5 }) },
);

const SMALL_ZOO = ['lenet5', 'fashion_cnn', 'fashion_vit', 'lstm_lm', 'gru_classifier', 'transformer_encoder', 'gcn_karate', 'gat_karate', 'sage_karate'];

/** Every path to a leaf value or object key inside a JSON value. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  if (prefix.length) out.push(prefix);
  return out;
}

/** A copy of `value` with the element at `path` replaced (or removed when `replacement` is `REMOVE`). */
function mutate(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (replacement === REMOVE) {
    if (Array.isArray(at)) at.splice(last as number, 1);
    else delete at[last];
  } else at[last] = replacement;
  return copy;
}
const REMOVE = Symbol('remove');

const zooSpecs = Object.fromEntries(SMALL_ZOO.map((name) => {
  const { weights: _weights, ...spec } = zooModel(name) as unknown as Record<string, unknown>;
  return [name, spec];
}));

describe('fuzz: ModelSpec parser and nnx summary', () => {
  test('random layer lists with hostile arguments and names: a finite report or one NnxError line', async () => {
    const outcomes = { ok: 0, refused: 0 };
    const spec = fc.record({
      input: randomShape,
      layers: fc.array(randomLayer(fc.array(randomLayer(null), { minLength: 0, maxLength: 3 })), { minLength: 0, maxLength: 6 }),
    }, { requiredKeys: ['layers'] });
    await fc.assert(fc.asyncProperty(spec, async (s) => void outcomes[await checkSummary(s)]++), { seed: 1701, numRuns: 400 });
    expect(outcomes.ok + outcomes.refused).toBe(400);
  });

  test('zoo specs with one value replaced by a hostile one (or removed): a finite report or one NnxError line that starts with the field or the layer path', async () => {
    const outcomes = { ok: 0, refused: 0 };
    const mutation = fc.constantFrom(...SMALL_ZOO).chain((name) => {
      const all = paths(zooSpecs[name]);
      return fc.record({
        name: fc.constant(name),
        path: fc.constantFrom(...all),
        replacement: fc.oneof({ weight: 8, arbitrary: hostileValue }, { weight: 1, arbitrary: fc.constant(REMOVE) }),
      });
    });
    await fc.assert(fc.asyncProperty(mutation, async ({ name, path, replacement }) => {
      // The message starts where the problem is: a top-level field ("spec: input …") or a layer's path and type.
      const outcome = await checkSummary(mutate(zooSpecs[name], path, replacement), 3000, /^(spec: |layer ")/);
      outcomes[outcome]++;
    }), { seed: 1702, numRuns: 400 });
    expect(outcomes.refused).toBeGreaterThan(50);
  });

  test('Sequential and Residual nested up to 250 deep: answered within the time bound', async () => {
    const nest = fc.record({ depth: fc.integer({ min: 1, max: 250 }), kinds: fc.array(fc.constantFrom('Sequential', 'Residual'), { minLength: 1, maxLength: 4 }), features: fc.integer({ min: 1, max: 6 }) });
    await fc.assert(fc.asyncProperty(nest, async ({ depth, kinds, features }) => {
      let layers: unknown[] = [{ type: 'Linear', in_features: features, out_features: features }];
      for (let d = 0; d < depth; d++) {
        const type = kinds[d % kinds.length];
        layers = [type === 'Residual' ? { type, body: layers } : { type, layers }];
      }
      expect(await checkSummary({ input: [2, features], layers }, 5000)).toBe('ok');
    }), { seed: 1703, numRuns: 12 });
  });

  test('huge sizes (2^31 and past it, up to 2^53): a finite report or a refusal, never an allocation or a hang', async () => {
    const huge = fc.oneof(fc.constantFrom(2 ** 31 - 1, 2 ** 31, 2 ** 32 + 1, 2 ** 40, 2 ** 53 - 1), fc.integer({ min: 1, max: 2 ** 31 }));
    const spec = fc.record({ n: huge, c: huge, h: huge, o: huge, kind: fc.constantFrom('conv', 'linear', 'embedding', 'lstm', 'attention') }).map(({ n, c, h, o, kind }) => {
      if (kind === 'conv') return { input: [n, c, h, h], layers: [{ type: 'Conv2d', in_channels: c, out_channels: o, kernel_size: 3 }, { type: 'ReLU' }] };
      if (kind === 'linear') return { input: [n, c], layers: [{ type: 'Linear', in_features: c, out_features: o }] };
      if (kind === 'embedding') return { input: [n, h], layers: [{ type: 'Embedding', num_embeddings: c, embedding_dim: o }] };
      if (kind === 'lstm') return { input: [h, n, c], layers: [{ type: 'LSTM', input_size: c, hidden_size: o }] };
      return { input: [h, n, o], layers: [{ type: 'MultiheadAttention', embed_dim: o, num_heads: 1 }] };
    });
    await fc.assert(fc.asyncProperty(spec, async (s) => void (await checkSummary(s))), { seed: 1704, numRuns: 100 });
  });

  test('nnx summary --print on random printouts (hostile class names, arguments and nesting): finite counts or one NnxError line', () => {
    const className = fc.oneof(fc.constantFrom(...knownLayerTypes(), 'constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'NonDynamicallyQuantizableLinear'), hostileText);
    const argValue = fc.oneof(fc.integer({ min: -2, max: 9 }).map(String), fc.constantFrom('True', 'False', 'None', '(3, 3)', "'same'", '1e309', 'nan', '2147483648', '(1,', ')'), hostileText);
    const argList = fc.array(fc.tuple(fc.constantFrom(...ARG_NAMES, 'eps', 'momentum', 'affine'), argValue), { maxLength: 3 }).map((args) => args.map(([k, v]) => `${k}=${v}`).join(', '));
    const leaf = fc.tuple(className, argList).map(([c, a]) => `${c}(${a})`);
    const module: fc.Memo<string> = fc.memo((depth) => depth <= 1 ? leaf : fc.oneof(
      { weight: 3, arbitrary: leaf },
      { weight: 1, arbitrary: fc.tuple(className, fc.array(module(depth - 1), { minLength: 1, maxLength: 3 })).map(([c, children]) => `${c}(\n${children.map((ch, i) => `(${i}): ${ch}`).join('\n')}\n)`) },
    ));
    const printout = fc.tuple(className, fc.array(fc.tuple(fc.oneof(fc.constantFrom('fc1', 'conv', '0'), hostileText), module(3)), { minLength: 1, maxLength: 4 }))
      .map(([top, children]) => `${top}(\n${children.map(([n, m]) => `  (${n}): ${m}`).join('\n')}\n)`);
    fc.assert(fc.property(printout, fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 4 }), (text, input) => {
      const { value, error } = timed(() => summarizeTorchPrint(text, input), 2000, text.slice(0, 200));
      if (error !== undefined) return expectOneLineError(error, text);
      expect(Number.isFinite(value!.params), `params ${value!.params} for ${text}`).toBe(true);
      for (const c of value!.children) expect(Number.isFinite(c.params), `${c.name} params ${c.params}`).toBe(true);
      if (value!.summary) expectFiniteReport(value!.summary as unknown as Record<string, unknown>);
    }), { seed: 1706, numRuns: 300 });
  });

  test('the Builder\'s argument table answers any type name with a list (prototype names included)', () => {
    fc.assert(fc.property(layerTypes, fc.constantFrom('constructor', 'toString', '__proto__', 'valueOf'), (type, protoName) => {
      for (const t of [type, protoName]) {
        const args = argDefaults(t);
        expect(Array.isArray(args), `argDefaults(${JSON.stringify(t)})`).toBe(true);
        for (const a of args) expect(typeof a.name).toBe('string');
      }
    }), { seed: 1707, numRuns: 100 });
  });

  test('random JSON and random text as a spec file: a ModelSpec or one NnxError line', () => {
    const text = fc.oneof(fc.json({ maxDepth: 4 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.constantFrom('{"input": [1, NaN], "layers": []}', '{"input": [1', '', 'null', '[]', '{"input": [1], "layers": [{"type": "Linear", "in_features": Infinity}]}'));
    fc.assert(fc.property(text, (t) => {
      try {
        parseModelSpec(t, 'fuzz.json');
      } catch (error) {
        expectOneLineError(error, t);
      }
    }), { seed: 1705, numRuns: 400 });
  });
});

/**
 * Exhibit "fp16-overflow": an unnormalized stack whose activations grow layer by layer passes
 * float16's largest value (65,504) although float32 holds them; the same stack with LayerNorm
 * after every Linear stays within a few units. The GPU computes in float32; every layer output is
 * read back and each value counted that float16 rounding would turn into ±inf (|x| ≥ 65,520).
 */
import type { LayerSpec, ModelSpec } from '../../analysis/model_spec.ts';
import type { GpuRuntime } from '../../kernels/runtime.ts';
import { diagnoseSide, exhibitPair, type MuseumSide, type MuseumVerdict } from './exhibit.ts';

/** Largest finite float16. */
export const FLOAT16_MAX = 65504;
/** Smallest magnitude that rounds to ±inf in float16 (round to nearest even: halfway to 2^16). */
export const FLOAT16_OVERFLOW = 65520;

const DEPTH = 10;
const WIDTH = 24;

/** `DEPTH` Linear(24, 24) + ReLU with weights N(0, 1) (gain ≈ √(24/2) ≈ 3.5 per layer), optionally LayerNorm after each Linear. */
export function growingStack(normalized: boolean): ModelSpec {
  const layers: LayerSpec[] = [];
  for (let i = 0; i < DEPTH; i++) {
    layers.push({ type: 'Linear', name: `fc${i}`, in_features: WIDTH, out_features: WIDTH });
    if (normalized) layers.push({ type: 'LayerNorm', name: `norm${i}`, normalized_shape: WIDTH });
    layers.push({ type: 'ReLU', name: `act${i}` });
  }
  layers.push({ type: 'Linear', name: 'head', in_features: WIDTH, out_features: 10 });
  return { name: normalized ? 'stack_layernorm' : 'stack_unnormalized', input: [32, WIDTH], layers, init: { scheme: 'normal', std: 1 } };
}

async function side(rt: GpuRuntime, normalized: boolean): Promise<MuseumSide> {
  const spec = growingStack(normalized);
  const { side: run, last } = await diagnoseSide(rt, spec, 1, { optimizer: { type: 'sgd', lr: 0.01 } }, () => false, true);
  const rows = last.kept!.map((k) => {
    let overflow = 0;
    let maxAbs = 0;
    for (const v of k.output.data) {
      const a = Math.abs(v);
      if (a >= FLOAT16_OVERFLOW) overflow++;
      if (a > maxAbs) maxAbs = a;
    }
    return { name: k.name, type: k.type, max_abs: maxAbs, float16_overflow: overflow, values: k.output.data.length };
  });
  const first = rows.find((row) => row.float16_overflow > 0);
  const total = rows.reduce((s, row) => s + row.float16_overflow, 0);
  const overflow: MuseumVerdict[] = first ? [{
    kind: 'overflow', layer: first.name,
    message: `${first.name} (${first.type}) outputs values up to ${first.max_abs.toExponential(3)}, past float16's largest ${FLOAT16_MAX}: ${first.float16_overflow} of its ${first.values} values would be ±inf in float16; ${total} values over all layers (the largest ${Math.max(...rows.map((row) => row.max_abs)).toExponential(3)})`,
  }] : [];
  return { spec, verdicts: [...overflow, ...run.verdicts], evidence: { ...run.evidence, float16_max: FLOAT16_MAX, float16_overflow_values: total, layers: rows } };
}

export const fp16Overflow = exhibitPair('fp16-overflow', 'Float16 overflow of activations',
  `float16 holds at most ${FLOAT16_MAX}. ${DEPTH} Linear + ReLU layers whose weights (N(0, 1)) multiply the signal by about 3.5 each reach it; float32 still holds the values, a float16 (mixed-precision) run would turn them into inf. LayerNorm after every Linear keeps each layer's output near unit scale.`,
  side);

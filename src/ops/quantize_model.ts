/**
 * Post-training quantization of a whole model, simulated on the GPU: the model runs forward in
 * float32, then again with its weights and every layer's output fake-quantized (int8) or rounded
 * to float16/bfloat16, each by the same WGSL kernels `nnx run` exposes. What it measures on real
 * Fashion-MNIST images: per-layer output error against float32 (max abs, relative RMS, SQNR), the
 * histograms of weights and activations with their clipping ranges, the model's size per scheme
 * and the test-accuracy drop.
 *
 * The int8 schemes follow PyTorch's eager post-training static quantization with MinMaxObserver:
 * weights of Conv2d and Linear qint8 symmetric (per tensor, or per output channel for
 * int8-per-channel), every layer output quint8 affine from observers calibrated on N training
 * images; biases, BatchNorm and the model input stay float32 (BatchNorm is not folded first).
 * float16/bfloat16 round every parameter, buffer and layer output, as `model.half()` keeps
 * activations in half precision; the input stays float32.
 */
import { InputError } from '../analysis/errors.ts';
import type { ModelSpec } from '../analysis/model_spec.ts';
import {
  MinMaxObserver, PerChannelMinMaxObserver, type Observer, type QParams,
} from '../analysis/quant_observers.ts';
import { errorStats, histogram, type Histogram } from '../analysis/quant_stats.ts';
import { numel } from '../analysis/tensor.ts';
import { gatherBatch, scoreOutputs, type SampleDataset } from '../data/dataset.ts';
import { DataFeeder, fitSpecToDataset } from '../data/training.ts';
import { fakeQuantizeForward, type FakeQuantizeSpec } from '../kernels/fake_quantize.ts';
import { floatRoundTrip } from '../kernels/float_cast.ts';
import type { GpuRuntime, GpuTensor } from '../kernels/runtime.ts';
import { Executor, type AfterLayerHook } from './executor/executor.ts';
import type { ParsedTensor } from './spec.ts';

export const QUANT_SCHEMES = ['int8', 'int8-per-channel', 'fp16', 'bf16'] as const;
export type QuantScheme = (typeof QUANT_SCHEMES)[number];

/** Layer types whose `weight` is stored as int8 codes by the int8 schemes. */
const QUANTIZED_WEIGHT_LAYERS = new Set(['Conv2d', 'Linear']);

export interface QuantizeOptions {
  /** Each scheme runs after the same training, calibration and float32 pass. */
  schemes: QuantScheme[];
  /** Training images the activation observers see (int8 schemes). */
  calibrate: number;
  /** Test images scored for accuracy (the first per-layer batch included). */
  evalImages: number;
  /** Adam steps on Fashion-MNIST before quantizing, when no weights are given. */
  trainSteps: number;
  batch: number;
  /** A state_dict by PyTorch names (skips training). */
  weights?: Record<string, ParsedTensor>;
  seed?: number;
  bins?: number;
}

/** How one tensor was quantized: its scale(s) and zero point(s) (int8; null for the float formats). */
export interface TensorQuantization {
  name: string;
  shape: number[];
  scale: number[] | null;
  zero_point: number[] | null;
  /** max |w_q − w| over the tensor. */
  max_abs_error: number;
  histogram: Histogram;
}

/** One layer: its output's error against float32 on the first test batch, its activation quantizer and its weights. */
export interface QuantLayerRow {
  name: string;
  type: string;
  output_shape: number[];
  max_abs_error: number;
  /** ‖y_q − y‖ / ‖y‖. */
  relative_rms_error: number;
  /** 10·log10(‖y‖² / ‖y_q − y‖²); Infinity when equal. */
  sqnr_db: number;
  activation: TensorQuantization;
  weights: TensorQuantization[];
}

/** One scheme's result: test accuracy against float32 and the per-layer rows. */
export interface SchemeResult {
  scheme: QuantScheme;
  accuracy: { float32: number; quantized: number; drop: number };
  layers: QuantLayerRow[];
}

/** What `nnx quantize --json` prints. */
export interface QuantizeReport {
  model: string;
  data: { description: string; calibration_images: number; eval_images: number; per_layer_images: number };
  training: { steps: number; final_loss: number | null; wall_ms: number } | { weights: 'given' };
  /** Bytes of every parameter and buffer stored per scheme (int8: codes plus a float32 scale and int32 zero point per tensor or channel). */
  size_bytes: Record<'fp32' | QuantScheme, number>;
  schemes: SchemeResult[];
  wall_ms: number;
}

/** The kernel's view of a tensor quantized with `q`: channels along axis 0 (weights per channel) or one per tensor. */
function kernelSpec(q: QParams, shape: number[]): FakeQuantizeSpec {
  const channels = q.scale.length;
  return { scale: q.scale, zeroPoint: q.zero_point, quantMin: q.quant_min, quantMax: q.quant_max, channels, inner: numel(shape) / channels };
}

/** Runs the fake-quant (or cast) kernel on `x`, returning a new tensor; the codes and mask are freed after submit. */
async function quantizeOnGpu(rt: GpuRuntime, scheme: QuantScheme, x: GpuTensor, q: QParams | null): Promise<GpuTensor> {
  const output = rt.tensor('quantize.output', x.shape);
  if (scheme === 'fp16' || scheme === 'bf16') {
    await floatRoundTrip(rt, scheme === 'fp16' ? 'float16' : 'bfloat16', x, output);
    return output;
  }
  const codes = rt.tensor('quantize.q', x.shape);
  const mask = rt.tensor('quantize.mask', x.shape);
  await fakeQuantizeForward(rt, x, output, codes, mask, kernelSpec(q!, x.shape));
  rt.releaseAfterSubmit(codes, mask);
  return output;
}

/** The float range a quantizer represents: codes [qmin, qmax] back to floats (±max finite for the float formats). */
function clipRange(scheme: QuantScheme, q: QParams | null): [number, number] {
  if (scheme === 'fp16') return [-65504, 65504];
  if (scheme === 'bf16') return [-3.3895313892515355e38, 3.3895313892515355e38];
  const lo = Math.min(...q!.scale.map((s, c) => (q!.quant_min - q!.zero_point[c]) * s));
  const hi = Math.max(...q!.scale.map((s, c) => (q!.quant_max - q!.zero_point[c]) * s));
  return [lo, hi];
}

/** Bytes of the model's tensors under each scheme. */
function sizes(tensors: { shape: number[]; quantized: boolean }[]): QuantizeReport['size_bytes'] {
  const all = tensors.reduce((n, t) => n + numel(t.shape), 0);
  const int8 = (perChannel: boolean) => tensors.reduce((n, t) => n + (t.quantized ? numel(t.shape) + 8 * (perChannel ? t.shape[0] : 1) : 4 * numel(t.shape)), 0);
  return { fp32: 4 * all, int8: int8(false), 'int8-per-channel': int8(true), fp16: 2 * all, bf16: 2 * all };
}

/** Batches of `count` sample indices from `split` (the last batch padded with -1, or, when `repeat`, with the batch's own images). */
function batchesOf(count: number, batch: number, repeat: boolean): Int32Array[] {
  const out: Int32Array[] = [];
  for (let from = 0; from < count; from += batch) {
    const real = Math.min(batch, count - from);
    out.push(Int32Array.from({ length: batch }, (_, i) => (i < real ? from + i : repeat ? from + (i % real) : -1)));
  }
  return out;
}

/**
 * Trains (or loads) `source` on Fashion-MNIST, calibrates, and measures the quantized model
 * against float32 on the GPU. `ds` is Fashion-MNIST (the shipped subset or the full set).
 */
export async function quantizeModel(rt: GpuRuntime, source: ModelSpec, ds: SampleDataset, options: QuantizeOptions): Promise<QuantizeReport> {
  const started = performance.now();
  const { batch } = options;
  if (options.schemes.length === 0) throw new InputError('quantize: no scheme given');
  const bins = options.bins ?? 32;
  if (options.calibrate > ds.train.count) throw new InputError(`quantize: --calibrate ${options.calibrate} is more than the ${ds.train.count} training images of ${ds.name}`);
  if (options.evalImages > ds.test.count) throw new InputError(`quantize: --eval ${options.evalImages} is more than the ${ds.test.count} test images of ${ds.name}`);
  if (options.evalImages < batch) throw new InputError(`quantize: --eval ${options.evalImages} must be at least the batch ${batch} (the per-layer errors use the first full batch)`);
  const { spec, layout } = fitSpecToDataset({ ...source, optimizer: source.optimizer ?? { type: 'adam', lr: 1e-3 } }, ds, batch);
  const ex = await Executor.create(rt, spec, { seed: options.seed, batch, flowStats: false });
  try {
    let training: QuantizeReport['training'];
    if (options.weights) {
      ex.loadWeights(options.weights);
      training = { weights: 'given' };
    } else {
      const trainStarted = performance.now();
      const feeder = new DataFeeder(ds, layout, batch, ex.seed);
      let finalLoss: number | null = null;
      for (let k = 0; k < options.trainSteps; k++) {
        feeder.beforeStep(ex, k === 0);
        finalLoss = (await ex.step()).loss;
      }
      training = { steps: options.trainSteps, final_loss: finalLoss, wall_ms: performance.now() - trainStarted };
    }
    const anyInt8 = options.schemes.some((scheme) => scheme.startsWith('int8'));

    // Calibration: every layer output of the float model on N training images feeds a MinMaxObserver.
    const observers = new Map<string, Observer>();
    if (anyInt8) {
      const observe: AfterLayerHook = async (layer, output) => {
        let o = observers.get(layer.path);
        if (!o) observers.set(layer.path, (o = new MinMaxObserver({ dtype: 'quint8', qscheme: 'per_tensor_affine' })));
        o.observe({ shape: output.shape, data: await rt.readFloat(output) });
        return null;
      };
      for (const indices of batchesOf(options.calibrate, batch, true)) {
        const { input, target } = gatherBatch(ds, ds.train, indices, layout);
        await ex.evaluate(input, target, observe);
      }
    }
    const activationQparams = new Map([...observers].map(([path, o]) => [path, o.calculateQparams()]));

    // Float32: accuracy on the test images, and every layer output of the first batch.
    const evalBatches = batchesOf(options.evalImages, batch, false);
    type LayerOutputs = Map<string, { type: string; shape: number[]; data: Float32Array }>;
    const floatOutputs: LayerOutputs = new Map();
    const record = (into: LayerOutputs): AfterLayerHook => async (layer, output) => {
      into.set(layer.path, { type: layer.type, shape: [...output.shape], data: await rt.readFloat(output) });
      return null;
    };
    const score = async (hook: (first: boolean) => AfterLayerHook | undefined): Promise<number> => {
      let correct = 0;
      let counted = 0;
      for (const [b, indices] of evalBatches.entries()) {
        const { input, target } = gatherBatch(ds, ds.test, indices, layout);
        const { output } = await ex.evaluate(input, target, hook(b === 0));
        const s = scoreOutputs(output, target, 'classification');
        correct += s.correct;
        counted += s.count;
      }
      return correct / counted;
    };
    const floatAccuracy = await score((first) => (first ? record(floatOutputs) : undefined));

    const host = await ex.readParams();
    const layerOf = new Map(ex.params.map((p) => [p.name, p.layer]));
    const tensors = Object.entries(host).map(([name, data]) => {
      const param = ex.params.find((p) => p.name === name);
      const layer = layerOf.get(name) ?? name.slice(0, name.lastIndexOf('.'));
      const isWeight = !!param && param.local === 'weight';
      return { name, data, layer, isWeight, shape: param ? param.shape : [data.length], quantized: isWeight && QUANTIZED_WEIGHT_LAYERS.has(ex.layerSpec(layer)?.type ?? '') };
    });

    const schemes: SchemeResult[] = [];
    for (const scheme of options.schemes) {
      const int8 = scheme.startsWith('int8');
      // Weights (and for the float formats every parameter and buffer) through the kernels on the GPU, from the float32 values.
      const weightRows = new Map<string, TensorQuantization[]>();
      for (const t of tensors) {
        if (int8 && !t.quantized) {
          ex.setParam(t.name, t.data);
          continue;
        }
        let q: QParams | null = null;
        if (int8) {
          const observer = scheme === 'int8'
            ? new MinMaxObserver({ dtype: 'qint8', qscheme: 'per_tensor_symmetric' })
            : new PerChannelMinMaxObserver({ dtype: 'qint8', qscheme: 'per_channel_symmetric', ch_axis: 0 });
          observer.observe({ shape: t.shape, data: t.data });
          q = observer.calculateQparams();
        }
        const x = rt.tensor(`quantize.${t.name}`, t.shape, 'float32', t.data);
        const y = await quantizeOnGpu(rt, scheme, x, q);
        const quantizedData = await rt.readFloat(y);
        rt.release(x, y);
        ex.setParam(t.name, quantizedData);
        if (!t.isWeight) continue;
        const row: TensorQuantization = {
          name: t.name, shape: t.shape, scale: q?.scale ?? null, zero_point: q?.zero_point ?? null,
          max_abs_error: errorStats(t.data, quantizedData).max_abs_error,
          histogram: histogram(t.data, bins, clipRange(scheme, q)),
        };
        weightRows.set(t.layer, [...(weightRows.get(t.layer) ?? []), row]);
      }

      // Quantized: every layer output fake-quantized (or rounded) on the GPU before the next layer reads it.
      const quantOutputs: LayerOutputs = new Map();
      const quantizeAndRecord = (first: boolean): AfterLayerHook => async (layer, output) => {
        const replaced = await quantizeOnGpu(rt, scheme, output, int8 ? activationQparams.get(layer.path)! : null);
        if (first) await record(quantOutputs)(layer, replaced);
        return replaced;
      };
      const quantAccuracy = await score(quantizeAndRecord);

      const layers: QuantLayerRow[] = [...floatOutputs].map(([path, f]) => {
        const q = quantOutputs.get(path)!;
        const qparams = int8 ? activationQparams.get(path)! : null;
        const error = errorStats(f.data, q.data);
        return {
          name: path, type: f.type, output_shape: f.shape, ...error,
          activation: {
            name: `${path} output`, shape: f.shape, scale: qparams?.scale ?? null, zero_point: qparams?.zero_point ?? null,
            max_abs_error: error.max_abs_error,
            histogram: histogram(f.data, bins, clipRange(scheme, qparams)),
          },
          weights: weightRows.get(path) ?? [],
        };
      });
      schemes.push({ scheme, accuracy: { float32: floatAccuracy, quantized: quantAccuracy, drop: floatAccuracy - quantAccuracy }, layers });
    }
    return {
      model: source.name ?? 'model',
      data: { description: ds.description, calibration_images: anyInt8 ? options.calibrate : 0, eval_images: options.evalImages, per_layer_images: batch },
      training,
      size_bytes: sizes(tensors),
      schemes,
      wall_ms: performance.now() - started,
    };
  } finally {
    ex.dispose();
  }
}

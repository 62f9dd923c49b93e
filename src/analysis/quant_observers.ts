/**
 * PyTorch's min/max observers (torch.ao.quantization.observer, 1.13): they watch tensors, keep a
 * running minimum and maximum (per tensor or per channel; plain or as a moving average) and choose
 * a scale and zero point for quint8/qint8, affine or symmetric. Every float32 step PyTorch takes
 * is rounded with Math.fround, so the chosen parameters equal PyTorch's bit for bit.
 */
import { InputError } from './errors.ts';
import { roundHalfEven } from './reference/quantize.ts';
import { channelView, checkAxis } from './quant_params.ts';
import { formatShape, numel } from './tensor.ts';

export type QuantDtype = 'quint8' | 'qint8';
export type QScheme = 'per_tensor_affine' | 'per_tensor_symmetric' | 'per_channel_affine' | 'per_channel_symmetric';

/** Constructor options, PyTorch's keyword arguments. */
export interface ObserverOptions {
  dtype?: QuantDtype;
  qscheme?: QScheme;
  reduce_range?: boolean;
  quant_min?: number;
  quant_max?: number;
  /** Moving-average observers only (PyTorch's default 0.01). */
  averaging_constant?: number;
  /** Per-channel observers only (default 0). */
  ch_axis?: number;
}

/** The chosen quantization parameters: one entry per tensor or per channel. */
export interface QParams {
  scale: number[];
  zero_point: number[];
  quant_min: number;
  quant_max: number;
}

/** torch.finfo(torch.float32).eps, the smallest scale an observer chooses. */
export const FLOAT32_EPS = 2 ** -23;

/** PyTorch's calculate_qmin_qmax: the default or customized code range for a dtype (reduce_range halves it). */
export function quantRange(dtype: QuantDtype, reduceRange: boolean, quantMin?: number, quantMax?: number): [number, number] {
  let lo: number;
  let hi: number;
  if (quantMin !== undefined && quantMax !== undefined) {
    if (!(quantMin <= 0 && 0 <= quantMax)) throw new InputError(`observer: the quantization range [${quantMin}, ${quantMax}] must include 0`);
    if (quantMin >= quantMax) throw new InputError(`observer: quant_min ${quantMin} must be less than quant_max ${quantMax}`);
    const length = quantMax - quantMin + 1;
    if (length > 256) throw new InputError(`observer: the quantization range [${quantMin}, ${quantMax}] has ${length} codes, more than 8 bits (256)`);
    [lo, hi] = dtype === 'qint8' ? [Math.floor(-length / 2), Math.floor(length / 2) - 1] : [0, length - 1];
  } else {
    [lo, hi] = dtype === 'qint8' ? [-128, 127] : [0, 255];
  }
  return reduceRange ? [Math.floor(lo / 2), Math.floor(hi / 2)] : [lo, hi];
}

/** A min/max observer; the four PyTorch classes below differ only in how they update and what they reduce over. */
class MinMaxObserverBase {
  readonly dtype: QuantDtype;
  readonly qscheme: QScheme;
  readonly quantMin: number;
  readonly quantMax: number;
  private readonly customRange: boolean;
  /** Running minima and maxima (float32 values); empty until the first observation. */
  minVal: number[] = [];
  maxVal: number[] = [];

  constructor(
    options: ObserverOptions,
    defaultScheme: QScheme,
    private readonly averaging: number | null,
    private readonly chAxis: number | null,
  ) {
    this.dtype = options.dtype ?? 'quint8';
    this.qscheme = options.qscheme ?? defaultScheme;
    const perChannel = this.qscheme.startsWith('per_channel');
    if (perChannel !== (chAxis !== null)) throw new InputError(`observer: qscheme ${this.qscheme} needs a ${chAxis === null ? 'per-tensor' : 'per-channel'} observer`);
    this.customRange = options.quant_min !== undefined && options.quant_max !== undefined;
    [this.quantMin, this.quantMax] = quantRange(this.dtype, options.reduce_range ?? false, options.quant_min, options.quant_max);
  }

  /** Records one tensor's minimum and maximum (per channel along ch_axis). */
  observe(x: { shape: number[]; data: ArrayLike<number> }): void {
    if (x.data.length !== numel(x.shape)) throw new InputError(`observer: ${x.data.length} values for shape ${formatShape(x.shape)}`);
    if (x.data.length === 0) return;
    const [lo, hi] = this.extremes(x);
    if (this.minVal.length === 0) {
      this.minVal = lo;
      this.maxVal = hi;
      return;
    }
    if (this.averaging === null) {
      this.minVal = this.minVal.map((m, i) => Math.min(m, lo[i]));
      this.maxVal = this.maxVal.map((m, i) => Math.max(m, hi[i]));
      return;
    }
    const c = Math.fround(this.averaging);
    const move = (old: number, now: number) => Math.fround(old + Math.fround(c * Math.fround(now - old)));
    this.minVal = this.minVal.map((m, i) => move(m, lo[i]));
    this.maxVal = this.maxVal.map((m, i) => move(m, hi[i]));
  }

  private extremes(x: { shape: number[]; data: ArrayLike<number> }): [number[], number[]] {
    if (this.chAxis === null) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < x.data.length; i++) {
        const v = Math.fround(x.data[i]);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      return [[lo], [hi]];
    }
    const axis = checkAxis('observer', this.chAxis, x.shape);
    const { channels, inner } = channelView(x.shape, axis);
    if (this.minVal.length > 0 && this.minVal.length !== channels) throw new InputError(`observer: x ${formatShape(x.shape)} has ${channels} channels along axis ${axis}, earlier tensors had ${this.minVal.length}`);
    const lo = new Array<number>(channels).fill(Infinity);
    const hi = new Array<number>(channels).fill(-Infinity);
    for (let i = 0; i < x.data.length; i++) {
      const c = Math.floor(i / inner) % channels;
      const v = Math.fround(x.data[i]);
      if (v < lo[c]) lo[c] = v;
      if (v > hi[c]) hi[c] = v;
    }
    return [lo, hi];
  }

  /** PyTorch's _calculate_qparams: scale and zero point from the running min/max; (1, 0) before any observation. */
  calculateQparams(): QParams {
    const range = { quant_min: this.quantMin, quant_max: this.quantMax };
    if (this.minVal.length === 0) return { scale: [1], zero_point: [0], ...range };
    const qmin = this.quantMin;
    const qmax = this.quantMax;
    const symmetric = this.qscheme.endsWith('symmetric');
    const scale: number[] = [];
    const zeroPoint: number[] = [];
    this.minVal.forEach((min, i) => {
      const minNeg = Math.min(min, 0);
      const maxPos = Math.max(this.maxVal[i], 0);
      if (symmetric) {
        const bound = Math.max(-minNeg, maxPos);
        scale.push(Math.max(Math.fround(bound / Math.fround((qmax - qmin) / 2)), FLOAT32_EPS));
        zeroPoint.push(this.dtype === 'quint8' ? (this.customRange ? Math.floor((qmin + qmax) / 2) : 128) : 0);
      } else {
        const s = Math.max(Math.fround(Math.fround(maxPos - minNeg) / (qmax - qmin)), FLOAT32_EPS);
        scale.push(s);
        zeroPoint.push(Math.min(Math.max(qmin - roundHalfEven(Math.fround(minNeg / s)), qmin), qmax));
      }
    });
    return { scale, zero_point: zeroPoint, ...range };
  }
}

/** `MinMaxObserver`: running min and max of every tensor seen (default quint8, per_tensor_affine). */
export class MinMaxObserver extends MinMaxObserverBase {
  constructor(options: ObserverOptions = {}) {
    super(options, 'per_tensor_affine', null, null);
  }
}

/** `MovingAverageMinMaxObserver`: min ← min + c·(min_now − min) after the first tensor (c = averaging_constant, 0.01). */
export class MovingAverageMinMaxObserver extends MinMaxObserverBase {
  constructor(options: ObserverOptions = {}) {
    super(options, 'per_tensor_affine', options.averaging_constant ?? 0.01, null);
  }
}

/** `PerChannelMinMaxObserver`: min and max per index of ch_axis (default per_channel_affine, axis 0). */
export class PerChannelMinMaxObserver extends MinMaxObserverBase {
  constructor(options: ObserverOptions = {}) {
    super(options, 'per_channel_affine', null, options.ch_axis ?? 0);
  }
}

/** `MovingAveragePerChannelMinMaxObserver`: the moving average per channel. */
export class MovingAveragePerChannelMinMaxObserver extends MinMaxObserverBase {
  constructor(options: ObserverOptions = {}) {
    super(options, 'per_channel_affine', options.averaging_constant ?? 0.01, options.ch_axis ?? 0);
  }
}

export type Observer = MinMaxObserverBase;

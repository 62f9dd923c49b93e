import type * as TF from '@tensorflow/tfjs-core';
import { currentNodeGpu } from '../kernels/adapter_node.ts';
import type { BenchCase } from '../ops/bench.ts';

type Tf = typeof TF;

/**
 * tfjs with @tensorflow/tfjs-backend-webgpu on Node's WebGPU: the Dawn instance our runtime
 * created (call GpuRuntime.create() first), so both libraries run on the same adapter. The union
 * package registers every gradient; the webgpu backend registers itself on import.
 */
export async function loadTfjsWebGpu(): Promise<Tf> {
  const gpu = currentNodeGpu();
  if (gpu) Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true });
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-webgpu');
  await tf.setBackend('webgpu');
  await tf.ready();
  return tf as unknown as Tf;
}

/** One peer call: encodes the work and returns the tensors to dispose afterwards. */
export type PeerCall = () => TF.Tensor[];

/** A peer implementation of a case, or why there is none. */
export type PeerCase = { call: PeerCall; inputs: TF.Tensor[]; note: string } | { unsupported: string };

function pair(value: unknown, fallback: number): [number, number] {
  if (value === undefined || value === null) return [fallback, fallback];
  return typeof value === 'number' ? [value, value] : [(value as number[])[0], (value as number[])[1] ?? (value as number[])[0]];
}

/** An NCHW shape as tfjs's NHWC. */
function nhwc(shape: number[]): [number, number, number, number] {
  return [shape[0], shape[2], shape[3], shape[1]];
}

/** `f` forward only, or forward and the gradients of every input for a random dy. */
function withBackward(tf: Tf, c: BenchCase, inputs: TF.Tensor[], f: (...xs: TF.Tensor[]) => TF.Tensor): PeerCall {
  if (!c.backward) return () => [f(...inputs)];
  const dy = tf.randomUniform(f(...inputs).shape, -1, 1);
  const grads = tf.grads((...xs: TF.Tensor[]) => f(...xs));
  return () => grads(inputs, dy);
}

/**
 * The same computation in tfjs (NHWC, its own kernels). Ops tfjs lacks are reported, not
 * approximated: grouped conv, the recurrent layers and the graph layers.
 */
export function tfjsCase(tf: Tf, c: BenchCase): PeerCase {
  const s = c.shapes;
  const rand = (shape: number[]) => tf.randomUniform(shape, -1, 1);
  switch (c.op) {
    case 'conv2d': {
      const groups = (c.attrs.groups as number | undefined) ?? 1;
      if (groups !== 1) return { unsupported: 'tfjs conv2d has no groups (depthwiseConv2d covers groups = channels only)' };
      if (typeof c.attrs.padding === 'string') return { unsupported: 'string padding not mapped' };
      const [o, i, kh, kw] = s.weight;
      const [ph, pw] = pair(c.attrs.padding, 0);
      const stride = pair(c.attrs.stride, 1);
      const dilation = pair(c.attrs.dilation, 1);
      const x = rand(nhwc(s.x)) as TF.Tensor4D;
      const w = rand([kh, kw, i, o]) as TF.Tensor4D;
      const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [ph, ph], [pw, pw], [0, 0]];
      const f = (xx: TF.Tensor, ww: TF.Tensor) => tf.conv2d(xx as TF.Tensor4D, ww as TF.Tensor4D, stride, pad, 'NHWC', dilation);
      return { call: withBackward(tf, c, [x, w], f as (...xs: TF.Tensor[]) => TF.Tensor), inputs: [x, w], note: 'tf.conv2d NHWC' };
    }
    case 'max_pool2d':
    case 'avg_pool2d': {
      const k = pair(c.attrs.kernel_size, 1);
      const stride = pair(c.attrs.stride, k[0]);
      const [p] = pair(c.attrs.padding, 0);
      const x = rand(nhwc(s.x)) as TF.Tensor4D;
      const pool = c.op === 'max_pool2d' ? tf.maxPool : tf.avgPool;
      const f = (xx: TF.Tensor) => pool(xx as TF.Tensor4D, k, stride, p);
      return { call: withBackward(tf, c, [x], f as (...xs: TF.Tensor[]) => TF.Tensor), inputs: [x], note: `tf.${c.op === 'max_pool2d' ? 'maxPool' : 'avgPool'} NHWC` };
    }
    case 'linear': {
      const x = rand(s.x) as TF.Tensor2D;
      const w = rand(s.weight) as TF.Tensor2D;
      const inputs: TF.Tensor[] = [x, w];
      if (s.bias) inputs.push(rand(s.bias));
      const f = (xx: TF.Tensor, ww: TF.Tensor, bb?: TF.Tensor) => {
        const y = tf.matMul(xx as TF.Tensor2D, ww as TF.Tensor2D, false, true);
        return bb ? tf.add(y, bb) : y;
      };
      return { call: withBackward(tf, c, inputs, f as (...xs: TF.Tensor[]) => TF.Tensor), inputs, note: 'tf.matMul(x, w, false, true) + b' };
    }
    case 'relu': {
      const x = rand(s.x);
      return { call: withBackward(tf, c, [x], (xx) => tf.relu(xx)), inputs: [x], note: 'tf.relu' };
    }
    case 'cross_entropy': {
      const [n, classes] = s.logits;
      const logits = rand(s.logits);
      const labels = tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => i % classes), 'int32'), classes);
      const f = (l: TF.Tensor) => tf.losses.softmaxCrossEntropy(labels, l);
      return { call: withBackward(tf, c, [logits], f), inputs: [logits, labels], note: 'tf.losses.softmaxCrossEntropy (one-hot labels)' };
    }
    case 'batch_norm': {
      const x = rand(nhwc(s.x)) as TF.Tensor4D;
      const scale = rand([s.x[1]]);
      const offset = rand([s.x[1]]);
      const f = (xx: TF.Tensor, sc: TF.Tensor, of: TF.Tensor) => {
        const { mean, variance } = tf.moments(xx, [0, 1, 2]);
        return tf.batchNorm(xx as TF.Tensor4D, mean, variance, of, sc, 1e-5);
      };
      return { call: withBackward(tf, c, [x, scale, offset], f as (...xs: TF.Tensor[]) => TF.Tensor), inputs: [x, scale, offset], note: 'tf.moments + tf.batchNorm (composite)' };
    }
    default:
      return { unsupported: `tfjs has no ${c.op} op` };
  }
}

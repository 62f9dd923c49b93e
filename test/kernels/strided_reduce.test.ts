/**
 * The strided gather/scatter and reduce-mean kernels (Select, Mean, time reversal, batch_first
 * transposes) against plain float64 loops, on odd shapes of rank 5 whose views need merging.
 */
import { describe, expect, test } from 'vitest';
import { mulberry32 } from '../../src/analysis/random.ts';
import { numel } from '../../src/analysis/tensor.ts';
import { reduceMean, reduceMeanBackward } from '../../src/kernels/reduce_mean.ts';
import { compactView, contiguousStrides, stridedGather, stridedScatter } from '../../src/kernels/strided_copy.ts';
import { expectTensorClose, useGpu } from './gpu_harness.ts';

const gpu = useGpu();
const random = (n: number, seed: number) => {
  const u = mulberry32(seed);
  return Float64Array.from({ length: n }, () => Math.fround(2 * u() - 1));
};
/** Row-major multi-index of flat index i. */
const unravel = (i: number, shape: number[]) => shape.map((_, k) => Math.floor(i / numel(shape.slice(k + 1))) % shape[k]);

describe('strided views', () => {
  test('compactView merges contiguous dimensions and drops size 1', () => {
    expect(compactView([2, 3, 4, 5, 1], contiguousStrides([2, 3, 4, 5, 1]), 4)).toEqual({ sizes: [1, 1, 1, 120], strides: [0, 0, 0, 1] });
    expect(compactView([2, 3, 4], [-12, 4, 1], 4)).toEqual({ sizes: [1, 1, 2, 12], strides: [0, 0, -12, 1] });
    expect(compactView([2, 3, 2, 5, 3], [6, 0, 3, 0, 1], 6)).toEqual({ sizes: [1, 2, 3, 2, 5, 3], strides: [0, 6, 0, 3, 0, 1] });
    expect(() => compactView([2, 2, 2, 2, 2], [1, 4, 16, 64, 256], 4)).toThrow(/needs 5 dimensions, the kernel walks 4/);
  });

  test('select(dim = -2, index = -1) of a rank-5 tensor and its scatter back into zeros', async () => {
    const rt = gpu();
    const shape = [2, 3, 5, 3, 7];
    const data = random(numel(shape), 1);
    const strides = contiguousStrides(shape);
    const view = { sizes: [2, 3, 5, 7], strides: [strides[0], strides[1], strides[2], strides[4]], offset: 2 * strides[3] };
    const x = rt.tensor('x', shape, 'float32', data);
    const y = rt.tensor('y', view.sizes);
    const back = rt.tensor('back', shape);
    await stridedGather(rt, x, y, view);
    await stridedScatter(rt, y, back, view, 2);
    const [got, scattered] = await rt.read([y, back]);
    const want = Array.from({ length: numel(view.sizes) }, (_, i) => {
      const [a, b, c, e] = unravel(i, view.sizes);
      return data[((((a * 3 + b) * 5 + c) * 3) + 2) * 7 + e];
    });
    expectTensorClose({ shape: view.sizes, data: Array.from(got) }, { shape: view.sizes, data: want }, 'select');
    const wantBack = Array.from(data, (v, i) => (unravel(i, shape)[3] === 2 ? 2 * v : 0));
    expectTensorClose({ shape, data: Array.from(scattered) }, { shape, data: wantBack }, 'scatter');
    rt.release(x, y, back);
  });

  test('mean over dims [1, 3] of [2, 3, 2, 5, 3] and its backward', async () => {
    const rt = gpu();
    const shape = [2, 3, 2, 5, 3];
    const dims = [1, 3];
    const outShape = [2, 2, 3];
    const data = random(numel(shape), 2);
    const want = new Float64Array(numel(outShape));
    data.forEach((v, i) => {
      const [a, , c, , e] = unravel(i, shape);
      want[(a * 2 + c) * 3 + e] += v / 15;
    });
    const g = random(numel(outShape), 3);
    const wantGrad = Array.from(data, (_, i) => {
      const [a, , c, , e] = unravel(i, shape);
      return g[(a * 2 + c) * 3 + e] / 15;
    });
    const x = rt.tensor('x', shape, 'float32', data);
    const y = rt.tensor('y', outShape);
    const gy = rt.tensor('gy', outShape, 'float32', g);
    const gx = rt.tensor('gx', shape);
    await reduceMean(rt, x, y, dims);
    await reduceMeanBackward(rt, gy, gx, dims);
    const [got, gotGrad] = await rt.read([y, gx]);
    expectTensorClose({ shape: outShape, data: Array.from(got) }, { shape: outShape, data: want }, 'mean');
    expectTensorClose({ shape, data: Array.from(gotGrad) }, { shape, data: wantGrad }, 'mean backward');
    rt.release(x, y, gy, gx);
  });
});

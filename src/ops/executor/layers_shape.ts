/**
 * Executor layers that reindex or reduce a tensor: Select (x.select(dim, index), any dim),
 * Mean (x.mean(dim, keepdim)) and AdaptiveAvgPool2d, each one small kernel forward and backward.
 */
import type { LayerNode } from '../../analysis/graph.ts';
import type { LayerSpec } from '../../analysis/model_spec.ts';
import { numel } from '../../analysis/tensor.ts';
import { adaptiveAvgPool2d, adaptiveAvgPool2dBackward, type AdaptivePoolDims } from '../../kernels/adaptive_avg_pool2d.ts';
import { reduceMean, reduceMeanBackward } from '../../kernels/reduce_mean.ts';
import { contiguousStrides, stridedGather, stridedScatter, type StridedView } from '../../kernels/strided_copy.ts';
import type { LayerImpl } from './layers.ts';

const normalize = (i: number, size: number) => (i < 0 ? i + size : i);

/** Select: the slice at `index` of dimension `dim` made contiguous; its gradient scatters back into zeros. */
export function selectImpl(node: LayerNode, layer: LayerSpec): LayerImpl {
  const inShape = node.inputShapes[0];
  const dim = normalize(layer.dim as number, inShape.length);
  const index = normalize(layer.index as number, inShape[dim]);
  const strides = contiguousStrides(inShape);
  const view: StridedView = {
    sizes: inShape.filter((_, k) => k !== dim),
    strides: strides.filter((_, k) => k !== dim),
    offset: index * strides[dim],
  };
  return {
    module: 'other',
    async forward(rt, [x]) {
      const output = rt.tensor('select.output', node.outputShape);
      await stridedGather(rt, x, output, view);
      return {
        output, scratch: [], trace: {}, updatedBuffers: {},
        async backward(gradOutput) {
          const gradX = rt.tensor('select.grad.x', inShape);
          await stridedScatter(rt, gradOutput, gradX, view);
          return { inputs: [gradX], params: {} };
        },
      };
    },
  };
}

/** Mean over `dim` (an int or a list, negative allowed); keepdim only changes the output shape. */
export function meanImpl(node: LayerNode, layer: LayerSpec): LayerImpl {
  const inShape = node.inputShapes[0];
  const dims = (Array.isArray(layer.dim) ? layer.dim : [layer.dim]).map((d) => normalize(d as number, inShape.length)).sort((a, b) => a - b);
  return {
    module: 'other',
    async forward(rt, [x]) {
      const output = rt.tensor('mean.output', node.outputShape);
      await reduceMean(rt, x, output, dims);
      return {
        output, scratch: [], trace: {}, updatedBuffers: {},
        async backward(gradOutput) {
          const gradX = rt.tensor('mean.grad.x', inShape);
          await reduceMeanBackward(rt, gradOutput, gradX, dims);
          return { inputs: [gradX], params: {} };
        },
      };
    },
  };
}

/** AdaptiveAvgPool2d on [N, C, H, W] or [C, H, W]; the output size comes from the analysis. */
export function adaptiveAvgPool2dImpl(node: LayerNode): LayerImpl {
  const inShape = node.inputShapes[0];
  const out = node.outputShape;
  const dims: AdaptivePoolDims = {
    planes: numel(inShape.slice(0, -2)), inHeight: inShape[inShape.length - 2], inWidth: inShape[inShape.length - 1],
    outHeight: out[out.length - 2], outWidth: out[out.length - 1],
  };
  return {
    module: 'other',
    async forward(rt, [x]) {
      const output = rt.tensor('adaptive_avg_pool2d.output', out);
      await adaptiveAvgPool2d(rt, x, output, dims);
      return {
        output, scratch: [], trace: {}, updatedBuffers: {},
        async backward(gradOutput) {
          const gradX = rt.tensor('adaptive_avg_pool2d.grad.x', inShape);
          await adaptiveAvgPool2dBackward(rt, gradOutput, gradX, dims);
          return { inputs: [gradX], params: {} };
        },
      };
    },
  };
}

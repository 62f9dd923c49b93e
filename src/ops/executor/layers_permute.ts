/**
 * Executor layer Permute (torch.permute made contiguous): one strided gather forward, the
 * inverse scatter backward.
 */
import type { LayerNode } from '../../analysis/graph.ts';
import type { LayerSpec } from '../../analysis/model_spec.ts';
import { contiguousStrides, stridedGather, stridedScatter, type StridedView } from '../../kernels/strided_copy.ts';
import type { LayerImpl } from './layers.ts';

/** Output index i reads the input at Σ index_k · stride_in[dims[k]]. */
export function permuteImpl(node: LayerNode, layer: LayerSpec): LayerImpl {
  const inShape = node.inputShapes[0];
  const rank = inShape.length;
  const dims = (layer.dims as number[]).map((d) => (d < 0 ? d + rank : d));
  const inStrides = contiguousStrides(inShape);
  const view: StridedView = { sizes: dims.map((d) => inShape[d]), strides: dims.map((d) => inStrides[d]), offset: 0 };
  return {
    module: 'other',
    async forward(rt, [x]) {
      const output = rt.tensor('permute.output', node.outputShape, x.dtype);
      await stridedGather(rt, x, output, view);
      return {
        output, scratch: [], trace: {}, updatedBuffers: {},
        async backward(gradOutput) {
          const gradX = rt.tensor('permute.grad.x', inShape);
          await stridedScatter(rt, gradOutput, gradX, view);
          return { inputs: [gradX], params: {} };
        },
      };
    },
  };
}

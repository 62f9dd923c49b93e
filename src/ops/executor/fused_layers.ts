/**
 * Chains of layers the executor runs as one layer on a step that records no per-layer values
 * (no flow statistics, no kept tensors, no evaluate hook): Conv2d → ReLU, Conv2d → ReLU →
 * MaxPool2d and ReLU → MaxPool2d. Each computes what its layers compute, with the same kernels
 * where it can (bitwise the same numbers), and skips the tensors only the chain's inside reads:
 * the ReLU runs in the conv's epilogue, its gradient in the pool's backward pass, and a 3×3
 * stride-1 conv under a 2×2 pool runs as one conv2d_relu_pool pass that never writes the conv's
 * output.
 */
import { conv2dOutputShape, normalizeConv2dAttrs, pool2dOutputShape, type Pool2dAttrs } from '../../analysis/conv_shapes.ts';
import type { LayerSpec } from '../../analysis/model_spec.ts';
import { conv2dReluPool, convReluPoolApplies } from '../../kernels/conv2d_relu_pool.ts';
import { maxPool2dBackward, maxPool2dForward } from '../../kernels/max_pool2d.ts';
import { reluBackward, reluForward } from '../../kernels/relu.ts';
import type { GpuRuntime, GpuTensor } from '../../kernels/runtime.ts';
import { conv2dBackwardPasses, conv2dForwardIsBlocked, conv2dOp } from '../conv2d.ts';
import { weightBiasRun } from '../weight_bias.ts';
import { CONV2D_ATTR_KEYS, maxPoolAttrsOf, pick, type LayerImpl, type LayerRun } from './layers.ts';

/** Max pooling of `y` (a ReLU's output) whose backward also applies that ReLU's gradient; `y` and the indices live until backward. */
async function poolAfterRelu(rt: GpuRuntime, y: GpuTensor, pool: Pool2dAttrs): Promise<{ output: GpuTensor; scratch: GpuTensor[]; backward: (g: GpuTensor) => Promise<GpuTensor> }> {
  const shape = pool2dOutputShape('max_pool2d', y.shape, pool);
  const output = rt.tensor('max_pool2d.output', shape);
  const indices = rt.tensor('max_pool2d.indices', shape, 'int32');
  await maxPool2dForward(rt, y, output, indices, pool);
  return {
    output,
    scratch: [y, indices],
    async backward(g) {
      const gradY = rt.tensor('relu.grad.x', y.shape);
      await maxPool2dBackward(rt, g, indices, y, gradY, pool, true);
      return gradY;
    },
  };
}

/**
 * Conv2d → ReLU, or Conv2d → ReLU → MaxPool2d when `pool` is given, as one layer with the
 * conv's parameters. The chain runs as conv2d_relu_pool where that kernel applies and the conv
 * would take the blocked kernels (whose sums it repeats in the same order); otherwise as the
 * conv with the ReLU in its epilogue, then the pool.
 */
export function convReluImpl(conv: LayerSpec, pool: LayerSpec | null): LayerImpl {
  const convAttrs = pick(conv, CONV2D_ATTR_KEYS);
  const poolAttrs = pool ? maxPoolAttrsOf(pool) : null;
  return {
    module: 'dense',
    async forward(rt, [x], { weight, bias = null }): Promise<LayerRun> {
      const a = normalizeConv2dAttrs(convAttrs, weight.shape[2], weight.shape[3]);
      const convShape = conv2dOutputShape(x.shape, weight.shape, a, bias?.shape);
      // ∂L/∂x, ∂L/∂weight and ∂L/∂bias from ∂L/∂(conv output), which it frees.
      const convBackward = async (gradConv: GpuTensor, skipInputs: boolean) => {
        const passes = conv2dBackwardPasses(rt, x, weight, a, convShape);
        const grads = await weightBiasRun(rt, 'conv2d', gradConv, { x, weight, bias }, passes).backward({ output: gradConv }, { skip: skipInputs ? ['x'] : [] });
        rt.releaseAfterSubmit(gradConv);
        return { inputs: [grads.x ?? null], params: { weight: grads.weight, ...(grads.bias ? { bias: grads.bias } : {}) } };
      };
      if (poolAttrs && convReluPoolApplies(weight.shape, a, poolAttrs) && conv2dForwardIsBlocked(rt, weight.shape, a)) {
        const shape = pool2dOutputShape('max_pool2d', convShape, poolAttrs);
        const output = rt.tensor('conv2d+relu+max_pool2d.output', shape);
        const winners = rt.tensor('max_pool2d.indices (ReLU mask folded in)', shape, 'int32');
        await conv2dReluPool(rt, x, weight, bias, convShape, output, winners, a);
        return {
          output, scratch: [winners], trace: {}, updatedBuffers: {},
          async backward(g, options) {
            const gradConv = rt.tensor('conv2d.grad.output', convShape);
            // The mask is in the indices; binding 4 (the ReLU output) is not read.
            await maxPool2dBackward(rt, g, winners, output, gradConv, poolAttrs, false);
            return convBackward(gradConv, options?.skipInputs === true);
          },
        };
      }
      const host = { x: { shape: x.shape, dtype: x.dtype }, weight: { shape: weight.shape, dtype: weight.dtype }, ...(bias ? { bias: { shape: bias.shape, dtype: bias.dtype } } : {}) };
      const run = await conv2dOp.prepare(convAttrs, host).forward(rt, { x, weight, ...(bias ? { bias } : {}) }, { trace: false, epilogue: 'relu' });
      const y = run.outputs.output;
      if (poolAttrs) {
        const pooled = await poolAfterRelu(rt, y, poolAttrs);
        return {
          output: pooled.output, scratch: pooled.scratch, trace: {}, updatedBuffers: {},
          async backward(g, options) {
            return convBackward(await pooled.backward(g), options?.skipInputs === true);
          },
        };
      }
      return {
        output: y, scratch: [], trace: {}, updatedBuffers: {},
        async backward(g, options) {
          const gradConv = rt.tensor('relu.grad.x', y.shape);
          await reluBackward(rt, y, g, gradConv);
          return convBackward(gradConv, options?.skipInputs === true);
        },
      };
    },
  };
}

/** ReLU → MaxPool2d as one layer: the pool's backward applies the ReLU's gradient. */
export function reluPoolImpl(pool: LayerSpec): LayerImpl {
  const poolAttrs = maxPoolAttrsOf(pool);
  return {
    module: 'other',
    async forward(rt, [x]) {
      const y = rt.tensor('relu.output', x.shape);
      await reluForward(rt, x, y);
      const pooled = await poolAfterRelu(rt, y, poolAttrs);
      return {
        output: pooled.output, scratch: pooled.scratch, trace: {}, updatedBuffers: {},
        async backward(g) {
          return { inputs: [await pooled.backward(g)], params: {} };
        },
      };
    },
  };
}

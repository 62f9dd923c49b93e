/**
 * Conv2d → BatchNorm2d (eval) → ReLU two ways: `conv_bn_relu2d` runs the three ops one after
 * another (three kernels, two intermediate tensors), as torch.ao.nn.intrinsic.ConvBnReLU2d does
 * in eval mode before fusion; `conv2d_relu` is what remains once the BatchNorm is folded into the
 * conv's weight and bias (analysis/fusion.ts): conv + bias + ReLU in one implicit-GEMM dispatch,
 * as quantized::conv2d_relu and ConvReLU2d compute it in float.
 */
import { InputError } from '../analysis/errors.ts';
import { conv2dGemmForward } from '../kernels/conv2d_gemm.ts';
import { reluBackward } from '../kernels/relu.ts';
import type { GpuTensor } from '../kernels/runtime.ts';
import { normalizeConv2dAttrs } from '../analysis/conv_shapes.ts';
import { conv2dOp } from './conv2d.ts';
import { batchNormOp } from './norm.ts';
import type { HostTensor, OpDefinition, OpRun } from './op.ts';
import { reluOp } from './relu.ts';

const CONV_ATTRS = ['stride', 'padding', 'dilation', 'groups'];

function convPart(attrs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(attrs).filter(([k]) => CONV_ATTRS.includes(k)));
}

function checkAttrs(op: string, attrs: Record<string, unknown>, known: string[]): void {
  const unknown = Object.keys(attrs).find((k) => !known.includes(k));
  if (unknown) throw new InputError(`${op}: unknown attribute "${unknown}" (known: ${known.join(', ')})`);
}

/** The conv's inputs of a spec's inputs (x, weight, bias when given). */
function convInputs<T>(inputs: Record<string, T>): Record<string, T> {
  return { x: inputs.x, weight: inputs.weight, ...(inputs.bias ? { bias: inputs.bias } : {}) };
}

/** `relu(conv2d(x, weight, bias))` in one dispatch: the implicit GEMM with ReLU in its epilogue. */
export const conv2dReluOp: OpDefinition = {
  name: 'conv2d_relu',
  inputs: conv2dOp.inputs,
  outputs: ['output'],
  prepare(attrs, inputs) {
    checkAttrs('conv2d_relu', attrs, CONV_ATTRS);
    const conv = conv2dOp.prepare(attrs, inputs);
    const shape = conv.outputShapes.output;
    const a = normalizeConv2dAttrs(attrs, inputs.weight.shape[2], inputs.weight.shape[3]);
    return {
      outputShapes: { output: shape },
      async forward(rt, { x, weight, bias }) {
        const output = rt.tensor('conv2d_relu.output', shape);
        await conv2dGemmForward(rt, x, weight, bias ?? null, output, a, true);
        return {
          outputs: { output },
          trace: {},
          // The fusion targets inference: backward recomputes the conv (conv2d's own kernels then
          // give its gradients); relu'(conv) is read from the output, which is > 0 exactly where conv is.
          async backward({ output: gradOutput }, options) {
            const gradConv = rt.tensor('conv2d_relu.grad.conv', shape);
            await reluBackward(rt, output, gradOutput, gradConv);
            const run = await conv.forward(rt, convInputs({ x, weight, bias }), { trace: false });
            const grads = await run.backward({ output: gradConv }, options);
            rt.releaseAfterSubmit(gradConv);
            rt.releaseAfterSubmit(run.outputs.output);
            return grads;
          },
        };
      },
    };
  },
};

/**
 * `relu(batch_norm(conv2d(x, weight, bias), running_mean, running_var, bn_weight, bn_bias,
 * training=False, eps))`: three kernels. The conv and BatchNorm outputs are kept (trace
 * `conv.output`, `bn.output`) for backward.
 */
export const convBnRelu2dOp: OpDefinition = {
  name: 'conv_bn_relu2d',
  inputs: [
    ...conv2dOp.inputs,
    { name: 'bn_weight', dtype: 'float32', optional: true, differentiable: true },
    { name: 'bn_bias', dtype: 'float32', optional: true, differentiable: true },
    ...batchNormOp.inputs.filter((i) => i.name === 'running_mean' || i.name === 'running_var').map((i) => ({ ...i, optional: false })),
  ],
  outputs: ['output'],
  prepare(attrs, inputs) {
    checkAttrs('conv_bn_relu2d', attrs, [...CONV_ATTRS, 'eps']);
    const conv = conv2dOp.prepare(convPart(attrs), convInputs(inputs));
    const convShape = conv.outputShapes.output;
    const bnHost: Record<string, HostTensor> = { x: { shape: convShape, dtype: 'float32' }, running_mean: inputs.running_mean, running_var: inputs.running_var };
    if (inputs.bn_weight) bnHost.weight = inputs.bn_weight;
    if (inputs.bn_bias) bnHost.bias = inputs.bn_bias;
    const bn = batchNormOp.prepare({ training: false, ...(attrs.eps !== undefined ? { eps: attrs.eps } : {}) }, bnHost);
    const relu = reluOp.prepare({}, { x: { shape: convShape, dtype: 'float32' } });
    return {
      outputShapes: { output: convShape },
      async forward(rt, inputs, options) {
        const convRun = await conv.forward(rt, convInputs(inputs), options);
        const bnInputs: Record<string, GpuTensor> = { x: convRun.outputs.output, running_mean: inputs.running_mean, running_var: inputs.running_var };
        if (inputs.bn_weight) bnInputs.weight = inputs.bn_weight;
        if (inputs.bn_bias) bnInputs.bias = inputs.bn_bias;
        const bnRun = await bn.forward(rt, bnInputs, options);
        const reluRun = await relu.forward(rt, { x: bnRun.outputs.output }, options);
        const trace: OpRun['trace'] = { 'conv.output': convRun.outputs.output, 'bn.output': bnRun.outputs.output };
        for (const [name, run] of [['conv', convRun], ['bn', bnRun], ['relu', reluRun]] as const) {
          for (const [k, t] of Object.entries(run.trace)) trace[`${name}.${k}`] = t;
        }
        return {
          outputs: reluRun.outputs,
          trace,
          async backward({ output }, backwardOptions) {
            const { x: gradBn } = await reluRun.backward({ output });
            const bnGrads = await bnRun.backward({ output: gradBn });
            const grads = await convRun.backward({ output: bnGrads.x }, backwardOptions);
            rt.releaseAfterSubmit(gradBn);
            rt.releaseAfterSubmit(bnGrads.x);
            if (bnGrads.weight) grads.bn_weight = bnGrads.weight;
            if (bnGrads.bias) grads.bn_bias = bnGrads.bias;
            return grads;
          },
        };
      },
    };
  },
};

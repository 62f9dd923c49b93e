import { avgPool2dOp } from './avg_pool2d.ts';
import { conv2dOp } from './conv2d.ts';
import { convTranspose2dOp } from './conv_transpose2d.ts';
import { crossEntropyOp } from './cross_entropy.ts';
import { linearOp } from './linear.ts';
import { maxPool2dOp } from './max_pool2d.ts';
import type { OpDefinition } from './op.ts';
import { reluOp } from './relu.ts';
import { gcnOp } from './gcn.ts';
import { gatOp } from './gat.ts';
import { sageOp } from './sage.ts';
import { batchNormOp, groupNormOp, layerNormOp } from './norm.ts';
import { gruOp, lstmOp, rnnOp } from './recurrent.ts';
import { addOp, eluOp, flattenOp, geluOp, leakyReluOp, relu6Op, sigmoidOp, siluOp, tanhOp } from './activation.ts';
import { mseLossOp } from './mse_loss.ts';
import { embeddingOp } from './embedding.ts';
import { logSoftmaxOp, softmaxOp } from './softmax.ts';
import { scaledDotProductAttentionOp } from './scaled_dot_product_attention.ts';
import { multiHeadAttentionOp } from './multi_head_attention.ts';
import { fakeQuantizePerChannelAffineOp, fakeQuantizePerTensorAffineOp } from './fake_quantize.ts';
import { toBfloat16Op, toFloat16Op } from './float_cast.ts';
import { conv2dReluOp, convBnRelu2dOp } from './conv_bn_relu.ts';

/** Every op `nnx run`, the Layer Lab and the tests can run, by PyTorch functional name. */
export const OPS: Record<string, OpDefinition> = Object.fromEntries(
  [conv2dOp, convTranspose2dOp, maxPool2dOp, avgPool2dOp, linearOp, reluOp, crossEntropyOp, gcnOp, gatOp, sageOp, batchNormOp, layerNormOp, groupNormOp, rnnOp, lstmOp, gruOp, tanhOp, sigmoidOp, geluOp, siluOp, leakyReluOp, relu6Op, eluOp, addOp, flattenOp, mseLossOp, embeddingOp, softmaxOp, logSoftmaxOp, scaledDotProductAttentionOp, multiHeadAttentionOp, conv2dReluOp, convBnRelu2dOp, fakeQuantizePerTensorAffineOp, fakeQuantizePerChannelAffineOp, toFloat16Op, toBfloat16Op].map((op) => [op.name, op]),
);

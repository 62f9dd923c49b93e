import { reluLab } from './activation.ts';
import { mhaLab, sdpaLab } from './attention.ts';
import { conv2dLab } from './conv2d.ts';
import { embeddingLab } from './embedding.ts';
import { gatLab, gcnLab, sageLab } from './graph.ts';
import { linearLab } from './linear.ts';
import { crossEntropyLab } from './loss.ts';
import { batchNormLab, groupNormLab, layerNormLab } from './norm.ts';
import { avgPool2dLab, maxPool2dLab } from './pool.ts';
import { gruLab, lstmLab, rnnLab } from './recurrent.ts';
import { softmaxLab } from './softmax.ts';
import { fakeQuantizePerChannelLab, fakeQuantizePerTensorLab } from './quantize.ts';
import { vitPatchLab } from './vit.ts';
import type { LabOp } from './types.ts';

/** Ops the Layer Lab can show, by `nnx run` op name, grouped as the op picker lists them. */
export const LAB_OPS: Record<string, LabOp> = {
  conv2d: conv2dLab, max_pool2d: maxPool2dLab, avg_pool2d: avgPool2dLab, linear: linearLab,
  relu: reluLab, cross_entropy: crossEntropyLab,
  batch_norm: batchNormLab, layer_norm: layerNormLab, group_norm: groupNormLab,
  rnn: rnnLab, lstm: lstmLab, gru: gruLab,
  gcn: gcnLab, gat: gatLab, sage: sageLab,
  softmax: softmaxLab, embedding: embeddingLab, scaled_dot_product_attention: sdpaLab,
  multi_head_attention: mhaLab, vit_patch_embedding: vitPatchLab,
  fake_quantize_per_tensor_affine: fakeQuantizePerTensorLab, fake_quantize_per_channel_affine: fakeQuantizePerChannelLab,
};

export const LAB_GROUPS: { label: string; ops: string[] }[] = [
  { label: 'Convolution & pooling', ops: ['conv2d', 'max_pool2d', 'avg_pool2d'] },
  { label: 'Dense', ops: ['linear'] },
  { label: 'Activation & loss', ops: ['relu', 'cross_entropy'] },
  { label: 'Normalization', ops: ['batch_norm', 'layer_norm', 'group_norm'] },
  { label: 'Recurrent', ops: ['rnn', 'lstm', 'gru'] },
  { label: 'Graph', ops: ['gcn', 'gat', 'sage'] },
  { label: 'Attention & embeddings', ops: ['softmax', 'embedding', 'scaled_dot_product_attention', 'multi_head_attention', 'vit_patch_embedding'] },
  { label: 'Quantization', ops: ['fake_quantize_per_tensor_affine', 'fake_quantize_per_channel_affine'] },
];

export const DEFAULT_LAB_OP = 'conv2d';

import { InputError } from '../errors.ts';
import type { ModelSpec } from '../model_spec.ts';
import { fashionCnn, fashionVit } from './compare_models.ts';
import { gatKarate, gcnKarate, sageKarate } from './gnn.ts';
import { gruClassifier } from './gru_classifier.ts';
import { lenet5 } from './lenet5.ts';
import { llama2_7b, mixtral8x7b } from './llama.ts';
import { lstmLm } from './lstm_lm.ts';
import { mobilenetV2 } from './mobilenet_v2.ts';
import { resnet18, resnet50 } from './resnet.ts';
import { transformerEncoder } from './transformer_encoder.ts';
import { vgg16 } from './vgg.ts';
import { vitB16, vitTiny } from './vit.ts';

/** A model of the zoo: a builder returning a fresh ModelSpec. */
export interface ZooEntry {
  description: string;
  build: () => ModelSpec;
}

/** Built-in models, by the name `nnx summary` takes. */
export const ZOO: Record<string, ZooEntry> = {
  resnet18: { description: 'torchvision ResNet-18, 224×224', build: resnet18 },
  resnet50: { description: 'torchvision ResNet-50, 224×224', build: resnet50 },
  vgg16: { description: 'torchvision VGG-16, 224×224', build: vgg16 },
  mobilenet_v2: { description: 'torchvision MobileNetV2, 224×224', build: mobilenetV2 },
  vit_b_16: { description: 'torchvision ViT-B/16, 224×224', build: vitB16 },
  vit_tiny: { description: 'ViT-Tiny/16 (dim 192, depth 12, 3 heads), 224×224', build: vitTiny },
  lenet5: { description: 'LeNet-5 on 28×28 digits', build: lenet5 },
  fashion_cnn: { description: 'comparison lab CNN: ResNet-8 (16/32/64) on 1×28×28, 10 classes', build: fashionCnn },
  fashion_vit: { description: 'comparison lab ViT: patch 7, dim 48, depth 4, 3 heads on 1×28×28, 10 classes', build: fashionVit },
  lstm_lm: { description: 'LSTM language model (PyTorch word_language_model defaults)', build: lstmLm },
  gru_classifier: { description: 'Embedding + bidirectional GRU sentence classifier', build: gruClassifier },
  transformer_encoder: { description: '4-layer nn.TransformerEncoder text classifier', build: transformerEncoder },
  gcn_karate: { description: '2-layer GCN on the karate club graph', build: gcnKarate },
  gat_karate: { description: '2-layer GAT on the karate club graph', build: gatKarate },
  sage_karate: { description: '2-layer GraphSAGE on the karate club graph', build: sageKarate },
  llama2_7b: { description: 'Llama-2-7B decoder (RMSNorm, rotary, SwiGLU), 128 tokens', build: llama2_7b },
  mixtral_8x7b: { description: 'Mixtral-8x7B: 8 experts top-2, grouped-query attention (8 kv heads), 128 tokens', build: mixtral8x7b },
};

/** The spec of a zoo model, or an error listing the names. */
export function zooModel(name: string): ModelSpec {
  const entry = ZOO[name];
  if (!entry) throw new InputError(`unknown model "${name}" (zoo: ${Object.keys(ZOO).join(', ')})`);
  return entry.build();
}

/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf 2017, MIT licence): 28×28 grey-scale images of 10
 * clothing classes, from the four IDX files. Pixels are scaled to [0, 1] and normalized with the
 * training set's usual mean 0.2860 and standard deviation 0.3530, as
 * `transforms.Normalize((0.2860,), (0.3530,))` does.
 */
import { InputError } from '../analysis/errors.ts';
import type { SampleDataset, SampleSplit } from './dataset.ts';
import { gunzipInBrowser, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, isGzip, parseIdx, type IdxArray } from './idx.ts';

export const FASHION_MEAN = 0.286;
export const FASHION_STD = 0.353;
export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** The IDX file names of both splits, as the original distribution names them (gzipped). */
export const FASHION_FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
};

/** A decoded file and the name it came from (for messages). */
export interface NamedIdx {
  file: string;
  idx: IdxArray;
}

function split(images: NamedIdx, labels: NamedIdx): SampleSplit {
  const [count, rows, cols] = images.idx.dims;
  const labelCount = labels.idx.dims[0];
  if (labelCount !== count) throw new InputError(`${labels.file}: ${labelCount} labels, but ${images.file} has ${count} images`);
  if (rows !== 28 || cols !== 28) throw new InputError(`${images.file}: images are ${rows}×${cols}, Fashion-MNIST's are 28×28`);
  const bad = labels.idx.data.findIndex((c) => c > 9);
  if (bad >= 0) throw new InputError(`${labels.file}: label ${bad} is ${labels.idx.data[bad]}, classes are 0..9`);
  const normalized = Float32Array.from({ length: 256 }, (_, p) => (p / 255 - FASHION_MEAN) / FASHION_STD);
  const inputs = new Float32Array(images.idx.data.length);
  for (let i = 0; i < inputs.length; i++) inputs[i] = normalized[images.idx.data[i]];
  return { inputs, targets: Int32Array.from(labels.idx.data), count };
}

/** The data set from its four decoded IDX files. */
export function fashionMnist(files: { trainImages: NamedIdx; trainLabels: NamedIdx; testImages: NamedIdx; testLabels: NamedIdx }, source: string): SampleDataset {
  const train = split(files.trainImages, files.trainLabels);
  const test = split(files.testImages, files.testLabels);
  return {
    kind: 'samples', name: 'fashion-mnist', task: 'classification', numClasses: 10,
    sampleShape: [1, 28, 28], targetShape: [], sequence: false, train, test,
    description: `Fashion-MNIST from ${source}: ${train.count} training and ${test.count} test images 1×28×28, 10 classes, pixels /255 then (x − ${FASHION_MEAN}) / ${FASHION_STD}`,
  };
}

/** The data set from the four files' bytes as a page has them (fetched or picked; gzipped or not, gunzipped with DecompressionStream). */
export async function fashionMnistFromBytes(bytes: Record<keyof typeof FASHION_FILES, Uint8Array>, source: string): Promise<SampleDataset> {
  const decode = async (key: keyof typeof FASHION_FILES): Promise<NamedIdx> => {
    const file = `${source}/${FASHION_FILES[key]}`;
    const raw = isGzip(bytes[key]) ? await gunzipInBrowser(bytes[key], file) : bytes[key];
    return { file, idx: parseIdx(raw, file, key.endsWith('Images') ? IDX_IMAGES_MAGIC : IDX_LABELS_MAGIC) };
  };
  return fashionMnist({ trainImages: await decode('trainImages'), trainLabels: await decode('trainLabels'), testImages: await decode('testImages'), testLabels: await decode('testLabels') }, source);
}

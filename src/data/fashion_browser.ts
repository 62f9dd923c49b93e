/**
 * Fashion-MNIST in the browser: the shipped subset (data/fashion-mnist/, bundled by Vite as
 * asset URLs and fetched), or the four original IDX files a person picks. Both are gunzipped
 * with DecompressionStream and decoded by the same IDX reader as in Node. No Node imports.
 */
import { InputError } from '../analysis/errors.ts';
import type { SampleDataset } from './dataset.ts';
import { FASHION_FILES, fashionMnistFromBytes } from './fashion_mnist.ts';
import testImages from '../../data/fashion-mnist/t10k-images-idx3-ubyte.gz?url';
import testLabels from '../../data/fashion-mnist/t10k-labels-idx1-ubyte.gz?url';
import trainImages from '../../data/fashion-mnist/train-images-idx3-ubyte.gz?url';
import trainLabels from '../../data/fashion-mnist/train-labels-idx1-ubyte.gz?url';

type FashionKey = keyof typeof FASHION_FILES;
const SHIPPED: Record<FashionKey, string> = { trainImages, trainLabels, testImages, testLabels };

async function fetchBytes(url: string, name: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new InputError(`${name}: HTTP ${response.status} fetching the shipped Fashion-MNIST subset`);
  return new Uint8Array(await response.arrayBuffer());
}

/** The shipped 4,000/1,000 subset, fetched from the app's own assets. */
export async function loadShippedFashionMnist(): Promise<SampleDataset> {
  const keys = Object.keys(SHIPPED) as FashionKey[];
  const bytes = await Promise.all(keys.map((k) => fetchBytes(SHIPPED[k], FASHION_FILES[k])));
  return fashionMnistFromBytes(Object.fromEntries(keys.map((k, i) => [k, bytes[i]])) as Record<FashionKey, Uint8Array>, 'the shipped subset');
}

/** The full set from picked files: each of the four original names, gzipped (`.gz`) or not, must be among them. */
export async function loadPickedFashionMnist(files: ArrayLike<File>): Promise<SampleDataset> {
  const picked = Array.from(files);
  const keys = Object.keys(FASHION_FILES) as FashionKey[];
  const found = keys.map((k) => picked.find((f) => f.name === FASHION_FILES[k] || f.name === FASHION_FILES[k].replace(/\.gz$/, '')));
  const missing = keys.filter((_, i) => !found[i]).map((k) => FASHION_FILES[k]);
  if (missing.length) throw new InputError(`pick the four Fashion-MNIST IDX files; missing: ${missing.join(', ')} (got ${picked.map((f) => f.name).join(', ') || 'none'})`);
  const bytes = await Promise.all(found.map(async (f) => new Uint8Array(await f!.arrayBuffer())));
  return fashionMnistFromBytes(Object.fromEntries(keys.map((k, i) => [k, bytes[i]])) as Record<FashionKey, Uint8Array>, 'the picked files');
}

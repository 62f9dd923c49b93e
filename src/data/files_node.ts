/**
 * Node side of the data sets: reads files (gunzipping with zlib), finds the shipped copies in
 * data/, and turns `nnx train --data NAME` into a data set. Generated tasks use the run's seed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { InputError } from '../analysis/errors.ts';
import type { Dataset } from './dataset.ts';
import { fashionMnist, FASHION_FILES, type NamedIdx } from './fashion_mnist.ts';
import { karateTask, stochasticBlockModel } from './graph_tasks.ts';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, isGzip, parseIdx } from './idx.ts';
import { addingProblem, copyTask } from './sequence_tasks.ts';
import { characterTask } from './text_task.ts';

/** The repository's data/ folder (Fashion-MNIST subset, default text). */
export const SHIPPED_DATA = fileURLToPath(new URL('../../data/', import.meta.url));
/** The default text of `--data text`. */
export const DEFAULT_TEXT = join(SHIPPED_DATA, 'text', 'declaration_of_independence.txt');

/** A file's bytes, gunzipped when they start with gzip's magic; unreadable or corrupt files are one-line InputErrors. */
export function readFileBytes(path: string): Uint8Array {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!isGzip(raw)) return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  try {
    const out = gunzipSync(raw);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    throw new InputError(`${path}: corrupt gzip data (${(e as Error).message})`);
  }
}

/** An IDX file from disk, gzipped (`name.gz`) or not (`name` without .gz). */
export function readIdxFile(path: string, magic: number): NamedIdx {
  const file = existsSync(path) || !path.endsWith('.gz') || !existsSync(path.slice(0, -3)) ? path : path.slice(0, -3);
  return { file, idx: parseIdx(readFileBytes(file), file, magic) };
}

/** Fashion-MNIST from `dir` (the four original file names, gzipped or not); default: the shipped 4,000/1,000 subset. */
export function loadFashionMnist(dir = join(SHIPPED_DATA, 'fashion-mnist')): ReturnType<typeof fashionMnist> {
  const read = (name: string, magic: number) => readIdxFile(join(dir, name), magic);
  return fashionMnist({
    trainImages: read(FASHION_FILES.trainImages, IDX_IMAGES_MAGIC),
    trainLabels: read(FASHION_FILES.trainLabels, IDX_LABELS_MAGIC),
    testImages: read(FASHION_FILES.testImages, IDX_IMAGES_MAGIC),
    testLabels: read(FASHION_FILES.testLabels, IDX_LABELS_MAGIC),
  }, dir);
}

/** The names `--data` accepts (anything else is a JSON file). */
export const DATA_NAMES = 'fashion-mnist, adding:T, copy:T, text, text:FILE, karate, sbm:V';

/** True when `--data` names a data set rather than a file. */
export function isNamedData(value: string): boolean {
  return /^(fashion-mnist|karate|text)$/.test(value) || /^(adding|copy|sbm|text):/.test(value);
}

function count(name: string, text: string): number {
  const v = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(v)) throw new InputError(`--data ${name}: expected a whole number after "${name.split(':')[0]}:", got ${JSON.stringify(text)}`);
  return v;
}

/** Options of a named data set: `dataDir` (full Fashion-MNIST), `seed` (generators, graph splits), `window` (text: the model's sequence length). */
export interface NamedDataOptions {
  dataDir?: string;
  seed?: number;
  window?: number;
}

/** The data set `--data NAME` names. */
export function loadNamedData(name: string, options: NamedDataOptions = {}): Dataset {
  const [kind, ...rest] = name.split(':');
  const arg = rest.join(':');
  const seed = options.seed ?? 0;
  if (options.dataDir !== undefined && kind !== 'fashion-mnist') throw new InputError(`--data-dir is for --data fashion-mnist, not ${name}`);
  switch (kind) {
    case 'fashion-mnist':
      return loadFashionMnist(options.dataDir);
    case 'adding':
      return addingProblem(count(name, arg), { seed });
    case 'copy':
      return copyTask(count(name, arg), { seed });
    case 'karate':
      return karateTask({ seed });
    case 'sbm':
      return stochasticBlockModel(count(name, arg), { seed });
    case 'text': {
      const file = arg || DEFAULT_TEXT;
      const bytes = readFileBytes(file);
      const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
      return characterTask(text, file, options.window ?? 32);
    }
    default:
      throw new InputError(`--data: unknown data set ${JSON.stringify(name)} (known: ${DATA_NAMES}, or a JSON file)`);
  }
}

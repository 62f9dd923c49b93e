/**
 * The IDX reader on the shipped Fashion-MNIST subset and on corrupt files written to a temp dir:
 * every bad file is a one-line InputError naming the file and the numbers.
 */
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { FASHION_FILES, FASHION_MEAN, FASHION_STD, fashionMnistFromBytes } from '../../src/data/fashion_mnist.ts';
import { loadFashionMnist, readFileBytes, readIdxFile, SHIPPED_DATA } from '../../src/data/files_node.ts';
import { gunzipInBrowser, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, parseIdx } from '../../src/data/idx.ts';

const DIR = mkdtempSync(join(tmpdir(), 'nnx-idx-'));

/** An IDX file: big-endian magic and dims, then the bytes. */
function idx(magic: number, dims: number[], body: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(body, 4 + 4 * dims.length);
  return out;
}

function write(name: string, bytes: Uint8Array, gzip = true): string {
  const file = join(DIR, name);
  writeFileSync(file, gzip ? gzipSync(bytes) : bytes);
  return file;
}

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected an InputError');
}

describe('IDX reader', () => {
  test('the shipped subset: 4,000 + 1,000 images 28×28, labels per class as scripts/make_fashion_subset.py counted them, pixels normalized', () => {
    const ds = loadFashionMnist();
    expect(ds.sampleShape).toEqual([1, 28, 28]);
    expect([ds.train.count, ds.test.count]).toEqual([4000, 1000]);
    expect(ds.train.inputs.length).toBe(4000 * 784);
    const perClass = (t: ArrayLike<number>) => Array.from({ length: 10 }, (_, c) => Array.prototype.filter.call(t, (y: number) => y === c).length);
    // Printed by the Python script (its own gzip + struct reading of the Debian files).
    expect(perClass(ds.train.targets)).toEqual([373, 440, 404, 409, 395, 391, 400, 413, 380, 395]);
    expect(perClass(ds.test.targets)).toEqual([107, 105, 111, 93, 115, 87, 97, 95, 95, 95]);
    // Pixels span [0, 255]: normalized they span [−0.286/0.353, (1 − 0.286)/0.353].
    const values = ds.train.inputs as Float32Array;
    expect(Math.min(...values.subarray(0, 784 * 50))).toBeCloseTo(-FASHION_MEAN / FASHION_STD, 5);
    expect(Math.max(...values.subarray(0, 784 * 50))).toBeCloseTo((1 - FASHION_MEAN) / FASHION_STD, 5);
    const raw = readIdxFile(join(SHIPPED_DATA, 'fashion-mnist', FASHION_FILES.trainImages), IDX_IMAGES_MAGIC).idx.data;
    expect(values[400]).toBeCloseTo((raw[400] / 255 - 0.286) / 0.353, 6);
  });

  test('a directory with the four files (gzipped or not) loads through --data-dir', () => {
    const dir = join(DIR, 'small');
    mkdirSync(dir);
    const pixels = Uint8Array.from({ length: 3 * 784 }, (_, i) => i % 256);
    writeFileSync(join(dir, FASHION_FILES.trainImages), gzipSync(idx(IDX_IMAGES_MAGIC, [3, 28, 28], pixels)));
    writeFileSync(join(dir, FASHION_FILES.trainLabels), gzipSync(idx(IDX_LABELS_MAGIC, [3], [9, 0, 4])));
    writeFileSync(join(dir, FASHION_FILES.testImages.replace(/\.gz$/, '')), idx(IDX_IMAGES_MAGIC, [1, 28, 28], pixels.subarray(0, 784)));
    writeFileSync(join(dir, FASHION_FILES.testLabels.replace(/\.gz$/, '')), idx(IDX_LABELS_MAGIC, [1], [7]));
    const ds = loadFashionMnist(dir);
    expect([ds.train.count, ds.test.count]).toEqual([3, 1]);
    expect(Array.from(ds.train.targets)).toEqual([9, 0, 4]);
    expect(ds.test.inputs[255]).toBeCloseTo((1 - 0.286) / 0.353, 6);
  });

  test('the browser path: the same subset from bytes, gunzipped by DecompressionStream', async () => {
    const dir = join(SHIPPED_DATA, 'fashion-mnist');
    const bytes = Object.fromEntries(Object.entries(FASHION_FILES).map(([k, f]) => [k, new Uint8Array(readFileSync(join(dir, f)))])) as Record<keyof typeof FASHION_FILES, Uint8Array>;
    const fromBytes = await fashionMnistFromBytes(bytes, 'picked');
    const fromDisk = loadFashionMnist();
    expect(fromBytes.train.count).toBe(4000);
    expect(Buffer.from(fromBytes.train.inputs.buffer).equals(Buffer.from(fromDisk.train.inputs.buffer))).toBe(true);
    expect(Array.from(fromBytes.test.targets)).toEqual(Array.from(fromDisk.test.targets));
  });

  test('DecompressionStream (the browser path) and zlib agree', async () => {
    const bytes = idx(IDX_LABELS_MAGIC, [5], [1, 2, 3, 4, 5]);
    const viaStream = await gunzipInBrowser(gzipSync(bytes), 'labels.gz');
    expect(Array.from(parseIdx(viaStream, 'labels.gz', IDX_LABELS_MAGIC).data)).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(readFileBytes(write('five.gz', bytes)))).toEqual(Array.from(bytes));
    await expect(gunzipInBrowser(Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3]), 'bad.gz')).rejects.toThrow(/bad\.gz: not a valid gzip stream/);
  });

  test('corrupt files are one-line errors naming the file and the numbers', () => {
    const labels = write('swapped.gz', idx(IDX_LABELS_MAGIC, [2], [1, 2]));
    expect(errorOf(() => readIdxFile(labels, IDX_IMAGES_MAGIC))).toBe(`${labels}: magic number 0x00000801, expected 0x00000803 (IDX images: unsigned bytes, rank 3)`);
    const short = write('short.gz', idx(IDX_IMAGES_MAGIC, [10, 28, 28], new Uint8Array(7839)));
    expect(errorOf(() => readIdxFile(short, IDX_IMAGES_MAGIC))).toBe(`${short}: truncated: dimensions 10×28×28 need 7840 data bytes, the file has 7839`);
    const long = write('long', idx(IDX_LABELS_MAGIC, [3], [1, 2, 3, 4]), false);
    expect(errorOf(() => readIdxFile(long, IDX_LABELS_MAGIC))).toBe(`${long}: 1 bytes too long: dimensions 3 need 3 data bytes, the file has 4`);
    const header = write('header.gz', idx(IDX_IMAGES_MAGIC, [10], []));
    expect(errorOf(() => readIdxFile(header, IDX_IMAGES_MAGIC))).toBe(`${header}: truncated header: 8 bytes, rank 3 needs 16`);
    const tiny = write('tiny', Uint8Array.from([0, 0]), false);
    expect(errorOf(() => readIdxFile(tiny, IDX_IMAGES_MAGIC))).toContain('2 bytes is too short for an IDX file');
    const gz = join(DIR, 'cut.gz');
    writeFileSync(gz, gzipSync(idx(IDX_LABELS_MAGIC, [100], new Uint8Array(100))).subarray(0, 20));
    expect(errorOf(() => readIdxFile(gz, IDX_LABELS_MAGIC))).toMatch(/cut\.gz: corrupt gzip data \(/);
    expect(errorOf(() => readIdxFile(join(DIR, 'absent.gz'), IDX_LABELS_MAGIC))).toMatch(/cannot read .*absent\.gz: ENOENT/);
  });

  test('label count ≠ image count, wrong image size and labels above 9 are errors naming both files', () => {
    const make = (name: string, images: [number, number, number], labels: number[]) => {
      const dir = join(DIR, name);
      mkdirSync(dir);
      const [n, h, w] = images;
      for (const split of ['train', 't10k']) {
        writeFileSync(join(dir, `${split}-images-idx3-ubyte.gz`), gzipSync(idx(IDX_IMAGES_MAGIC, images, new Uint8Array(n * h * w))));
        writeFileSync(join(dir, `${split}-labels-idx1-ubyte.gz`), gzipSync(idx(IDX_LABELS_MAGIC, [labels.length], labels)));
      }
      return dir;
    };
    const counts = make('counts', [4, 28, 28], [1, 2, 3]);
    expect(errorOf(() => loadFashionMnist(counts))).toBe(`${join(counts, 'train-labels-idx1-ubyte.gz')}: 3 labels, but ${join(counts, 'train-images-idx3-ubyte.gz')} has 4 images`);
    const size = make('size', [2, 32, 32], [1, 2]);
    expect(errorOf(() => loadFashionMnist(size))).toBe(`${join(size, 'train-images-idx3-ubyte.gz')}: images are 32×32, Fashion-MNIST's are 28×28`);
    const classes = make('classes', [2, 28, 28], [1, 12]);
    expect(errorOf(() => loadFashionMnist(classes))).toBe(`${join(classes, 'train-labels-idx1-ubyte.gz')}: label 1 is 12, classes are 0..9`);
  });
});

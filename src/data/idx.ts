/**
 * The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): a big-endian
 * magic number 0x000008RR (unsigned bytes, rank RR), RR big-endian uint32 dimensions, then the
 * bytes row-major. Files are usually gzipped: `gunzipInBrowser` (DecompressionStream) here, zlib
 * in Node (src/data/files_node.ts).
 */
import { InputError } from '../analysis/errors.ts';

/** Images: unsigned bytes, rank 3 [count, rows, cols]. */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** Labels: unsigned bytes, rank 1 [count]. */
export const IDX_LABELS_MAGIC = 0x00000801;

/** A decoded IDX file. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const hex = (v: number) => `0x${v.toString(16).padStart(8, '0')}`;

/** Reads uncompressed IDX bytes, checking the magic number (`expectedMagic`) and that the body holds exactly the header's dimensions. */
export function parseIdx(bytes: Uint8Array, file: string, expectedMagic: number): IdxArray {
  const rank = expectedMagic & 0xff;
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < 4) throw new InputError(`${file}: ${bytes.length} bytes is too short for an IDX file (the magic number alone takes 4)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    const what = expectedMagic === IDX_IMAGES_MAGIC ? 'images' : expectedMagic === IDX_LABELS_MAGIC ? 'labels' : 'this file';
    throw new InputError(`${file}: magic number ${hex(magic)}, expected ${hex(expectedMagic)} (IDX ${what}: unsigned bytes, rank ${rank})`);
  }
  if (bytes.length < headerBytes) throw new InputError(`${file}: truncated header: ${bytes.length} bytes, rank ${rank} needs ${headerBytes}`);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  const body = bytes.length - headerBytes;
  if (body !== size) {
    const problem = body < size ? 'truncated' : `${body - size} bytes too long`;
    throw new InputError(`${file}: ${problem}: dimensions ${dims.join('×')} need ${size} data bytes, the file has ${body}`);
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** True when the bytes start with gzip's magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Gunzips with the browser's DecompressionStream (also present in Node ≥ 18); a corrupt stream is an InputError naming the file. */
export async function gunzipInBrowser(bytes: Uint8Array, file: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new InputError(`${file}: not a valid gzip stream (${(e as Error).message})`);
  }
}

import { readFileSync } from 'node:fs';
import { InputError } from '../analysis/errors.ts';
import { importOnnx, type OnnxImport } from '../analysis/onnx/onnx_import.ts';

/** True for a path the CLI reads as an ONNX model. */
export function isOnnxPath(path: string): boolean {
  return /\.onnx$/i.test(path);
}

/** The bytes of an ONNX file, with a one-line error when it cannot be read. */
export function readOnnxFile(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new InputError(`cannot read "${path}": ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
}

/** Reads an ONNX file into a ModelSpec with weights for the given input shape (symbolic dims default to 1). */
export function loadOnnxModel(path: string, input?: number[]): OnnxImport {
  return importOnnx(readOnnxFile(path), { input }, path);
}

import { readFileSync } from 'node:fs';
import { InputError } from '../analysis/errors.ts';
import { importOnnx, type OnnxImport } from '../analysis/onnx/onnx_import.ts';

/** True for a path the CLI reads as an ONNX model. */
export function isOnnxPath(path: string): boolean {
  return /\.onnx$/i.test(path);
}

/** Reads an ONNX file into a ModelSpec with weights for the given input shape (symbolic dims default to 1). */
export function loadOnnxModel(path: string, input?: number[]): OnnxImport {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new InputError(`cannot read "${path}": ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  return importOnnx(bytes, { input }, path);
}

/** Runs the real `nnx` command (bin/nnx.mjs) in a child process. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/nnx.mjs', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  /** stderr without the Vulkan loader's noise about drivers it probed. */
  stderr: string;
}

/** `nnx ...args`, with `input` on stdin; the process is killed after `timeoutMs`. */
export function nnx(args: string[], input?: string, timeoutMs = 120_000): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: timeoutMs });
  const stderr = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('nnx:'))
    .join('\n');
  return { status: r.status, stdout: r.stdout, stderr };
}

/** Asserts that `nnx run -` rejects `spec` with exit 1, no stdout and one stderr line matching `message`. */
export function expectRunRejects(spec: unknown, message: RegExp): void {
  const r = nnx(['run', '-'], JSON.stringify(spec));
  expect(r.stderr).toMatch(message);
  expect(r.stderr.split('\n')).toHaveLength(1);
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
}

/** A float tensor of `shape` with every element `value`. */
export function filledTensor(shape: number[], value = 0.5): { shape: number[]; data: number[] } {
  return { shape, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(value) };
}

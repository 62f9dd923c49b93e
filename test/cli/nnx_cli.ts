/**
 * Runs the `nnx` command two ways: the real binary (bin/nnx.mjs) in a child process, and in
 * the test process through the same command functions with one GPU runtime for the whole file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { afterAll, beforeAll, expect, vi } from 'vitest';
import { NnxError } from '../../src/analysis/errors.ts';
import { benchCommand } from '../../src/cli/bench.ts';
import { compareCommand } from '../../src/cli/compare.ts';
import { diagnoseCommand } from '../../src/cli/diagnose.ts';
import { gradcheckCommand } from '../../src/cli/gradcheck.ts';
import { landscapeCommand } from '../../src/cli/landscape.ts';
import { quantizeCommand } from '../../src/cli/quantize.ts';
import { runCommand } from '../../src/cli/run.ts';
import { summaryCommand } from '../../src/cli/summary.ts';
import { tapeCommand } from '../../src/cli/tape.ts';
import { trainCommand } from '../../src/cli/train.ts';
import { GpuRuntime } from '../../src/kernels/runtime.ts';

const BIN = fileURLToPath(new URL('../../bin/nnx.mjs', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  /** stderr's `nnx:` lines (without the Vulkan loader's noise about drivers it probed). */
  stderr: string;
}

const nnxLines = (text: string) => text.split('\n').filter((l) => l.startsWith('nnx:')).join('\n');

/** `nnx ...args` as a child process, with `input` on stdin; the process is killed after `timeoutMs`. */
export function nnx(args: string[], input?: string, timeoutMs = 120_000): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout, stderr: nnxLines(r.stderr) };
}

/** The command functions src/cli/main.ts dispatches to. */
const COMMANDS: Record<string, (argv: string[]) => Promise<number | void>> = {
  run: runCommand, train: trainCommand, bench: benchCommand, compare: compareCommand,
  diagnose: diagnoseCommand, gradcheck: gradcheckCommand, summary: summaryCommand,
  landscape: landscapeCommand, tape: tapeCommand,
  quantize: quantizeCommand,
};

export type InProcessNnx = (args: string[], input?: string) => Promise<CliResult>;

/**
 * `nnx ...args` inside the test process: the command's own function with stdout and stderr
 * captured, errors turned into the exit status and the `nnx: …` line as main.ts does, and
 * GpuRuntime.create() answered by one runtime kept for the whole file (no process start, device
 * or pipeline compile per call). `input` for stdin goes through a file passed instead of `-`.
 * Each file keeps at least one call per command through `nnx()`, the real binary.
 */
export function useInProcessNnx(): InProcessNnx {
  let rt: GpuRuntime | null = null;
  let destroy: () => void = () => {};
  const dir = mkdtempSync(join(tmpdir(), 'nnx-in-process-'));
  let calls = 0;
  let create: { mockRestore(): void } | null = null;
  beforeAll(async () => {
    rt = await GpuRuntime.create();
    destroy = rt.destroy.bind(rt);
    rt.destroy = () => {};
    create = vi.spyOn(GpuRuntime, 'create').mockImplementation(async () => rt!);
  });
  afterAll(() => {
    create?.mockRestore();
    destroy();
  });
  return async (args, input) => {
    if (!rt) throw new Error('no GPU runtime: GpuRuntime.create() failed in beforeAll (see the error above)');
    const [command, ...rest] = args;
    const run = COMMANDS[command];
    if (!run) throw new Error(`useInProcessNnx: no command function for "${command}"`);
    let argv = rest;
    if (input !== undefined) {
      const file = join(dir, `stdin-${++calls}.json`);
      writeFileSync(file, input);
      argv = rest.map((a) => (a === '-' ? file : a));
    }
    let stdout = '';
    let stderr = '';
    const capture = (append: (text: string) => void) => (chunk: string | Uint8Array, ...more: unknown[]) => {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = more.find((m) => typeof m === 'function') as ((e?: Error) => void) | undefined;
      done?.();
      return true;
    };
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture((t) => (stdout += t)));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture((t) => (stderr += t)));
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (stdout += `${format(...a)}\n`));
    let status: number;
    try {
      status = (await run(argv)) ?? 0;
    } catch (error) {
      stderr += error instanceof NnxError ? `nnx: ${error.message}\n` : `nnx: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`;
      status = error instanceof NnxError ? 1 : 2;
    } finally {
      out.mockRestore();
      err.mockRestore();
      log.mockRestore();
    }
    return { status, stdout, stderr: nnxLines(stderr) };
  };
}

/** Asserts a refused command: exit 1, no stdout and one stderr line matching `message`. */
export function expectRejects(r: CliResult, message: RegExp): void {
  expect(r.stderr).toMatch(message);
  expect(r.stderr.split('\n')).toHaveLength(1);
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
}

/** Asserts that `nnx run -` (the binary) rejects `spec` with exit 1, no stdout and one stderr line matching `message`. */
export function expectRunRejects(spec: unknown, message: RegExp): void {
  expectRejects(nnx(['run', '-'], JSON.stringify(spec)), message);
}

/** A float tensor of `shape` with every element `value`. */
export function filledTensor(shape: number[], value = 0.5): { shape: number[]; data: number[] } {
  return { shape, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(value) };
}

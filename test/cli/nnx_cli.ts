/** Runs the real `nnx` command (bin/nnx.mjs) in a child process. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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

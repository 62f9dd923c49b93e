/**
 * `nnx infer` through the binary (the MLP exported by PyTorch, --json against PyTorch's output;
 * a missing --input refused in one line) and `nnx export` + `nnx summary` on the written file
 * in-process (no GPU: the exporter and the importer are pure analysis).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { importOnnx } from '../../src/analysis/onnx/onnx_import.ts';
import { buildSummary } from '../../src/analysis/summary.ts';
import { zooModel } from '../../src/analysis/zoo/index.ts';
import { exportCommand } from '../../src/cli/export.ts';
import { summaryCommand } from '../../src/cli/summary.ts';

const BIN = fileURLToPath(new URL('../../bin/nnx.mjs', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/onnx_import/', import.meta.url));
const CASES = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as { file: string; params: number; input: { shape: number[]; data: number[] }; output: { shape: number[]; data: number[] } }[];
const dir = mkdtempSync(join(tmpdir(), 'nnx-onnx-cli-'));

function nnx(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.split('\n').filter((l) => l.startsWith('nnx:')).join('\n') };
}

describe('nnx infer and nnx export', () => {
  it('nnx infer --json prints the graph output under its name, equal to PyTorch, with adapter, memory and timings', () => {
    const c = CASES.find((k) => k.file === 'mlp_op17.onnx')!;
    const input = join(dir, 'x.json');
    writeFileSync(input, JSON.stringify(c.input));
    const r = nnx(['infer', join(FIXTURES, c.file), '--input', input, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['outputs', 'adapter', 'memory', 'timings']);
    expect(out.outputs.y.shape).toEqual(c.output.shape);
    out.outputs.y.data.forEach((v: number, i: number) => expect(Math.abs(v - c.output.data[i])).toBeLessThanOrEqual(2e-4 + 2e-3 * Math.abs(c.output.data[i])));
    const missing = nnx(['infer', join(FIXTURES, c.file)]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe('nnx: infer: missing --input FILE|fashion-mnist:N');
  });

  it('nnx export writes a file that nnx summary reads back with the same parameter count', async () => {
    const out = join(dir, 'lenet5.onnx');
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await exportCommand(['lenet5', out])).toBe(0);
      expect(log.mock.calls[0][0]).toMatch(/^wrote .*lenet5\.onnx \([\d,]+ bytes, opset 17\)$/);
      log.mockClear();
      await summaryCommand([out, '--json']);
      const report = JSON.parse(String(log.mock.calls[0][0]));
      expect(report.totals.params).toBe(buildSummary(zooModel('lenet5')).totals.params);
      expect(importOnnx(new Uint8Array(readFileSync(out))).spec.input).toEqual(zooModel('lenet5').input);
      await expect(exportCommand(['lenet5', join(dir, 'x.txt')])).rejects.toThrow(/^export: the output file must end in \.onnx, got /);
    } finally {
      log.mockRestore();
    }
  });
});

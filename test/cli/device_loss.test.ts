/**
 * The real `nnx` binary when its GPU device is lost mid-run: the NNX_TEST_DESTROY_DEVICE_AFTER
 * test hook destroys the device at the N-th dispatch, and the command prints one line
 * (`nnx: GPU device lost (…); rerun the command`), no stack trace and no stdout, and exits 1.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'vitest';
import { expectRejects, nnx } from './nnx_cli.ts';

const LOST = /^nnx: GPU device lost \(destroyed[^\n]*\); rerun the command$/;

afterEach(() => {
  delete process.env.NNX_TEST_DESTROY_DEVICE_AFTER;
});

describe('nnx on a device lost mid-run', () => {
  it('nnx run: one line, exit 1', () => {
    const spec = { op: 'relu', inputs: { x: { shape: [2, 5], data: [1, -2, 3, -4, 5, -6, 7, -8, 9, -10] } }, grad_output: { output: { shape: [2, 5], data: new Array(10).fill(1) } } };
    process.env.NNX_TEST_DESTROY_DEVICE_AFTER = '1';
    expectRejects(nnx(['run', '-'], JSON.stringify(spec)), LOST);
  });

  it('nnx train (a whole model): one line, exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nnx-device-loss-'));
    const file = join(dir, 'mlp.json');
    writeFileSync(file, JSON.stringify({ name: 'mlp', input: [4, 6], layers: [{ type: 'Linear', in_features: 6, out_features: 5 }, { type: 'ReLU' }, { type: 'Linear', in_features: 5, out_features: 3 }] }));
    process.env.NNX_TEST_DESTROY_DEVICE_AFTER = '5';
    expectRejects(nnx(['train', file, '--steps', '3', '--json']), LOST);
  });
});

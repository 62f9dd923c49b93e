/**
 * The real `nnx` binary when its GPU device is lost mid-run: the NNX_TEST_DESTROY_DEVICE_AFTER
 * test hook destroys the device at the N-th dispatch, and the command prints one line
 * (`nnx: GPU device lost (…); rerun the command`), no stack trace and no stdout, and exits 1.
 * (Every command ends in the same handler of src/cli/main.ts; test/kernels/robustness.test.ts
 * loses a whole model's device mid training step in-process.)
 */
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
});

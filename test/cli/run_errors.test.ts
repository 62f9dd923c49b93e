/**
 * `nnx run` on bad input: exit code 1 and one line naming the problem and the numbers. The cases
 * run in-process on one runtime; the binary itself refuses one spec from stdin.
 */
import { describe, expect, test } from 'vitest';
import { expectRejects, expectRunRejects, filledTensor, useInProcessNnx } from './nnx_cli.ts';

const x = filledTensor;

const cases: [string, unknown, RegExp][] = [
  ['unknown op', { op: 'conv3d', inputs: {} }, /unknown op "conv3d" \(ops: conv2d, conv_transpose2d, max_pool2d, avg_pool2d, linear, relu, cross_entropy, gcn, gat, sage\b/],
  ['missing tensor', { op: 'conv2d', inputs: { x: x([1, 1, 4, 4]) } }, /conv2d: missing input "weight"/],
  ['unknown input name', { op: 'relu', inputs: { x: x([2]), y: x([2]) } }, /relu: unknown input "y" \(inputs: x\)/],
  ['data length differs from the shape', { op: 'relu', inputs: { x: { shape: [2, 3], data: [1, 2, 3, 4, 5] } } }, /x: 5 values for shape \[2, 3\], which has 6 elements/],
  ['channel mismatch', { op: 'conv2d', inputs: { x: x([1, 3, 8, 8]), weight: x([4, 2, 3, 3]) } }, /weight \[4, 2, 3, 3\] expects 2×1 = 2 input channels .* x \[1, 3, 8, 8\] has 3/],
  ['kernel larger than the padded input', { op: 'conv2d', attrs: { padding: 1 }, inputs: { x: x([1, 1, 3, 3]), weight: x([1, 1, 7, 7]) } }, /kernel 7×7 \(dilated\) is larger than the padded input 5×5/],
  ['groups not dividing channels', { op: 'conv2d', attrs: { groups: 2 }, inputs: { x: x([1, 3, 5, 5]), weight: x([4, 1, 3, 3]) } }, /in_channels 3 is not divisible by groups 2/],
  ['pool padding above half the kernel', { op: 'max_pool2d', attrs: { kernel_size: 2, padding: 2 }, inputs: { x: x([1, 1, 6, 6]) } }, /padding 2 must be at most half the kernel size 2/],
  ['linear feature mismatch', { op: 'linear', inputs: { x: x([2, 5]), weight: x([3, 4]) } }, /x \[2, 5\] has 5 features .* in_features = 4/],
  ['target out of range', { op: 'cross_entropy', inputs: { logits: x([2, 3]), target: { shape: [2], data: [0, 3], dtype: 'int32' } } }, /target\[1\] = 3 is not a class index in \[0, 3\)/],
  ['float target', { op: 'cross_entropy', inputs: { logits: x([2, 3]), target: { shape: [2], data: [0, 1], dtype: 'float32' } } }, /target: expected dtype int32, got float32/],
  ['NaN in the input', { op: 'relu', inputs: { x: { shape: [2], data: [1, 'NaN'] } } }, /x: value at flat index 1 is "NaN", not a finite number/],
  ['grad_output of the wrong shape', { op: 'relu', inputs: { x: x([2, 2]) }, grad_output: { output: x([4]) } }, /grad_output.output has shape \[4\] but output has shape \[2, 2\]/],
  ['unknown attribute', { op: 'conv2d', attrs: { strides: 2 }, inputs: { x: x([1, 1, 4, 4]), weight: x([1, 1, 3, 3]) } }, /conv2d: unknown attribute "strides" \(known: stride, padding, dilation, groups\)/],
  ['"same" padding with stride 2', { op: 'conv2d', attrs: { padding: 'same', stride: 2 }, inputs: { x: x([1, 1, 4, 4]), weight: x([1, 1, 3, 3]) } }, /padding="same" needs stride 1/],
];

describe('nnx run rejects bad input with one clear line', () => {
  const cli = useInProcessNnx();

  test('the binary: an unknown op from stdin, exit 1 and one line', () => {
    const [, spec, message] = cases[0];
    expectRunRejects(spec, message);
  });

  test.each(cases)('%s', async (_name, spec, message) => {
    expectRejects(await cli(['run', '-'], JSON.stringify(spec)), message);
  });

  test('invalid JSON with a bare NaN says so', async () => {
    const r = await cli(['run', '-'], '{"op": "relu", "inputs": {"x": {"shape": [1], "data": [NaN]}}}');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/is not valid JSON \(it contains NaN or Infinity/);
  });

  test('a missing file and an unknown option are named', async () => {
    expect((await cli(['run', '/nonexistent/spec.json'])).stderr).toMatch(/cannot read \/nonexistent\/spec.json: ENOENT/);
    expect((await cli(['run', 'a.json', '--fast'])).stderr).toMatch(/unknown option --fast/);
  });

  test('--explain lists every term of a conv2d neuron, padded ones marked', async () => {
    const spec = { op: 'conv2d', attrs: { padding: 1 }, inputs: { x: { shape: [1, 1, 2, 2], data: [1, 2, 3, 4] }, weight: { shape: [1, 1, 3, 3], data: [1, 2, 3, 4, 5, 6, 7, 8, 9] }, bias: { shape: [1], data: [0.5] } } };
    const r = await cli(['run', '-', '--explain', '0,0,0,0'], JSON.stringify(spec));
    expect(r.status).toBe(0);
    const { explain } = JSON.parse(r.stdout);
    expect(explain.terms).toHaveLength(9);
    expect(explain.terms.filter((t: { padded: boolean }) => t.padded)).toHaveLength(5);
    // Output (0,0) with padding 1 sees x[0..1, 0..1] under weights w[1..2, 1..2]: 1·5 + 2·6 + 3·8 + 4·9.
    expect(explain.terms.find((t: { weight_index: number[] }) => t.weight_index.join() === '0,0,2,2')).toMatchObject({ input_index: [0, 0, 1, 1], x: 4, w: 9, product: 36 });
    expect(explain.sum).toBe(77);
    expect(explain.bias).toBe(0.5);
    expect(explain.output).toBe(77.5);
    expect((await cli(['run', '-', '--explain', '0,0,2,0'], JSON.stringify(spec))).stderr).toMatch(/output index \[0, 0, 2, 0\] is outside the output shape \[1, 1, 2, 2\]/);
  });
});

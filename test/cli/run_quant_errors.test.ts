/**
 * `nnx run` refuses bad fake-quantization and cast specs with one line naming the problem and the
 * numbers (in-process, one runtime).
 */
import { describe, test } from 'vitest';
import { expectRejects, filledTensor, nnx, useInProcessNnx } from './nnx_cli.ts';

const x = filledTensor;
const perTensor = (attrs: Record<string, unknown>) => ({ op: 'fake_quantize_per_tensor_affine', attrs: { scale: 0.1, zero_point: 0, quant_min: -128, quant_max: 127, ...attrs }, inputs: { x: x([2, 3]) } });
const perChannel = (attrs: Record<string, unknown>, scale: number[] = [0.1, 0.2, 0.3], zeroPoint: number[] = [0, 1, 2]) => ({
  op: 'fake_quantize_per_channel_affine', attrs: { axis: 1, quant_min: -128, quant_max: 127, ...attrs },
  inputs: { x: x([2, 3, 4]), scale: { shape: [scale.length], data: scale }, zero_point: { shape: [zeroPoint.length], data: zeroPoint, dtype: 'int32' } },
});

const cases: [string, unknown, RegExp][] = [
  ['scale 0', perTensor({ scale: 0 }), /fake_quantize_per_tensor_affine: scale must be a finite number > 0, got 0/],
  ['negative scale', perTensor({ scale: -0.5 }), /scale must be a finite number > 0, got -0.5/],
  ['scale below float32 (1/scale overflows)', perTensor({ scale: 1e-46 }), /scale 1e-46 is too small for float32/],
  ['zero point above quant_max', perTensor({ zero_point: 200 }), /zero_point 200 is outside \[quant_min, quant_max\] = \[-128, 127\]/],
  ['fractional zero point', perTensor({ zero_point: 1.5 }), /zero_point must be an integer, got 1.5/],
  ['quant_min not below quant_max', perTensor({ quant_min: 10, quant_max: 10, zero_point: 10 }), /quant_min 10 must be less than quant_max 10/],
  ['missing quant_max', perTensor({ quant_max: undefined }), /quant_max must be an integer \(a 32-bit code\), got nothing \(it is missing\)/],
  ['unknown attribute', perTensor({ axis: 0 }), /unknown attribute "axis" \(known: scale, zero_point, quant_min, quant_max\)/],
  ['axis out of range', perChannel({ axis: 3 }), /fake_quantize_per_channel_affine: axis 3 is out of range for x \[2, 3, 4\] of rank 3 \(expected 0 to 2/],
  ['negative axis (PyTorch refuses it)', perChannel({ axis: -1 }), /axis -1 is out of range .*negative axes are not accepted/],
  ['scale length differs from the channels', perChannel({}, [0.1, 0.2]), /scale \[2\] must have one value per channel, \[3\] \(x \[2, 3, 4\] along axis 1\)/],
  ['one channel scale non-positive', perChannel({}, [0.1, -0.2, 0.3]), /scale\[1\] must be a finite number > 0, got -0.2/],
  ['one channel zero point outside the range', perChannel({ quant_min: 0, quant_max: 15 }, [0.1, 0.2, 0.3], [0, 16, 2]), /zero_point\[1\] 16 is outside \[quant_min, quant_max\] = \[0, 15\]/],
  ['float zero points', { ...perChannel({}), inputs: { ...perChannel({}).inputs, zero_point: { shape: [3], data: [0, 1, 2], dtype: 'float32' } } }, /zero_point: expected dtype int32, got float32/],
  ['a cast takes no attributes', { op: 'to_float16', attrs: { dtype: 'half' }, inputs: { x: x([3]) } }, /to_float16: unknown attribute "dtype"/],
];

describe('nnx run rejects bad quantization specs with one clear line', () => {
  const cli = useInProcessNnx();
  test.each(cases)('%s', async (_name, spec, message) => {
    expectRejects(await cli(['run', '-'], JSON.stringify(spec)), message);
  });
});

describe('nnx quantize rejects bad arguments with one clear line', () => {
  const cli = useInProcessNnx();
  const bad: [string, string[], RegExp][] = [
    ['unknown scheme', ['fashion_cnn', '--scheme', 'fp16,int4'], /quantize: --scheme must be one of int8, int8-per-channel, fp16, bf16 \(or several, comma separated\), got "int4"/],
    ['no scheme', ['fashion_cnn'], /quantize: --scheme is required/],
    ['calibration source other than fashion-mnist', ['fashion_cnn', '--scheme', 'int8', '--calibrate', 'cifar:10'], /--calibrate must be fashion-mnist:N, got "cifar:10"/],
    ['more calibration images than the split has', ['fashion_cnn', '--scheme', 'int8', '--calibrate', 'fashion-mnist:99999999'], /--calibrate 99999999 is more than the \d+ training images of fashion-mnist/],
    ['a missing weights file', ['fashion_cnn', '--scheme', 'fp16', '--weights', '/nonexistent/w.json'], /cannot read --weights \/nonexistent\/w.json: ENOENT/],
  ];
  test('the binary: an unknown scheme, exit 1 and one line', () => {
    expectRejects(nnx(['quantize', ...bad[0][1]]), bad[0][2]);
  });
  test.each(bad)('%s', async (_name, args, message) => {
    expectRejects(await cli(['quantize', ...args]), message);
  });
});

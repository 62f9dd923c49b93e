/** When the matmul kernel splits K across workgroups. */
import { describe, expect, test } from 'vitest';
import { kSplits, matmulAlgorithm } from '../../src/kernels/matmul.ts';

describe('matmul kernel choice', () => {
  test('splits only a small output with a long K', () => {
    expect(kSplits(12, 20, 2003)).toBe(7);
    expect(kSplits(64, 10, 1568)).toBe(6);
    expect(kSplits(512, 512, 512)).toBe(1);
    expect(kSplits(16, 16, 100_000)).toBe(64);
    expect(kSplits(16, 16, 100)).toBe(1);
  });

  test('small products with a narrow C run one invocation per element, the rest in 64×64 tiles', () => {
    expect(matmulAlgorithm(800, 16, 800 * 16 * 32)).toBe('direct');
    expect(matmulAlgorithm(6, 10, 6 * 10 * 1568)).toBe('direct');
    expect(matmulAlgorithm(800, 48, 800 * 48 * 16)).toBe('tiled');
    expect(matmulAlgorithm(4096, 16, 4096 * 16 * 256)).toBe('tiled');
  });

  test('a short K with B rows along memory (direct_cols4) also runs direct, up to the same size', () => {
    expect(matmulAlgorithm(64, 1568, 64 * 1568 * 10, true)).toBe('direct');
    expect(matmulAlgorithm(800, 48, 800 * 48 * 16, true)).toBe('direct');
    expect(matmulAlgorithm(4096, 1568, 4096 * 1568 * 10, true)).toBe('tiled');
  });

  test('on an adapter that prefers blocked kernels, a product with a side under 256 that is not direct runs blocked', () => {
    expect(matmulAlgorithm(1088, 144, 1088 * 144 * 48, false, true)).toBe('blocked');
    expect(matmulAlgorithm(17, 17, 64 * 17 * 17 * 24, false, true)).toBe('blocked');
    expect(matmulAlgorithm(512, 512, 512 ** 3, false, true)).toBe('tiled');
    expect(matmulAlgorithm(800, 16, 800 * 16 * 32, false, true)).toBe('direct');
    expect(matmulAlgorithm(1088, 144, 1088 * 144 * 48)).toBe('tiled');
  });
});

/** When the matmul kernel splits K across workgroups. */
import { describe, expect, test } from 'vitest';
import { kSplits } from '../../src/kernels/matmul.ts';

describe('matmul split-K choice', () => {
  test('splits only a small output with a long K and no bias', () => {
    expect(kSplits(12, 20, 2003, false)).toBe(7);
    expect(kSplits(12, 20, 2003, true)).toBe(1);
    expect(kSplits(512, 512, 512, false)).toBe(1);
    expect(kSplits(16, 16, 100_000, false)).toBe(64);
    expect(kSplits(16, 16, 100, false)).toBe(1);
  });
});

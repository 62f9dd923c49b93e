/** When the matmul kernel splits K across workgroups. */
import { describe, expect, test } from 'vitest';
import { kSplits } from '../../src/kernels/matmul.ts';

describe('matmul split-K choice', () => {
  test('splits only a small output with a long K', () => {
    expect(kSplits(12, 20, 2003)).toBe(7);
    expect(kSplits(64, 10, 1568)).toBe(6);
    expect(kSplits(512, 512, 512)).toBe(1);
    expect(kSplits(16, 16, 100_000)).toBe(64);
    expect(kSplits(16, 16, 100)).toBe(1);
  });
});

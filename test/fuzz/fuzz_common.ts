/**
 * Shared pieces of the fuzz suites: hostile values for fast-check, and the check every refused
 * input must pass (an NnxError whose message is one readable line).
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { NnxError } from '../../src/analysis/errors.ts';

/** Numbers at and past the limits of a size or index attribute. */
export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -1, -0, 0.5, 1.5, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e300, -1e300, Number.MAX_VALUE, Number.MIN_VALUE),
  fc.integer({ min: -5, max: 5 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Text that must be shown as text: markup, scripts, unicode beyond the BMP, control characters. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('<img src=x onerror="window.__pwned=1">', '<script>window.__pwned=1</script>', '"><svg onload=alert(1)>', 'конв𝟙د🙂\u200b', 'a\nb', 'tab\there', '\u0000nul', '${x}', '__proto__', 'constructor'),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);

/** Values of the wrong kind where a number or a list of numbers goes (JSON cannot carry NaN or Infinity: they arrive as strings or null). */
export const wrongKind: fc.Arbitrary<unknown> = fc.constantFrom('3', 'NaN', 'Infinity', '-Infinity', '', null, true, false, [], {}, [2, 3], [0], [1, 2, 3], [-1], [1.5], ['a'], { value: 3 }, 'same', 'valid');

/** Any hostile attribute value: mostly plausible small integers so the analysis gets past the first check, else the kinds above. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 8 }) },
  { weight: 2, arbitrary: hostileNumber },
  { weight: 2, arbitrary: wrongKind },
  { weight: 1, arbitrary: hostileText },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: -2, max: 9 }), { maxLength: 5 }) },
);

/**
 * Asserts that `error` is an NnxError with a one-line message: no line break, no stack frame, no
 * "undefined", "NaN" or "[object Object]" standing in for a value (unless the input itself held
 * that text), at most `maxLength` characters. `input` is the text of what was given.
 */
export function expectOneLineError(error: unknown, input: string, maxLength = 1200): void {
  if (!(error instanceof NnxError)) {
    throw new Error(`expected an NnxError for ${input.slice(0, 300)}, got ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  const message = error.message;
  expect(message, 'message has a line break').not.toMatch(/[\n\r]/);
  expect(message, 'message carries a stack frame').not.toMatch(/\bat .*:\d+:\d+/);
  expect(message.length, `message longer than ${maxLength}: ${message.slice(0, 200)}…`).toBeLessThanOrEqual(maxLength);
  for (const word of ['undefined', 'NaN', '[object Object]']) {
    if (!input.includes(word)) expect(message, `message says ${word}`).not.toContain(word);
  }
}

/** Runs `fn`, returning its result or the error it threw, and asserts it took at most `maxMs` (a hang shows as a slow case). */
export function timed<T>(fn: () => T, maxMs: number, what: string): { value?: T; error?: unknown } {
  const started = performance.now();
  let out: { value?: T; error?: unknown };
  try {
    out = { value: fn() };
  } catch (error) {
    out = { error };
  }
  const ms = performance.now() - started;
  expect(ms, `${what} took ${ms.toFixed(0)} ms`).toBeLessThanOrEqual(maxMs);
  return out;
}

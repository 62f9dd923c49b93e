/** The graph drawing's d3-force layout: deterministic, inside the box, neighbours drawn close. */
import { describe, expect, test } from 'vitest';
import { grid, karateClub, ring } from '../../src/analysis/graph_sources.ts';
import { forceLayout } from '../../src/ui/graph_layout.ts';

function rows(edgeIndex: Int32Array): [Int32Array, Int32Array] {
  const e = edgeIndex.length / 2;
  return [edgeIndex.subarray(0, e), edgeIndex.subarray(e)];
}

describe('forceLayout', () => {
  test('the same graph always gets the same positions, all inside [0, size]²', () => {
    const g = karateClub();
    const [src, dst] = rows(g.edgeIndex);
    const a = forceLayout(34, src, dst, 440);
    expect(forceLayout(34, src, dst, 440)).toEqual(a);
    for (const [x, y] of a) for (const v of [x, y]) expect(v >= 0 && v <= 440).toBe(true);
    // The longer side spans the box exactly.
    const span = (k: 0 | 1) => Math.max(...a.map((p) => p[k])) - Math.min(...a.map((p) => p[k]));
    expect(Math.max(span(0), span(1))).toBeCloseTo(440, 9);
  });

  test('neighbours are drawn closer than other pairs (karate, a grid, a ring)', () => {
    for (const g of [karateClub(), grid(4, 6), ring(12)]) {
      const [src, dst] = rows(g.edgeIndex);
      const pos = forceLayout(g.numNodes, src, dst);
      const dist = (i: number, j: number) => Math.hypot(pos[i][0] - pos[j][0], pos[i][1] - pos[j][1]);
      const linked = new Set(Array.from(src, (s, e) => s * g.numNodes + dst[e]));
      let near = 0, nearCount = 0, far = 0, farCount = 0;
      for (let i = 0; i < g.numNodes; i++) {
        for (let j = i + 1; j < g.numNodes; j++) {
          if (linked.has(i * g.numNodes + j)) (near += dist(i, j)), nearCount++;
          else (far += dist(i, j)), farCount++;
        }
      }
      expect(near / nearCount, g.name).toBeLessThan(0.5 * (far / farCount));
    }
  });

  test('tiny graphs: one and two nodes sit on the circle, no NaN', () => {
    expect(forceLayout(1, [], [])).toEqual([[0.9, 0.5]]);
    const two = forceLayout(2, [0], [1]);
    expect(two.flat().every(Number.isFinite)).toBe(true);
  });
});

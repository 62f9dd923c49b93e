/** Graph sources (karate club, ring, grid, random, pasted edge lists) and the CSR builder. */
import { describe, expect, test } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { buildMessages, checkEdgeIndex } from '../../src/analysis/graph_csr.ts';
import { grid, karateClub, parseEdgeList, randomGraph, ring } from '../../src/analysis/graph_sources.ts';
import { messagesOf } from '../../src/ops/graph_common.ts';

describe('graph sources', () => {
  test("Zachary's karate club: 34 nodes, 78 friendships (156 directed edges), two factions", () => {
    const g = karateClub();
    expect([g.numNodes, g.numEdges]).toEqual([34, 156]);
    expect(g.labels!.filter((l) => l === 'Mr. Hi')).toHaveLength(17);
    const deg = new Array(34).fill(0);
    for (let k = 0; k < g.numEdges; k++) deg[g.edgeIndex[k]]++;
    expect(deg[0]).toBe(16);
    expect(deg[33]).toBe(17);
  });

  test('ring and grid sizes', () => {
    expect(ring(5).numEdges).toBe(10);
    const gr = grid(3, 4);
    expect([gr.numNodes, gr.numEdges]).toEqual([12, 2 * (3 * 3 + 2 * 4)]);
    expect(() => ring(2)).toThrow(/ring: number of nodes must be a whole number >= 3, got 2/);
  });

  test('seeded random graphs are reproducible, simple and sized as asked', () => {
    const a = randomGraph(100, 300, 7);
    expect(a.numEdges).toBe(600);
    expect(Array.from(randomGraph(100, 300, 7).edgeIndex)).toEqual(Array.from(a.edgeIndex));
    expect(Array.from(randomGraph(100, 300, 8).edgeIndex)).not.toEqual(Array.from(a.edgeIndex));
    const keys = new Set<string>();
    for (let k = 0; k < a.numEdges; k++) {
      expect(a.edgeIndex[k]).not.toBe(a.edgeIndex[a.numEdges + k]);
      keys.add(`${a.edgeIndex[k]},${a.edgeIndex[a.numEdges + k]}`);
    }
    expect(keys.size).toBe(600);
    expect(() => randomGraph(4, 7)).toThrow(/7 edges do not fit in 4 nodes \(at most 6 undirected pairs\)/);
  });

  test('a pasted edge list: comments, blank lines, commas and tabs', () => {
    const g = parseEdgeList('# friends\n0 1\n\n1,2\n2\t0  # back\n');
    expect(g.numNodes).toBe(3);
    expect(Array.from(g.edgeIndex)).toEqual([0, 1, 2, 1, 2, 0]);
    expect(parseEdgeList('0 1', { undirected: true, numNodes: 4 }).numEdges).toBe(2);
  });

  test.each([
    ['0 1\n1 2 3\n', /edge list: line 2 "1 2 3": expected two node indices "src dst", got 3 fields/],
    ['0 1\n1 x\n', /edge list: line 2 "1 x": "x" is not a node index \(a whole number >= 0\)/],
    ['0 -1\n', /line 1 "0 -1": "-1" is not a node index/],
    ['0 1.5\n2\n', /line 1 "0 1.5": "1.5" is not a node index .* \(and 1 more bad line\)/],
    ['# nothing\n', /edge list: no edges found/],
  ])('bad edge list %j', (text, message) => {
    expect(() => parseEdgeList(text)).toThrow(InputError);
    expect(() => parseEdgeList(text)).toThrow(message);
  });

  test('an index beyond numNodes names the line', () => {
    expect(() => parseEdgeList('0 1\n3 9\n', { numNodes: 5 })).toThrow(/line 2 "3 9": node 9 is out of range for 5 nodes \(indices 0 to 4\)/);
  });
});

describe('CSR builder', () => {
  test('self loops replaced, duplicates kept, PyG message order, both groupings', () => {
    // edges: 0→1, 1→1 (loop), 0→1 (dup), 2→0
    const g = buildMessages([0, 1, 0, 2, 1, 1, 1, 0], 4, 3, true);
    expect(Array.from(g.src)).toEqual([0, 0, 2, 0, 1, 2]);
    expect(Array.from(g.dst)).toEqual([1, 1, 0, 0, 1, 2]);
    expect(Array.from(g.rowPtr)).toEqual([0, 2, 5, 6]);
    expect(Array.from(g.byTarget)).toEqual([2, 3, 0, 1, 4, 5]);
    expect(Array.from(g.colPtr)).toEqual([0, 3, 4, 6]);
    expect(Array.from(g.bySource)).toEqual([0, 1, 3, 4, 2, 5]);
    const kept = buildMessages([0, 1, 1, 1], 2, 2, false);
    expect(Array.from(kept.src)).toEqual([0, 1]);
  });

  test('edge_index checks name the entry and the numbers', () => {
    expect(() => checkEdgeIndex('gcn', [2, 2], [0, 5, 1, 1], 3)).toThrow('gcn: edge_index[0][1] = 5 is out of range: x has 3 nodes, so indices run from 0 to 2');
    expect(() => checkEdgeIndex('gat', [2, 1], [0, -2], 3)).toThrow('gat: edge_index[1][0] = -2 is negative; node indices run from 0 to 2 (x has 3 nodes)');
    expect(() => checkEdgeIndex('sage', [4], [0, 1, 1, 2], 3)).toThrow('sage: edge_index must have shape [2, E] (row 0 sources, row 1 targets), got [4]');
  });

  test('the messages of an edge array are built once per array, rebuilt when it is edited in place, and still checked', () => {
    const g = ring(6);
    const edgeIndex = { shape: [2, g.numEdges], dtype: 'int32' as const, data: g.edgeIndex };
    const first = messagesOf('gcn', edgeIndex, 6, true);
    expect(messagesOf('gcn', edgeIndex, 6, true)).toBe(first);
    expect(messagesOf('gcn', edgeIndex, 6, false)).not.toBe(first);
    const again = messagesOf('gcn', edgeIndex, 6, true);
    expect(again).not.toBe(first);
    expect(Array.from(again.src)).toEqual(Array.from(first.src));
    g.edgeIndex[0] = 3;
    const edited = messagesOf('gcn', edgeIndex, 6, true);
    expect(edited.src[0]).toBe(3);
    expect(Array.from(edited.dst)).toEqual(Array.from(buildMessages(g.edgeIndex, g.numEdges, 6, true).dst));
    g.edgeIndex[0] = 9;
    expect(() => messagesOf('gcn', edgeIndex, 6, true)).toThrow(/edge_index\[0\]\[0\] = 9 is out of range: x has 6 nodes/);
  });
});


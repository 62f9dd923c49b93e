/** `nnx run gcn|gat|sage` on bad graphs: exit code 1 and one line naming the problem and the numbers. */
import { describe, test } from 'vitest';
import { expectRejects, filledTensor, useInProcessNnx } from './nnx_cli.ts';

const t = filledTensor;
const ei = (shape: number[], data: number[]) => ({ shape, data, dtype: 'int32' });
const gcn = (edgeIndex: unknown, attrs = {}) => ({ op: 'gcn', attrs, inputs: { x: t([4, 3]), edge_index: edgeIndex, weight: t([2, 3]), bias: t([2]) } });

const cases: [string, unknown, RegExp][] = [
  ['edge index out of range', gcn(ei([2, 3], [0, 1, 2, 1, 4, 3])), /gcn: edge_index\[1\]\[1\] = 4 is out of range: x has 4 nodes, so indices run from 0 to 3/],
  ['negative edge index', gcn(ei([2, 2], [0, -1, 1, 2])), /gcn: edge_index\[0\]\[1\] = -1 is negative; node indices run from 0 to 3/],
  ['edge_index of the wrong shape', gcn(ei([3, 2], [0, 1, 1, 2, 2, 3])), /gcn: edge_index must have shape \[2, E\] \(row 0 sources, row 1 targets\), got \[3, 2\]/],
  ['float edge_index', gcn({ shape: [2, 1], data: [0, 1], dtype: 'float32' }), /edge_index: expected dtype int32, got float32/],
  ['self loops without normalization', gcn(ei([2, 1], [0, 1]), { normalize: false, add_self_loops: true }), /gcn: add_self_loops=true needs normalize=true/],
  ['gat heads not dividing weight rows', { op: 'gat', attrs: { heads: 3 }, inputs: { x: t([3, 2]), edge_index: ei([2, 1], [0, 1]), weight: t([4, 2]), att_src: t([1, 3, 1]), att_dst: t([1, 3, 1]) } }, /gat: weight has 4 rows, not a multiple of heads = 3/],
  ['gat att_src shape', { op: 'gat', attrs: { heads: 2 }, inputs: { x: t([3, 2]), edge_index: ei([2, 1], [0, 1]), weight: t([4, 2]), att_src: t([2, 2]), att_dst: t([1, 2, 2]) } }, /gat: att_src must have shape \[1, 2, 2\] \(1, heads, out_channels\), got \[2, 2\]/],
  ['sage aggr max', { op: 'sage', attrs: { aggr: 'max' }, inputs: { x: t([3, 2]), edge_index: ei([2, 1], [0, 1]), weight_l: t([4, 2]), weight_r: t([4, 2]) } }, /sage: aggr must be "mean"/],
  ['sage weight_r missing', { op: 'sage', inputs: { x: t([3, 2]), edge_index: ei([2, 1], [0, 1]), weight_l: t([4, 2]) } }, /sage: root_weight=true needs weight_r/],
];

describe('nnx run rejects bad graphs with one clear line', () => {
  const cli = useInProcessNnx();

  test.each(cases)('%s', async (_name, spec, message) => {
    expectRejects(await cli(['run', '-'], JSON.stringify(spec)), message);
  });
});

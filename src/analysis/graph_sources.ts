/**
 * Graphs to run the graph ops on: Zachary's karate club, rings, grids, seeded random graphs and
 * a pasted edge list. Each gives PyG's `edge_index` [2, E] (row 0 sources, row 1 targets);
 * an undirected edge is listed in both directions, as PyG's datasets do.
 */
import { mulberry32 } from './random.ts';
import { InputError } from './errors.ts';

/** A graph ready for the graph ops. */
export interface GraphData {
  name: string;
  numNodes: number;
  /** Flat [2, E]: sources then targets. */
  edgeIndex: Int32Array;
  numEdges: number;
  /** Optional per-node labels (the karate club's two factions). */
  labels?: string[];
}

function fromPairs(name: string, numNodes: number, pairs: [number, number][], undirected: boolean, labels?: string[]): GraphData {
  const e = undirected ? 2 * pairs.length : pairs.length;
  const edgeIndex = new Int32Array(2 * e);
  let k = 0;
  for (const [a, b] of pairs) {
    edgeIndex[k] = a;
    edgeIndex[e + k++] = b;
    if (undirected) {
      edgeIndex[k] = b;
      edgeIndex[e + k++] = a;
    }
  }
  return { name, numNodes, edgeIndex, numEdges: e, ...(labels ? { labels } : {}) };
}

/**
 * Zachary's karate club (W. W. Zachary, "An Information Flow Model for Conflict and Fission in
 * Small Groups", J. Anthropological Research 33, 452–473, 1977): 34 members, 78 friendships.
 * The adjacency rows are the ones NetworkX and graphology-generators (social/karate-club) ship.
 */
const KARATE_ROWS = [
  '0111111110111100010101000000000100', '1011000100000100010101000000001000', '1101000111000100000000000001100010',
  '1110000100001100000000000000000000', '1000001000100000000000000000000000', '1000001000100000100000000000000000',
  '1000110000000000100000000000000000', '1111000000000000000000000000000000', '1010000000000000000000000000001011',
  '0010000000000000000000000000000001', '1000110000000000000000000000000000', '1000000000000000000000000000000000',
  '1001000000000000000000000000000000', '1111000000000000000000000000000001', '0000000000000000000000000000000011',
  '0000000000000000000000000000000011', '0000011000000000000000000000000000', '1100000000000000000000000000000000',
  '0000000000000000000000000000000011', '1100000000000000000000000000000001', '0000000000000000000000000000000011',
  '1100000000000000000000000000000000', '0000000000000000000000000000000011', '0000000000000000000000000101010011',
  '0000000000000000000000000101000100', '0000000000000000000000011000000100', '0000000000000000000000000000010001',
  '0010000000000000000000011000000001', '0010000000000000000000000000000101', '0000000000000000000000010010000011',
  '0100000010000000000000000000000011', '1000000000000000000000001100100011', '0010000010000011001010110000011101',
  '0000000011000111001110110011111110',
];
const KARATE_MR_HI = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 16, 17, 19, 21]);

/** The karate club: 34 nodes, 78 undirected edges = 156 directed; labels "Mr. Hi" / "Officer". */
export function karateClub(): GraphData {
  const pairs: [number, number][] = [];
  for (let i = 0; i < KARATE_ROWS.length; i++) {
    for (let j = i + 1; j < KARATE_ROWS.length; j++) if (KARATE_ROWS[i][j] === '1') pairs.push([i, j]);
  }
  const labels = KARATE_ROWS.map((_, i) => (KARATE_MR_HI.has(i) ? 'Mr. Hi' : 'Officer'));
  return fromPairs('karate_club', 34, pairs, true, labels);
}

function checkCount(what: string, n: number, min: number): void {
  if (!Number.isInteger(n) || n < min) throw new InputError(`${what} must be a whole number >= ${min}, got ${n}`);
}

/** A cycle 0–1–…–(n−1)–0, undirected (n >= 3). */
export function ring(n: number): GraphData {
  checkCount('ring: number of nodes', n, 3);
  return fromPairs(`ring_${n}`, n, Array.from({ length: n }, (_, i) => [i, (i + 1) % n] as [number, number]), true);
}

/** A rows×cols 4-neighbour lattice, node r·cols + c, undirected. */
export function grid(rows: number, cols: number): GraphData {
  checkCount('grid: rows', rows, 1);
  checkCount('grid: cols', cols, 1);
  const pairs: [number, number][] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (c + 1 < cols) pairs.push([r * cols + c, r * cols + c + 1]);
      if (r + 1 < rows) pairs.push([r * cols + c, (r + 1) * cols + c]);
    }
  }
  return fromPairs(`grid_${rows}x${cols}`, rows * cols, pairs, true);
}

/**
 * A seeded Erdős–Rényi G(n, m) graph: m distinct node pairs without self loops, chosen
 * uniformly; undirected (2m directed edges) unless `directed`. O(m) time and memory.
 */
export function randomGraph(n: number, m: number, seed = 0, directed = false): GraphData {
  checkCount('random graph: number of nodes', n, 2);
  checkCount('random graph: number of edges', m, 0);
  const possible = directed ? n * (n - 1) : (n * (n - 1)) / 2;
  if (m > possible) throw new InputError(`random graph: ${m} edges do not fit in ${n} nodes (at most ${possible} ${directed ? 'directed' : 'undirected'} pairs)`);
  const next = mulberry32(seed);
  const seen = new Set<number>();
  const pairs: [number, number][] = [];
  while (pairs.length < m) {
    let a = Math.floor(next() * n);
    let b = Math.floor(next() * n);
    if (a === b) continue;
    if (!directed && a > b) [a, b] = [b, a];
    const key = a * n + b;
    if (seen.has(key)) continue;
    seen.add(key);
    pairs.push([a, b]);
  }
  return fromPairs(`random_${n}_${m}_seed${seed}`, n, pairs, !directed);
}

/**
 * Parses a pasted edge list: one `src dst` per line (whitespace, comma or tab separated),
 * blank lines and `#` comments ignored. Edges are directed as written unless `undirected`.
 * The node count is `numNodes` when given (indices must be below it), else the largest index + 1.
 * Bad lines raise one InputError naming the first bad line, its text and how many lines are bad.
 */
export function parseEdgeList(text: string, options: { numNodes?: number; undirected?: boolean; name?: string } = {}): GraphData {
  const pairs: [number, number][] = [];
  const problems: string[] = [];
  let maxIndex = -1;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const where = `line ${i + 1} ${JSON.stringify(raw.trim())}`;
    const fields = line.split(/[\s,]+/);
    if (fields.length !== 2) {
      problems.push(`${where}: expected two node indices "src dst", got ${fields.length} field${fields.length === 1 ? '' : 's'}`);
      return;
    }
    const ids = fields.map((f) => (/^\d+$/.test(f) ? Number(f) : NaN));
    const bad = fields.find((_, k) => !Number.isSafeInteger(ids[k]));
    if (bad !== undefined) {
      problems.push(`${where}: ${JSON.stringify(bad)} is not a node index (a whole number >= 0)`);
      return;
    }
    if (options.numNodes !== undefined && Math.max(ids[0], ids[1]) >= options.numNodes) {
      problems.push(`${where}: node ${Math.max(ids[0], ids[1])} is out of range for ${options.numNodes} nodes (indices 0 to ${options.numNodes - 1})`);
      return;
    }
    maxIndex = Math.max(maxIndex, ids[0], ids[1]);
    pairs.push([ids[0], ids[1]]);
  });
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more bad line${problems.length > 2 ? 's' : ''})` : '';
    throw new InputError(`edge list: ${problems[0]}${more}`);
  }
  if (pairs.length === 0 && options.numNodes === undefined) throw new InputError('edge list: no edges found (one "src dst" pair per line)');
  const numNodes = options.numNodes ?? maxIndex + 1;
  if (maxIndex >= 0 && maxIndex > 2147483646) throw new InputError(`edge list: node index ${maxIndex} does not fit in int32`);
  return fromPairs(options.name ?? 'edge_list', numNodes, pairs, options.undirected ?? false);
}

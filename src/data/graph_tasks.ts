/**
 * Node classification on graphs:
 * - Zachary's karate club with its two factions after the split (the `club` attribute NetworkX
 *   ships, "Mr. Hi" = 0 / "Officer" = 1: Zachary 1977, as typed in src/analysis/graph_sources.ts),
 *   one-hot node features (34) as in Kipf & Welling's example; a few nodes per faction are
 *   labelled for training, the rest are the test set.
 * - a stochastic block model at any size: K planted communities of equal size, a fixed number
 *   of distinct random edges inside communities and across them (the G(n, m) form of the
 *   planted-partition model), features = one-hot community + N(0, noise²) per entry.
 */
import { InputError } from '../analysis/errors.ts';
import { karateClub } from '../analysis/graph_sources.ts';
import { mulberry32 } from '../analysis/random.ts';
import { normalStream } from '../ops/executor/init.ts';
import type { GraphDataset } from './dataset.ts';

/** `perClass` nodes of each class, chosen with the seed, for training; every other node for testing. */
function splitNodes(labels: Int32Array, numClasses: number, perClass: number, random: () => number): { trainMask: Int32Array; testMask: Int32Array } {
  const trainMask = new Int32Array(labels.length);
  for (let c = 0; c < numClasses; c++) {
    const members = [...labels.keys()].filter((v) => labels[v] === c);
    for (let k = 0; k < perClass; k++) {
      const j = k + Math.floor(random() * (members.length - k));
      [members[k], members[j]] = [members[j], members[k]];
      trainMask[members[k]] = 1;
    }
  }
  return { trainMask, testMask: trainMask.map((m) => 1 - m) };
}

/** The karate club, 2 classes, `perClass` (default 3) labelled training nodes per faction chosen with `seed`. */
export function karateTask(options: { perClass?: number; seed?: number } = {}): GraphDataset {
  const g = karateClub();
  const labels = Int32Array.from(g.labels!, (l) => (l === 'Mr. Hi' ? 0 : 1));
  const perClass = options.perClass ?? 3;
  const features = new Float32Array(34 * 34);
  for (let v = 0; v < 34; v++) features[v * 34 + v] = 1;
  const { trainMask, testMask } = splitNodes(labels, 2, perClass, mulberry32(options.seed ?? 0));
  return {
    kind: 'graph', name: 'karate', task: 'classification', numClasses: 2, numNodes: 34, numFeatures: 34,
    features, edgeIndex: g.edgeIndex, labels, trainMask, testMask,
    description: `Zachary's karate club: 34 nodes, 156 directed edges, one-hot features, factions Mr. Hi (17) / Officer (17); ${2 * perClass} labelled training nodes, ${34 - 2 * perClass} test nodes`,
  };
}

/** Options of the stochastic block model (defaults: 4 communities, inside degree 8, across degree 2, noise 1, 20 training nodes per community). */
export interface SbmOptions {
  communities?: number;
  degreeInside?: number;
  degreeAcross?: number;
  noise?: number;
  perClass?: number;
  seed?: number;
}

/** A stochastic block model with V nodes: undirected edges listed both ways, as PyG does. */
export function stochasticBlockModel(numNodes: number, options: SbmOptions = {}): GraphDataset {
  const k = options.communities ?? 4;
  if (!Number.isInteger(numNodes) || numNodes < 2 * k) throw new InputError(`sbm: the node count must be an integer >= ${2 * k} (two per community), got ${numNodes}`);
  const noise = options.noise ?? 1;
  const random = mulberry32(options.seed ?? 0);
  const start = (c: number) => Math.floor((c * numNodes) / k);
  const labels = new Int32Array(numNodes);
  for (let c = 0; c < k; c++) labels.fill(c, start(c), start(c + 1));
  const smallest = Math.min(...Array.from({ length: k }, (_, c) => start(c + 1) - start(c)));
  const pairs = new Set<number>();
  const addPairs = (count: number, inside: boolean, available: number) => {
    const target = pairs.size + Math.min(count, available);
    while (pairs.size < target) {
      const a = Math.floor(random() * numNodes);
      const c = labels[a];
      const b = inside ? start(c) + Math.floor(random() * (start(c + 1) - start(c))) : Math.floor(random() * numNodes);
      if (a === b || (labels[b] === c) !== inside) continue;
      pairs.add(Math.min(a, b) * numNodes + Math.max(a, b));
    }
  };
  const possibleInside = Array.from({ length: k }, (_, c) => start(c + 1) - start(c)).reduce((s, n) => s + (n * (n - 1)) / 2, 0);
  addPairs(Math.round((numNodes * (options.degreeInside ?? 8)) / 2), true, possibleInside);
  const insideEdges = pairs.size;
  addPairs(Math.round((numNodes * (options.degreeAcross ?? 2)) / 2), false, (numNodes * (numNodes - 1)) / 2 - possibleInside);
  const e = 2 * pairs.size;
  const edgeIndex = new Int32Array(2 * e);
  let at = 0;
  for (const key of pairs) {
    const a = Math.floor(key / numNodes);
    const b = key % numNodes;
    edgeIndex[at] = a;
    edgeIndex[e + at++] = b;
    edgeIndex[at] = b;
    edgeIndex[e + at++] = a;
  }
  const features = new Float32Array(numNodes * k);
  const normal = normalStream(random);
  for (let v = 0; v < numNodes; v++) for (let j = 0; j < k; j++) features[v * k + j] = (j === labels[v] ? 1 : 0) + noise * normal();
  const perClass = Math.min(options.perClass ?? 20, Math.floor(smallest / 2));
  const { trainMask, testMask } = splitNodes(labels, k, perClass, random);
  return {
    kind: 'graph', name: `sbm:${numNodes}`, task: 'classification', numClasses: k, numNodes, numFeatures: k,
    features, edgeIndex, labels, trainMask, testMask,
    description: `stochastic block model: ${numNodes} nodes in ${k} communities, ${insideEdges} edges inside and ${pairs.size - insideEdges} across (each listed both ways: ${e}), features one-hot community + N(0, ${noise}²); ${perClass * k} labelled training nodes, ${numNodes - perClass * k} test nodes`,
  };
}

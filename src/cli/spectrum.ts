import { existsSync, readFileSync } from 'node:fs';
import { InputError } from '../analysis/errors.ts';
import { formatCount, renderTable } from '../analysis/format.ts';
import { grid, karateClub, parseEdgeList, randomGraph, ring, type GraphData } from '../analysis/graph_sources.ts';
import { connectedComponents, eigenvector, graphSpectrum, undirectedEdgeIndex, type GraphSpectrum, type LaplacianKind } from '../analysis/graph_spectrum.ts';
import { stochasticBlockModel } from '../data/graph_tasks.ts';
import { GpuRuntime } from '../kernels/runtime.ts';
import { propagateOnGpu, randomNodeFeatures, smoothingTable, type SmoothingStep } from '../ops/graph_smoothing.ts';
import { writeStdout } from './run.ts';

/** Largest graph given a dense eigendecomposition (O(V³) in float64: about half a minute at 1,000 nodes on this project's 2-core machine). */
export const DENSE_LIMIT = 1000;
/** Random features per node in the smoothing table. */
export const SMOOTHING_FEATURES = 8;

const GRAPH_FORMS = 'karate, ring:N, grid:RxC, gnm:N,M[,SEED], sbm:V or an edge-list file ("src dst" per line)';

export const SPECTRUM_USAGE = `usage: nnx spectrum GRAPH [options]

  GRAPH             ${GRAPH_FORMS}; edges are taken as undirected, self loops and duplicates dropped
  --steps K         propagations of the smoothing table (default 6)
  --renormalized    decompose GCN's L̃ = I − Â, Â = D̃^-½ (A + I) D̃^-½, instead of L = I − D^-½ A D^-½
  --seed S          seed of the random node features (default 0)
  --json            print {num_nodes, num_edges, laplacian, eigenvalues, eigenvectors, fiedler, components,
                    smoothing: [{k, dirichlet_energy, high_frequency_share}]}

The smoothing table propagates ${SMOOTHING_FEATURES} seeded random features per node K times through Â with the
GCN aggregation kernel on the GPU; the Dirichlet energy Σ_f x_fᵀ L̃ x_f / ‖x‖² and the share of ‖x‖² in modes
with λ̃ > 1 are computed in float64 from what the GPU returns. Graphs above ${formatCount(DENSE_LIMIT)} nodes get
no dense eigendecomposition (eigenvalues, eigenvectors, fiedler and high_frequency_share are null).`;

interface SpectrumArgs {
  graph: string;
  steps: number;
  seed: number;
  kind: LaplacianKind;
  json: boolean;
}

function count(flag: string, text: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || v < min || v > max) throw new InputError(`spectrum: ${flag} must be an integer from ${min} to ${formatCount(max)}, got ${JSON.stringify(text ?? '')}`);
  return v;
}

function parseArgs(argv: string[]): SpectrumArgs | null {
  const args: Partial<SpectrumArgs> = { steps: 6, seed: 0, kind: 'normalized', json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') return null;
    else if (a === '--json') args.json = true;
    else if (a === '--renormalized') args.kind = 'renormalized';
    else if (a === '--steps') args.steps = count(a, argv[++i], 0, 1000);
    else if (a === '--seed') args.seed = count(a, argv[++i], 0, 2 ** 32 - 1);
    else if (a.startsWith('--')) throw new InputError(`spectrum: unknown option ${a} (nnx spectrum --help)`);
    else if (args.graph === undefined) args.graph = a;
    else throw new InputError(`spectrum: one GRAPH expected, got ${args.graph} and ${a}`);
  }
  if (args.graph === undefined) throw new InputError(`spectrum: missing GRAPH (${GRAPH_FORMS}; nnx spectrum --help)`);
  return args as SpectrumArgs;
}

function numbersOf(name: string, text: string, arity: number[]): number[] {
  const parts = text.split(/[,x]/);
  if (!arity.includes(parts.length) || parts.some((p) => !/^\d+$/.test(p))) throw new InputError(`spectrum: ${name} needs ${arity.join(' or ')} whole numbers, got ${JSON.stringify(text)}`);
  return parts.map(Number);
}

/** The graph GRAPH names: an edge-list file when one exists at that path, else a built-in form. */
export function graphNamed(name: string): GraphData {
  if (existsSync(name)) {
    let text: string;
    try {
      text = readFileSync(name, 'utf8');
    } catch (e) {
      throw new InputError(`spectrum: cannot read ${name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return parseEdgeList(text, { undirected: true, name });
  }
  const colon = name.indexOf(':');
  const kind = colon < 0 ? name : name.slice(0, colon);
  const rest = name.slice(colon + 1);
  if (name === 'karate') return karateClub();
  if (kind === 'ring') return ring(numbersOf('ring:N', rest, [1])[0]);
  if (kind === 'grid') {
    const [r, c] = numbersOf('grid:RxC', rest, [2]);
    return grid(r, c);
  }
  if (kind === 'gnm') {
    const [n, m, seed] = numbersOf('gnm:N,M[,SEED]', rest, [2, 3]);
    return randomGraph(n, m, seed ?? 0);
  }
  if (kind === 'sbm') {
    const v = numbersOf('sbm:V', rest, [1])[0];
    const ds = stochasticBlockModel(v);
    return { name: ds.name, numNodes: v, edgeIndex: ds.edgeIndex, numEdges: ds.edgeIndex.length / 2 };
  }
  throw new InputError(`spectrum: ${JSON.stringify(name)} is neither a graph name nor a file (${GRAPH_FORMS})`);
}

/** What `nnx spectrum --json` prints. */
export interface SpectrumReport {
  graph: string;
  num_nodes: number;
  /** Undirected edges of the simple graph (self loops and duplicates dropped). */
  num_edges: number;
  laplacian: LaplacianKind;
  eigenvalues: number[] | null;
  eigenvectors: number[][] | null;
  fiedler: number[] | null;
  components: number;
  smoothing: SmoothingStep[];
}

/** The spectrum of a graph and its smoothing table measured on `rt`. */
export async function spectrumReport(rt: GpuRuntime, g: GraphData, args: { steps: number; seed: number; kind: LaplacianKind }): Promise<{ report: SpectrumReport; spectrum: GraphSpectrum | null }> {
  const v = g.numNodes;
  const edges = undirectedEdgeIndex(v, g.edgeIndex);
  const dense = v <= DENSE_LIMIT;
  const spectrum = dense ? graphSpectrum(v, edges, args.kind) : null;
  // The smoothing table's modes are always L̃'s: Â multiplies mode k by exactly 1 − λ̃_k.
  const filterBasis = !dense ? null : args.kind === 'renormalized' ? spectrum : graphSpectrum(v, edges, 'renormalized');
  const x = randomNodeFeatures(v, SMOOTHING_FEATURES, args.seed);
  const states = await propagateOnGpu(rt, v, edges, x, SMOOTHING_FEATURES, args.steps);
  const report: SpectrumReport = {
    graph: g.name,
    num_nodes: v,
    num_edges: edges.length / 4,
    laplacian: args.kind,
    eigenvalues: spectrum ? Array.from(spectrum.eigenvalues) : null,
    eigenvectors: spectrum ? Array.from({ length: v }, (_, k) => Array.from(eigenvector(spectrum.eigenvectors, v, k))) : null,
    fiedler: spectrum && v > 1 ? Array.from(spectrum.fiedler) : null,
    components: spectrum ? spectrum.zeroEigenvalues : connectedComponents(v, edges),
    smoothing: smoothingTable(v, edges, states, SMOOTHING_FEATURES, filterBasis),
  };
  return { report, spectrum };
}

function short(v: number): string {
  if (v === 0) return '0';
  return Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toFixed(4);
}

function nodeList(nodes: number[]): string {
  return nodes.length > 40 ? `${nodes.slice(0, 40).join(' ')} … (${formatCount(nodes.length)})` : nodes.join(' ');
}

/** The report for people. */
export function formatSpectrum(r: SpectrumReport, labels?: string[]): string {
  const lines: string[] = [];
  const name = r.laplacian === 'normalized' ? 'L = I − D^-½ A D^-½' : 'L̃ = I − D̃^-½ (A + I) D̃^-½';
  lines.push(`${r.graph}: ${formatCount(r.num_nodes)} nodes, ${formatCount(r.num_edges)} undirected edges, ${formatCount(r.components)} connected component${r.components === 1 ? '' : 's'}`);
  if (r.eigenvalues && r.fiedler !== null) {
    const ev = r.eigenvalues;
    lines.push(`${name}: ${ev.length} eigenvalues, ascending (multiplicity of 0: ${r.components})`);
    for (let i = 0; i < ev.length && i < 200; i += 10) lines.push(`  ${ev.slice(i, i + 10).map(short).join('  ')}`);
    if (ev.length > 200) lines.push(`  … ${formatCount(ev.length - 200)} more (--json has all)`);
    if (r.components > 1) {
      lines.push('λ₂ = 0: the graph is disconnected, so the Fiedler vector is one more null vector and the components are the split');
    } else {
      const plus = r.fiedler.flatMap((v, i) => (v >= 0 ? [i] : []));
      const minus = r.fiedler.flatMap((v, i) => (v < 0 ? [i] : []));
      lines.push(`Fiedler value λ₂ = ${short(ev[1])}; the signs of its eigenvector split the nodes:`);
      lines.push(`  + (${plus.length}): ${nodeList(plus)}`);
      lines.push(`  − (${minus.length}): ${nodeList(minus)}`);
      if (labels) {
        const agree = labels.filter((l, i) => (r.fiedler![i] >= 0) === (l === labels[0])).length;
        lines.push(`  agrees with the labels (${[...new Set(labels)].join(' / ')}) on ${Math.max(agree, labels.length - agree)} of ${labels.length} nodes`);
      }
    }
  } else if (r.eigenvalues === null) {
    lines.push(`no eigendecomposition: ${formatCount(r.num_nodes)} nodes is above the dense limit of ${formatCount(DENSE_LIMIT)} nodes (O(V³) time, V² memory)`);
  }
  lines.push('');
  lines.push(`Smoothing on the GPU: ${SMOOTHING_FEATURES} random features per node, propagated through Â = D̃^-½ (A + I) D̃^-½ (GCN, no weights)`);
  const rows = [['k', 'Dirichlet energy xᵀL̃x/‖x‖²', 'share in λ̃ > 1']];
  for (const s of r.smoothing) rows.push([String(s.k), short(s.dirichlet_energy), s.high_frequency_share === null ? '-' : `${(100 * s.high_frequency_share).toFixed(2)}%`]);
  lines.push(...renderTable(rows, ['r', 'r', 'r']));
  return lines.join('\n');
}

/** `nnx spectrum`: the Laplacian's eigendecomposition and the GPU smoothing table. */
export async function spectrumCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (!args) {
    console.log(SPECTRUM_USAGE);
    return 0;
  }
  const g = graphNamed(args.graph);
  if (g.numNodes > DENSE_LIMIT) process.stderr.write(`nnx spectrum: ${formatCount(g.numNodes)} nodes is above the dense eigendecomposition limit of ${formatCount(DENSE_LIMIT)} nodes; giving the smoothing table only\n`);
  const rt = await GpuRuntime.create();
  try {
    const { report } = await spectrumReport(rt, g, args);
    await writeStdout(args.json ? `${JSON.stringify(report)}\n` : `${formatSpectrum(report, g.labels)}\n`);
  } finally {
    rt.destroy();
  }
  return 0;
}

import { measureRoofline } from '../kernels/roofline.ts';
import { GpuRuntime } from '../kernels/runtime.ts';
import { median, runBenchCase } from '../ops/bench.ts';
import { runModelBench } from '../ops/bench_model.ts';
import { zooModel } from '../analysis/zoo/index.ts';
import type { ModelSpec } from '../analysis/model_spec.ts';
import { loadOrtWebGpu, ortRun, ortSession, readOnnxManifest } from './peers_ort.ts';
import { fmt, parseBenchArgs, selectCases } from './bench.ts';
import { loadTfjsWebGpu, tfjsCase } from './peers_tfjs.ts';
import { benchTrainSteps, TRAIN_PEER_MODELS, trainStepName, type PeerRow } from './peers_tfjs_train.ts';
import { writeStdout } from './run.ts';

/**
 * `nnx bench-peers` (`npm run bench:peers`): every case through our kernels and through
 * @tensorflow/tfjs-backend-webgpu on the same adapter in this process. Both sides are timed the
 * same way: encode the call, submit, wait for the queue to finish; median over the runs after
 * one warm-up.
 */
export async function benchPeersCommand(argv: string[]): Promise<number> {
  const args = parseBenchArgs(argv);
  // A filter may select ORT cases or training steps only; then no single-kernel case runs.
  const ortNames = (({ models, ops }) => [...Object.keys(models).map((m) => `${m} forward, batch ${ORT_BATCH}`), ...Object.keys(ops)])(readOnnxManifest());
  const peerOnly = args.filter !== null && [...ortNames, ...TRAIN_PEER_MODELS.map(trainStepName)].some((n) => n.toLowerCase().includes(args.filter!.toLowerCase()));
  const { cases, skipped } = peerOnly ? { cases: [], skipped: [] } : selectCases(args);
  const rt = await GpuRuntime.create();
  const tf = await loadTfjsWebGpu();
  const backend = tf.backend() as unknown as { device: GPUDevice; endComputePassEncoder(): void; submitQueue(): void };
  const rows: PeerRow[] = [];
  try {
    const roofline = await measureRoofline(rt);
    for (const c of cases) {
      const ours = await runBenchCase(rt, c, roofline, args.runs);
      const peer = tfjsCase(tf, c);
      let theirs: number | null = null;
      if ('call' in peer) {
        const times: number[] = [];
        for (let i = 0; i < args.runs + 1; i++) {
          const started = performance.now();
          const outputs = peer.call();
          backend.endComputePassEncoder();
          backend.submitQueue();
          await backend.device.queue.onSubmittedWorkDone();
          const elapsed = performance.now() - started;
          tf.dispose(outputs);
          if (i > 0) times.push(elapsed);
        }
        theirs = median(times);
        tf.dispose(peer.inputs);
      }
      rows.push({
        name: c.name, ours_wall_ms: ours.wall_ms, ours_gpu_ms: ours.gpu_ms, fraction_of_peak: ours.fraction_of_peak, tfjs_wall_ms: theirs,
        ratio: theirs === null ? null : ours.wall_ms / theirs, tfjs: 'call' in peer ? peer.note : `no equivalent: ${peer.unsupported}`,
      });
      if (!args.json) process.stderr.write(`  ${c.name}: ours ${fmt(ours.wall_ms, 3)} ms, tfjs ${fmt(theirs, 3)} ms\n`);
    }
    rows.push(...await benchTrainSteps(rt, tf, args.filter, args.runs, { gflops: roofline.gflops, gbps: roofline.gbps }, !args.json));
    const ort = await benchOrt(rt, args.filter, args.runs, !args.json, { gflops: roofline.gflops, gbps: roofline.gbps });
    const adapter = rt.adapter.description || `${rt.adapter.vendor} ${rt.adapter.architecture}`;
    const peak = `${fmt(roofline.gflops)} GFLOP/s FMA, ${fmt(roofline.gbps)} GB/s copy`;
    const percent = (r: PeerRow) => (r.fraction_of_peak === null ? '—' : `${(100 * r.fraction_of_peak).toFixed(1)}%`);
    const ratio = (r: PeerRow) => (r.ratio === null ? '—' : r.ratio.toFixed(2));
    if (args.json) {
      await writeStdout(`${JSON.stringify({ adapter: rt.adapter, peak: { gflops: roofline.gflops, gbps: roofline.gbps }, cases: rows, skipped, ort })}\n`);
    } else if (args.markdown) {
      const lines = [
        `Adapter: ${adapter}; measured peak ${peak}; ${args.runs} runs per case after one warm-up (training steps: two), medians.`,
        '',
        '| case | ours (ms) | tfjs (ms) | ours/tfjs | ours % of peak |',
        '|---|---:|---:|---:|---:|',
        ...rows.map((r) => `| ${r.name} | ${fmt(r.ours_wall_ms, 1)} | ${r.tfjs_wall_ms === null ? r.tfjs : fmt(r.tfjs_wall_ms, 1)} | ${ratio(r)} | ${percent(r)} |`),
      ];
      await writeStdout(`${lines.join('\n')}\n${ortTable(ort, true)}`);
    } else {
      const header = ['case', 'ours wall ms', 'tfjs wall ms', 'ours/tfjs', '% of peak', 'tfjs op'];
      const cells = rows.map((r) => [r.name, fmt(r.ours_wall_ms, 3), fmt(r.tfjs_wall_ms, 3), ratio(r), percent(r), r.tfjs]);
      const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
      const line = (row: string[]) => row.map((cell, i) => (i === 0 || i === 5 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
      await writeStdout(`${[`adapter: ${adapter}`, `peak (measured): ${peak}`, '', line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line), ...skipped.map((s) => `skipped: ${s}`)].join('\n')}\n${ortTable(ort, false)}`);
    }
  } finally {
    rt.destroy();
  }
  return 0;
}

/** One inference case against onnxruntime-web. `ratio` is ours / ORT on wall time. */
interface OrtRow {
  name: string;
  ours_wall_ms: number;
  ort_wall_ms: number;
  ratio: number;
}

/** The ORT rows as a table after the tfjs one. */
function ortTable(rows: OrtRow[], markdown: boolean): string {
  if (rows.length === 0) return '';
  const cells = rows.map((r) => [r.name, fmt(r.ours_wall_ms, 1), fmt(r.ort_wall_ms, 1), r.ratio.toFixed(2)]);
  const title = 'onnxruntime-web 1.30.0, WebGPU EP on the same device (inference; ORT reads its output back, ours does not):';
  if (markdown) return `${['', title, '', '| case | ours (ms) | ORT (ms) | ours/ORT |', '|---|---:|---:|---:|', ...cells.map((c) => `| ${c.join(' | ')} |`)].join('\n')}\n`;
  return `${['', title, ...cells.map((c) => `${c[0].padEnd(40)}  ${c[1].padStart(10)}  ${c[2].padStart(10)}  ${c[3].padStart(6)}`)].join('\n')}\n`;
}

/** Batch of the whole-model inference cases against ORT. */
const ORT_BATCH = 64;

/**
 * Inference side by side with onnxruntime-web's WebGPU EP on our device: the models and single ops
 * PyTorch exported (test/fixtures/onnx). Ours: the executor's forward (batch statistics) or the op's
 * forward; theirs: session.run with the output read back. Medians over `runs` after one warm-up.
 */
async function benchOrt(rt: GpuRuntime, filter: string | null, runs: number, progress: boolean, peak: { gflops: number; gbps: number }): Promise<OrtRow[]> {
  const manifest = readOnnxManifest();
  const wanted = (name: string) => filter === null || name.toLowerCase().includes(filter.toLowerCase());
  const ort = await loadOrtWebGpu(rt.device);
  const rows: OrtRow[] = [];
  const timeOrt = async (file: string, shape: number[]) => {
    const session = await ortSession(ort, rt.device, file);
    const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i));
    const times: number[] = [];
    for (let i = 0; i < runs + 1; i++) {
      const started = performance.now();
      await ortRun(ort, session, x, shape);
      if (i > 0) times.push(performance.now() - started);
    }
    await session.release();
    return median(times);
  };
  for (const [name, m] of Object.entries(manifest.models)) {
    const label = `${name} forward, batch ${ORT_BATCH}`;
    if (!wanted(label)) continue;
    const spec = (m.spec as ModelSpec | undefined) ?? zooModel(name);
    const ours = await runModelBench(rt, spec, { train: false, batch: ORT_BATCH, runs, peak });
    const theirs = await timeOrt(m.file, [ORT_BATCH, ...m.input.slice(1)]);
    rows.push({ name: label, ours_wall_ms: ours.wall_ms, ort_wall_ms: theirs, ratio: ours.wall_ms / theirs });
    if (progress) process.stderr.write(`  ${label}: ours ${fmt(ours.wall_ms, 3)} ms, ORT ${fmt(theirs, 3)} ms\n`);
  }
  for (const [name, o] of Object.entries(manifest.ops)) {
    if (!wanted(name)) continue;
    const ours = await runBenchCase(rt, { name, op: o.op, attrs: o.attrs, shapes: o.shapes, backward: false }, null, runs);
    const theirs = await timeOrt(o.file, o.shapes.x);
    rows.push({ name, ours_wall_ms: ours.wall_ms, ort_wall_ms: theirs, ratio: ours.wall_ms / theirs });
    if (progress) process.stderr.write(`  ${name}: ours ${fmt(ours.wall_ms, 3)} ms, ORT ${fmt(theirs, 3)} ms\n`);
  }
  return rows;
}

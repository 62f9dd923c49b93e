import { currentNodeGpu } from '../kernels/adapter_node.ts';
import { measureRoofline } from '../kernels/roofline.ts';
import { GpuRuntime } from '../kernels/runtime.ts';
import { median, runBenchCase } from '../ops/bench.ts';
import { fmt, parseBenchArgs, selectCases } from './bench.ts';
import { tfjsCase } from './peers_tfjs.ts';
import { writeStdout } from './run.ts';

/** One case measured side by side. `ratio` is ours / theirs on wall time per call. */
interface PeerRow {
  name: string;
  ours_wall_ms: number;
  ours_gpu_ms: number | null;
  fraction_of_peak: number | null;
  tfjs_wall_ms: number | null;
  ratio: number | null;
  tfjs: string;
}

/**
 * `nnx bench-peers` (`npm run bench:peers`): every case through our kernels and through
 * @tensorflow/tfjs-backend-webgpu on the same adapter in this process. Both sides are timed the
 * same way: encode the call, submit, wait for the queue to finish; median over the runs after
 * one warm-up.
 */
export async function benchPeersCommand(argv: string[]): Promise<number> {
  const args = parseBenchArgs(argv);
  const { cases, skipped } = selectCases(args);
  const rt = await GpuRuntime.create();
  const gpu = currentNodeGpu();
  if (gpu) Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true });
  // The union package registers every gradient; the webgpu backend registers itself on import.
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-webgpu');
  await tf.setBackend('webgpu');
  await tf.ready();
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
    const adapter = rt.adapter.description || `${rt.adapter.vendor} ${rt.adapter.architecture}`;
    const peak = `${fmt(roofline.gflops)} GFLOP/s FMA, ${fmt(roofline.gbps)} GB/s copy`;
    const percent = (r: PeerRow) => (r.fraction_of_peak === null ? '—' : `${(100 * r.fraction_of_peak).toFixed(1)}%`);
    const ratio = (r: PeerRow) => (r.ratio === null ? '—' : r.ratio.toFixed(2));
    if (args.json) {
      await writeStdout(`${JSON.stringify({ adapter: rt.adapter, peak: { gflops: roofline.gflops, gbps: roofline.gbps }, cases: rows, skipped })}\n`);
    } else if (args.markdown) {
      const lines = [
        `Adapter: ${adapter}; measured peak ${peak}; ${args.runs} runs per case after one warm-up, medians.`,
        '',
        '| case | ours (ms) | tfjs (ms) | ours/tfjs | ours % of peak |',
        '|---|---:|---:|---:|---:|',
        ...rows.map((r) => `| ${r.name} | ${fmt(r.ours_wall_ms, 1)} | ${r.tfjs_wall_ms === null ? r.tfjs : fmt(r.tfjs_wall_ms, 1)} | ${ratio(r)} | ${percent(r)} |`),
      ];
      await writeStdout(`${lines.join('\n')}\n`);
    } else {
      const header = ['case', 'ours wall ms', 'tfjs wall ms', 'ours/tfjs', '% of peak', 'tfjs op'];
      const cells = rows.map((r) => [r.name, fmt(r.ours_wall_ms, 3), fmt(r.tfjs_wall_ms, 3), ratio(r), percent(r), r.tfjs]);
      const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
      const line = (row: string[]) => row.map((cell, i) => (i === 0 || i === 5 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
      await writeStdout(`${[`adapter: ${adapter}`, `peak (measured): ${peak}`, '', line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line), ...skipped.map((s) => `skipped: ${s}`)].join('\n')}\n`);
    }
  } finally {
    rt.destroy();
  }
  return 0;
}

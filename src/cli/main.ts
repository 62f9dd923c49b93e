import { NnxError } from '../analysis/errors.ts';
import { runCommand } from './run.ts';
import { DeviceLostError } from '../kernels/errors.ts';
import { deviceLossReason } from '../kernels/runtime.ts';

/** "GPU device lost (reason)" when a device of this process was lost, after letting `device.lost` settle. */
async function lostDeviceMessage(): Promise<string | null> {
  await new Promise((resolve) => setTimeout(resolve, 50));
  const reason = deviceLossReason();
  return reason === null ? null : `GPU device lost (${reason})`;
}

const USAGE = `usage: nnx <command> [options]

commands:
  run SPEC.json [--trace] [--explain I,J,...]   run one op on the WebGPU adapter, print JSON
  trace SPEC.json|MODEL [--data FILE|NAME[:index]] [--explain LAYER:i,j,...] [--json]   one batch through every layer, forward and backward, all kept
  summary MODEL|SPEC.json [--input N,C,H,W] [--json]   per-layer params, MACs, FLOPs, memory
  infer MODEL.onnx --input FILE|fashion-mnist:N [--json]   import an ONNX model and run it forward on the GPU
  export SPEC.json|MODEL [--weights FILE] OUT.onnx   write a model and its weights as ONNX (opset 17)
  bench [--json] [--filter TEXT] [--cases FILE.json] [--runs N] [--trace] [--attention fused|unfused]   kernel timings and the adapter's roofline
  bench --model SPEC|ZOO [--train] [--batch N] [--json]   a whole model's forward pass or training step, per layer and kernel
  bench-peers [same options]   the same cases through @tensorflow/tfjs-backend-webgpu, ours/theirs
  diagnose SPEC.json|MODEL [--steps K] [--json]   train K steps on the GPU: gradient flow, verdicts, memory
  train SPEC.json|MODEL [--data FILE] [--steps K] [--optimizer O] [--lr X] [--json]   train on the GPU, every step's loss
  compare TASK [--archs A,B] [--steps K] [--json]   train a line-up (image, sequence, graph) side by side on the GPU
  study NAME [--steps K] [--json] …   a study: data-efficiency, sequence-length, graph-scale (nnx study --help)
  gradcheck [op ...] [--json]   analytic GPU gradients vs central differences, per op and input
  spectrum GRAPH [--steps K] [--renormalized] [--json]   graph Laplacian eigendecomposition, GCN smoothing measured on the GPU
  landscape SPEC.json|MODEL|plain-vs-residual [--grid N] [--span S] [--steps K] [--json]   loss over two filter-normalized directions around trained weights, on the GPU
  tape SPEC.json|MODEL [--data FILE|NAME[:index]] [--json]   the autodiff tape: forward ops, saved tensors and bytes, backward order, fan-out sums
  museum [EXHIBIT ...] [--json]   failure cases run on the GPU beside their fixes: verdicts and evidence (nnx museum --help)
  fuse SPEC.json|MODEL [--input N,C,H,W] [--runs N] [--json]   fold every Conv2d → BatchNorm2d (→ ReLU): fused vs unfused outputs and GPU time
  prune SPEC.json|MODEL [--sparsity 0.5,0.7,0.9] [--structured] [--finetune K] [--json]   prune a trained model: sparsity per layer, params, MACs, test accuracy
  quantize SPEC.json|MODEL --scheme int8|int8-per-channel|fp16|bf16 [--calibrate fashion-mnist:N] [--weights FILE] [--json]   fake-quantize a trained model on the GPU: per-layer error, histograms, size, accuracy drop

'nnx run' reads the spec from stdin when SPEC.json is "-".`;

/** Dispatches a command; errors the user caused print as one line and exit 1. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 1;
  }
  if (command === 'run') return runCommand(rest);
  if (command === 'bench') {
    const { benchCommand } = await import('./bench.ts');
    return benchCommand(rest);
  }
  if (command === 'bench-peers') {
    const { benchPeersCommand } = await import('./bench_peers.ts');
    return benchPeersCommand(rest);
  }
  if (command === 'summary') {
    const { summaryCommand } = await import('./summary.ts');
    await summaryCommand(rest);
    return 0;
  }
  if (command === 'infer') {
    const { inferCommand } = await import('./infer.ts');
    return inferCommand(rest);
  }
  if (command === 'export') {
    const { exportCommand } = await import('./export.ts');
    return exportCommand(rest);
  }
  if (command === 'diagnose') {
    const { diagnoseCommand } = await import('./diagnose.ts');
    return diagnoseCommand(rest);
  }
  if (command === 'train') {
    const { trainCommand } = await import('./train.ts');
    return trainCommand(rest);
  }
  if (command === 'trace') {
    const { traceCommand } = await import('./trace.ts');
    return traceCommand(rest);
  }
  if (command === 'compare') {
    const { compareCommand } = await import('./compare.ts');
    return compareCommand(rest);
  }
  if (command === 'study') {
    const { studyCommand } = await import('./study.ts');
    return studyCommand(rest);
  }
  if (command === 'gradcheck') {
    const { gradcheckCommand } = await import('./gradcheck.ts');
    return gradcheckCommand(rest);
  }
  if (command === 'spectrum') {
    const { spectrumCommand } = await import('./spectrum.ts');
    return spectrumCommand(rest);
  }
  if (command === 'landscape') {
    const { landscapeCommand } = await import('./landscape.ts');
    return landscapeCommand(rest);
  }
  if (command === 'tape') {
    const { tapeCommand } = await import('./tape.ts');
    return tapeCommand(rest);
  }
  if (command === 'museum') {
    const { museumCommand } = await import('./museum.ts');
    return museumCommand(rest);
  }
  if (command === 'fuse') {
    const { fuseCommand } = await import('./fuse.ts');
    return fuseCommand(rest);
  }
  if (command === 'prune') {
    const { pruneCommand } = await import('./prune.ts');
    return pruneCommand(rest);
  }
  if (command === 'quantize') {
    const { quantizeCommand } = await import('./quantize.ts');
    return quantizeCommand(rest);
  }
  throw new NnxError(`unknown command "${command}" (commands: run, summary, bench, bench-peers, diagnose, train, trace, compare, study, gradcheck, spectrum, landscape, tape, museum; nnx --help)`);
}

main(process.argv.slice(2)).then(
  // Exit once stdout has flushed: a pipe takes 64 KiB at a time, and exiting at once cut longer JSON there.
  (code) => process.stdout.write('', () => process.exit(code)),
  async (error: unknown) => {
    // Work on a lost device fails in many ways (a readback, a validation error, a pipeline); they all mean the same.
    const lost = error instanceof DeviceLostError ? error.message : await lostDeviceMessage();
    if (lost) {
      console.error(`nnx: ${lost}; rerun the command`);
      process.exit(1);
    }
    if (error instanceof NnxError) console.error(`nnx: ${error.message}`);
    else console.error(`nnx: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(error instanceof NnxError ? 1 : 2);
  },
);

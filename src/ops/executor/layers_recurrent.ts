/**
 * nn.RNN / nn.LSTM / nn.GRU with num_layers, bidirectional and batch_first, as PyTorch stacks
 * them: each layer and direction runs the one-layer `rnn`/`lstm`/`gru` op; the reverse direction
 * runs on the time-reversed sequence and its output is reversed back; directions are
 * concatenated on the feature dim ([T, N, dirs·H]), which is the next layer's input. Dropout
 * between layers (p > 0, training) applies a seeded mask to each layer's output but the last, as
 * PyTorch does (none in eval); the masks are kept for backward and traced as `dropout_mask.l{k}`. The trace's
 * `grad_h_norm` is ‖∂L/∂h_t‖ per step of the top layer's forward direction.
 */
import type { LayerNode } from '../../analysis/graph.ts';
import type { LayerSpec } from '../../analysis/model_spec.ts';
import { accumulate } from '../../kernels/add.ts';
import { dropoutApply, dropoutMask } from '../../kernels/dropout.ts';
import type { GpuTensor } from '../../kernels/runtime.ts';
import { stridedGather, stridedScatter, type StridedView } from '../../kernels/strided_copy.ts';
import type { OpRun } from '../op.ts';
import { OPS } from '../registry.ts';
import type { LayerImpl } from './layers.ts';
import { dropoutSeed } from './layers_attention.ts';

/** [T, N, F] walked with time reversed. */
const reversedTime = (t: number, n: number, f: number): StridedView => ({ sizes: [t, n, f], strides: [-n * f, f, 1], offset: (t - 1) * n * f });

/** The [T, N, H] block of direction `d` in a [T, N, dirs·H] sequence (time reversed for d = 1). */
function directionView(d: number, t: number, n: number, h: number, dirs: number): StridedView {
  const row = dirs * h;
  return d === 0 ? { sizes: [t, n, h], strides: [n * row, row, 1], offset: 0 } : { sizes: [t, n, h], strides: [-n * row, row, 1], offset: (t - 1) * n * row + h };
}

/** [A, B, F] → [B, A, F] (batch_first ↔ sequence first). */
const swapLeading = (a: number, b: number, f: number): StridedView => ({ sizes: [b, a, f], strides: [f, b * f, 1], offset: 0 });

/** A multi-layer, possibly bidirectional recurrent layer (see the file comment). */
export function stackedRecurrentImpl(layer: LayerSpec, node: LayerNode, unsupported: (why: string) => never): LayerImpl {
  const kind = layer.type.toLowerCase();
  const op = OPS[kind];
  const numLayers = (layer.num_layers as number | undefined) ?? 1;
  const dirs = layer.bidirectional ? 2 : 1;
  const batchFirst = !!layer.batch_first;
  if (((layer.proj_size as number | undefined) ?? 0) !== 0) unsupported(`does not implement proj_size > 0 (got ${layer.proj_size}): use proj_size 0`);
  const dropout = numLayers > 1 ? ((layer.dropout as number | undefined) ?? 0) : 0;
  const hidden = layer.hidden_size as number;
  const inShape = node.inputShapes[0];
  const unbatched = inShape.length === 2;
  const T = unbatched ? inShape[0] : batchFirst ? inShape[1] : inShape[0];
  const N = unbatched ? 1 : batchFirst ? inShape[0] : inShape[1];
  const attrs = kind === 'rnn' && layer.nonlinearity !== undefined ? { nonlinearity: layer.nonlinearity } : {};
  const suffix = (k: number, d: number) => `_l${k}${d === 1 ? '_reverse' : ''}`;
  return {
    module: 'recurrent',
    steps: T,
    async forward(rt, [input], params, _buffers, context) {
      const scratch: GpuTensor[] = [];
      const temp = (label: string, shape: number[]) => {
        const t = rt.tensor(`${kind}.${label}`, shape);
        scratch.push(t);
        return t;
      };
      const features = inShape[inShape.length - 1];
      let x: GpuTensor = { ...input, shape: [T, N, features] };
      if (batchFirst && !unbatched) {
        x = temp('input (sequence first)', [T, N, features]);
        await stridedGather(rt, input, x, swapLeading(N, T, features));
      }
      const runs: { run: OpRun; k: number; d: number; reversedInput: GpuTensor | null }[] = [];
      const layerInputs: GpuTensor[] = [];
      const masks: GpuTensor[] = [];
      for (let k = 0; k < numLayers; k++) {
        const width = x.shape[2];
        layerInputs.push(x);
        const out = dirs === 1 ? null : rt.tensor(`${kind}.layer ${k} output`, [T, N, dirs * hidden]);
        let y: GpuTensor | null = null;
        for (let d = 0; d < dirs; d++) {
          let xd = x;
          let reversedInput: GpuTensor | null = null;
          if (d === 1) {
            reversedInput = temp(`layer ${k} reversed input`, [T, N, width]);
            await stridedGather(rt, x, reversedInput, reversedTime(T, N, width));
            xd = reversedInput;
          }
          const gpuInputs: Record<string, GpuTensor> = { x: xd };
          for (const name of ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']) {
            const p = params[`${name}${suffix(k, d)}`];
            if (p) gpuInputs[name] = p;
          }
          const host = Object.fromEntries(Object.entries(gpuInputs).map(([n, t]) => [n, { shape: t.shape, dtype: t.dtype }]));
          const run = await op.prepare(attrs, host).forward(rt, gpuInputs, { trace: false });
          runs.push({ run, k, d, reversedInput });
          for (const [name, t] of Object.entries(run.outputs)) if (name !== 'y') scratch.push(t);
          scratch.push(...Object.values(run.trace));
          if (dirs === 1) y = run.outputs.y;
          else {
            await stridedScatter(rt, run.outputs.y, out!, directionView(d, T, N, hidden, dirs));
            scratch.push(run.outputs.y);
          }
        }
        x = out ?? y!;
        if (k < numLayers - 1) {
          scratch.push(x);
          if (dropout > 0 && context?.training !== false) {
            const mask = temp(`dropout mask after layer ${k}`, x.shape);
            await dropoutMask(rt, mask, dropout, dropoutSeed(context, `${node.name}#${node.outputStorage} layer ${k}`));
            masks.push(mask);
            const dropped = temp(`layer ${k} output (dropout)`, x.shape);
            await dropoutApply(rt, x, mask, dropped, dropout);
            x = dropped;
          }
        }
      }
      const D = dirs * hidden;
      let output: GpuTensor;
      if (batchFirst && !unbatched) {
        output = rt.tensor(`${kind}.output`, node.outputShape);
        await stridedGather(rt, x, output, swapLeading(T, N, D));
        scratch.push(x);
      } else {
        output = { ...x, shape: [...node.outputShape] };
      }
      const trace: Record<string, GpuTensor> = Object.fromEntries(masks.map((m, k) => [`dropout_mask.l${k}`, m]));
      return {
        output, scratch, trace, updatedBuffers: {},
        async backward(gradOutput) {
          let g: GpuTensor = { ...gradOutput, shape: [T, N, D] };
          if (batchFirst && !unbatched) {
            g = temp('grad output (sequence first)', [T, N, D]);
            await stridedGather(rt, gradOutput, g, swapLeading(N, T, D));
          }
          const paramGrads: Record<string, GpuTensor> = {};
          for (let k = numLayers - 1; k >= 0; k--) {
            const width = layerInputs[k].shape[2];
            let gradIn: GpuTensor | null = null;
            for (let d = dirs - 1; d >= 0; d--) {
              const { run, reversedInput } = runs.find((r) => r.k === k && r.d === d)!;
              let gy = g;
              if (dirs === 2) {
                gy = temp(`layer ${k} grad y${d === 1 ? ' reverse' : ''}`, [T, N, hidden]);
                await stridedGather(rt, g, gy, directionView(d, T, N, hidden, dirs));
              }
              const gradOutputs: Record<string, GpuTensor> = { y: gy };
              for (const [name, t] of Object.entries(run.outputs)) if (name !== 'y') gradOutputs[name] = temp(`grad ${name} (zeros)`, t.shape);
              const grads = await run.backward(gradOutputs);
              for (const name of ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']) if (grads[name]) paramGrads[`${name}${suffix(k, d)}`] = grads[name];
              for (const t of Object.values(run.trace)) if (!scratch.includes(t)) scratch.push(t);
              if (k === numLayers - 1 && d === 0 && run.trace.grad_h_norm) trace.grad_h_norm = run.trace.grad_h_norm;
              let gx = grads.x;
              if (reversedInput) {
                const unreversed = rt.tensor(`${kind}.layer ${k} grad x reverse`, [T, N, width]);
                await stridedGather(rt, gx, unreversed, reversedTime(T, N, width));
                rt.releaseAfterSubmit(gx);
                gx = unreversed;
              }
              if (gradIn) {
                await accumulate(rt, gx, gradIn);
                rt.releaseAfterSubmit(gx);
              } else {
                gradIn = gx;
              }
            }
            if (g.buffer !== gradOutput.buffer && !scratch.includes(g)) rt.releaseAfterSubmit(g);
            g = gradIn!;
            if (k > 0 && dropout > 0) {
              const undropped = rt.tensor(`${kind}.layer ${k - 1} grad output`, g.shape);
              await dropoutApply(rt, g, masks[k - 1], undropped, dropout);
              rt.releaseAfterSubmit(g);
              g = undropped;
            }
          }
          let gradX = g;
          if (batchFirst && !unbatched) {
            gradX = rt.tensor(`${kind}.grad.x`, inShape);
            await stridedGather(rt, g, gradX, swapLeading(T, N, inShape[2]));
            rt.releaseAfterSubmit(g);
          } else {
            gradX = { ...g, shape: [...inShape] };
          }
          return { inputs: [gradX], params: paramGrads };
        },
      };
    },
  };
}


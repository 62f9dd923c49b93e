/**
 * The executor's MoE layer (Mixtral's sparse mixture of experts, see src/analysis/layers/moe.ts):
 * the router `gate` (the linear op), the moe.wgsl router (softmax, top-k, renormalized gates,
 * per-expert token counts, load-balancing loss), the experts (each a plain sequence of
 * executable layers, run through their own layer implementations) and the gated sum.
 *
 * Dispatch is dense: every expert runs on every token and the combine weights the experts not
 * chosen by 0, so outputs and gradients equal the sparse computation's (an unchosen expert gets
 * a zero output gradient, hence zero parameter and input gradients) at E / top_k times the expert
 * FLOPs the analysis counts; fine for the small models trained here, not a fast path.
 * Backward adds router_aux_loss_coef × the load-balancing loss's gradient to the router's.
 * Traces: router_logits, router_probs, expert_indices (int32 [T, top_k]), gates, combine_weights
 * ([T, E], each expert's gate, 0 where not chosen), tokens_per_expert, aux_loss.
 */
import { analyzeModel } from '../../analysis/graph.ts';
import type { LayerNode } from '../../analysis/graph.ts';
import type { LayerSpec } from '../../analysis/model_spec.ts';
import { numel } from '../../analysis/tensor.ts';
import { accumulate } from '../../kernels/add.ts';
import { checkMoeShape, moeCombineBackward, moeCombineForward, moeExpertStats, moeRouterBackward, moeRouterForward, type MoeShape } from '../../kernels/moe.ts';
import type { GpuTensor } from '../../kernels/runtime.ts';
import { OPS } from '../registry.ts';
import { layerImpl, type LayerImpl, type LayerRun } from './layers.ts';

/** MixtralConfig's default router_aux_loss_coef, as the analysis rule states it. */
const DEFAULT_AUX_COEF = 0.001;

/** The MoE layer's implementation from its spec and analysis row. */
export function moeImpl(node: LayerNode, layer: LayerSpec, unsupported: (why: string) => never): LayerImpl {
  const xShape = node.inputShapes[0];
  const d = xShape[xShape.length - 1];
  const tokens = numel(xShape) / d;
  const s: MoeShape = { tokens, experts: layer.num_experts as number, topK: (layer.top_k as number | undefined) ?? 2, features: d };
  const auxCoef = (layer.router_aux_loss_coef as number | undefined) ?? DEFAULT_AUX_COEF;
  checkMoeShape(s);
  const expertSpecs = layer.experts as LayerSpec[];
  const expertGraph = analyzeModel({ input: [tokens, d], layers: expertSpecs });
  if (expertGraph.layers.some((l) => l.container) || expertSpecs.some((l) => l.inputs)) {
    unsupported('runs MoE experts that are a plain sequence of layers (no containers or "inputs" references)');
  }
  const layers = expertSpecs.map((spec, i) => ({ node: expertGraph.layers[i], impl: layerImpl(spec, expertGraph.layers[i]) }));
  const flat = [tokens, d];
  const sliceBytes = 4 * tokens * d;

  return {
    module: 'dense',
    async forward(rt, [x], params, _buffers, context) {
      const x2: GpuTensor = { ...x, shape: flat };
      const router = OPS.linear.prepare({}, { x: { shape: flat, dtype: 'float32' }, weight: { shape: [s.experts, d], dtype: 'float32' } });
      const routerRun = await router.forward(rt, { x: x2, weight: params['gate.weight'] }, { trace: false });
      const logits = routerRun.outputs.output;
      const probs = rt.tensor(`${node.name}.router_probs`, [tokens, s.experts]);
      const indices = rt.tensor(`${node.name}.expert_indices`, [tokens, s.topK], 'int32');
      const gates = rt.tensor(`${node.name}.gates`, [tokens, s.topK]);
      const dense = rt.tensor(`${node.name}.combine_weights`, [tokens, s.experts]);
      const counts = rt.tensor(`${node.name}.tokens_per_expert`, [s.experts]);
      const aux = rt.tensor(`${node.name}.aux_loss`, []);
      await moeRouterForward(rt, s, logits, probs, indices, gates, dense);
      await moeExpertStats(rt, s, probs, indices, counts, aux);

      const outputs = rt.tensor(`${node.name}.expert_outputs`, [s.experts, tokens, d]);
      const expertRuns: LayerRun[][] = [];
      const kept: GpuTensor[] = [];
      for (let e = 0; e < s.experts; e++) {
        const runs: LayerRun[] = [];
        let h = x2;
        for (const { node: ln, impl } of layers) {
          const own = Object.fromEntries(ln.params.map((p) => [p.name, params[`experts.${e}.${ln.name}.${p.name}`]]));
          const run = await impl.forward(rt, [h], own, {}, context);
          runs.push(run);
          kept.push(...run.scratch);
          if (run.output.buffer !== x.buffer) kept.push(run.output);
          h = run.output;
        }
        rt.copy(h.buffer, outputs.buffer, sliceBytes, 0, e * sliceBytes);
        expertRuns.push(runs);
      }
      const y = rt.tensor(`${node.name}.output`, flat);
      await moeCombineForward(rt, s, dense, outputs, y);
      const trace = { router_logits: logits, router_probs: probs, expert_indices: indices, gates, combine_weights: dense, tokens_per_expert: counts, aux_loss: aux };
      const unique = [...new Map([...Object.values(trace), outputs, ...kept].map((t) => [t.buffer, t])).values()];
      return {
        output: { ...y, shape: [...xShape] },
        scratch: unique,
        trace,
        updatedBuffers: {},
        async backward(gradOutput, options) {
          const dy: GpuTensor = { ...gradOutput, shape: flat };
          const gradOutputs = rt.tensor(`${node.name}.grad.expert_outputs`, [s.experts, tokens, d]);
          const gradDense = rt.tensor(`${node.name}.grad.combine_weights`, [tokens, s.experts]);
          await moeCombineBackward(rt, s, dense, outputs, dy, gradOutputs, gradDense);
          const paramGrads: Record<string, GpuTensor> = {};
          let gradX: GpuTensor | null = null;
          for (let e = 0; e < s.experts; e++) {
            let g = rt.tensor(`${node.name}.grad.expert_${e}`, flat);
            rt.copy(gradOutputs.buffer, g.buffer, sliceBytes, e * sliceBytes, 0);
            for (let i = layers.length - 1; i >= 0; i--) {
              const result = await expertRuns[e][i].backward(g);
              for (const [name, pg] of Object.entries(result.params)) paramGrads[`experts.${e}.${layers[i].node.name}.${name}`] = pg;
              const next = result.inputs[0]!;
              if (next.buffer !== g.buffer) rt.releaseAfterSubmit(g);
              g = next;
            }
            if (gradX) {
              await accumulate(rt, g, gradX);
              rt.releaseAfterSubmit(g);
            } else gradX = g;
          }
          const gradLogits = rt.tensor(`${node.name}.grad.router_logits`, [tokens, s.experts]);
          await moeRouterBackward(rt, s, auxCoef, probs, indices, gates, gradDense, counts, gradLogits);
          const routerGrads = await routerRun.backward({ output: gradLogits }, { skip: options?.skipInputs ? ['x'] : [] });
          paramGrads['gate.weight'] = routerGrads.weight;
          if (routerGrads.x) {
            await accumulate(rt, routerGrads.x, gradX!);
            rt.releaseAfterSubmit(routerGrads.x);
          }
          rt.releaseAfterSubmit(gradOutputs, gradDense, gradLogits);
          if (options?.skipInputs) {
            rt.releaseAfterSubmit(gradX!);
            return { inputs: [null], params: paramGrads };
          }
          return { inputs: [{ ...gradX!, shape: [...xShape] }], params: paramGrads };
        },
      };
    },
  };
}

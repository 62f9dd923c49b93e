/**
 * The executor's MoE layer (Mixtral's sparse mixture of experts, see src/analysis/layers/moe.ts):
 * the router `gate` (the linear op), the moe.wgsl router (softmax, top-k, renormalized gates,
 * per-expert token counts, load-balancing loss), then each expert (a plain sequence of
 * executable layers, run through their own layer implementations) on only the tokens routed to
 * it: their rows are gathered, and its output, weighted by the gates, is added into theirs.
 * The chosen experts are read back to the host after the router to size each expert's rows
 * (one synchronization per forward pass). Backward adds router_aux_loss_coef × the
 * load-balancing loss's gradient to the router's; an expert that got no token has zero
 * gradients. Traces: router_logits, router_probs, expert_indices (int32 [T, top_k]), gates,
 * combine_weights ([T, E], each expert's gate, 0 where not chosen), tokens_per_expert, aux_loss.
 */
import { analyzeModel } from '../../analysis/graph.ts';
import type { LayerNode } from '../../analysis/graph.ts';
import type { LayerSpec } from '../../analysis/model_spec.ts';
import { numel } from '../../analysis/tensor.ts';
import {
  checkMoeShape, moeCombineRows, moeCombineRowsBackward, moeExpertStats, moeGatherRows, moeRouterBackward, moeRouterForward, moeScatterAddRows,
  type ExpertRoute, type MoeShape,
} from '../../kernels/moe.ts';
import type { GpuRuntime, GpuTensor } from '../../kernels/runtime.ts';
import { OPS } from '../registry.ts';
import { layerImpl, type LayerContext, type LayerImpl, type LayerRun } from './layers.ts';

/** MixtralConfig's default router_aux_loss_coef, as the analysis rule states it. */
const DEFAULT_AUX_COEF = 0.001;

/** One expert's forward on its routed rows: the route, each layer's run (with its row's name), the output. */
interface ExpertRun {
  route: ExpertRoute;
  layers: { name: string; run: LayerRun }[];
  output: GpuTensor;
}

/** Rows routed to each expert: route values t·top_k + j, in token order. */
function routesByExpert(indices: Int32Array, experts: number): number[][] {
  const routes: number[][] = Array.from({ length: experts }, () => []);
  indices.forEach((e, slot) => routes[e].push(slot));
  return routes;
}

/** The MoE layer's implementation from its spec and analysis row. */
export function moeImpl(node: LayerNode, layer: LayerSpec, unsupported: (why: string) => never): LayerImpl {
  const xShape = node.inputShapes[0];
  const d = xShape[xShape.length - 1];
  const tokens = numel(xShape) / d;
  const s: MoeShape = { tokens, experts: layer.num_experts as number, topK: (layer.top_k as number | undefined) ?? 2, features: d };
  const auxCoef = (layer.router_aux_loss_coef as number | undefined) ?? DEFAULT_AUX_COEF;
  checkMoeShape(s);
  const expertSpecs = layer.experts as LayerSpec[];
  const plain = analyzeModel({ input: [tokens, d], layers: expertSpecs });
  if (plain.layers.some((l) => l.container) || expertSpecs.some((l) => l.inputs)) {
    unsupported('runs MoE experts that are a plain sequence of layers (no containers or "inputs" references)');
  }
  const flat = [tokens, d];
  const expertParams = (e: number) => node.params.filter((p) => p.name.startsWith(`experts.${e}.`));

  /** Runs expert e's layers on its gathered rows (shapes from the analysis of that many rows). */
  async function runExpert(rt: GpuRuntime, e: number, route: ExpertRoute, xe: GpuTensor, params: Record<string, GpuTensor>, context?: LayerContext): Promise<ExpertRun> {
    const graph = analyzeModel({ input: [route.rows, d], layers: expertSpecs });
    const layers: ExpertRun['layers'] = [];
    let h = xe;
    for (let i = 0; i < expertSpecs.length; i++) {
      const ln = graph.layers[i];
      const own = Object.fromEntries(ln.params.map((p) => [p.name, params[`experts.${e}.${ln.name}.${p.name}`]]));
      const run = await layerImpl(expertSpecs[i], ln).forward(rt, [h], own, {}, context);
      layers.push({ name: ln.name, run });
      h = run.output;
    }
    return { route, layers, output: h };
  }

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
      const [chosen] = await rt.read([indices]);
      const routes = routesByExpert(chosen as Int32Array, s.experts);

      const y = rt.tensor(`${node.name}.output`, flat, 'float32', new Float32Array(tokens * d));
      const experts: (ExpertRun | null)[] = [];
      const kept: GpuTensor[] = [];
      for (let e = 0; e < s.experts; e++) {
        if (routes[e].length === 0) {
          experts.push(null);
          continue;
        }
        const route: ExpertRoute = { expert: e, rows: routes[e].length, route: rt.tensor(`${node.name}.route_${e}`, [routes[e].length], 'int32', routes[e]) };
        const xe = rt.tensor(`${node.name}.expert_${e}.input`, [route.rows, d]);
        await moeGatherRows(rt, s, route, x2, xe);
        const run = await runExpert(rt, e, route, xe, params, context);
        await moeCombineRows(rt, s, route, gates, run.output, y);
        kept.push(route.route, xe, ...run.layers.flatMap(({ run: r }) => [r.output, ...r.scratch]));
        experts.push(run);
      }
      const trace = { router_logits: logits, router_probs: probs, expert_indices: indices, gates, combine_weights: dense, tokens_per_expert: counts, aux_loss: aux };
      const scratch = [...new Map([...Object.values(trace), ...kept].map((t) => [t.buffer, t])).values()];
      return {
        output: { ...y, shape: [...xShape] },
        scratch,
        trace,
        updatedBuffers: {},
        async backward(gradOutput, options) {
          const dy: GpuTensor = { ...gradOutput, shape: flat };
          const gradDense = rt.tensor(`${node.name}.grad.combine_weights`, [tokens, s.experts], 'float32', new Float32Array(tokens * s.experts));
          const gradOuts: (GpuTensor | null)[] = [];
          for (const run of experts) {
            if (!run) {
              gradOuts.push(null);
              continue;
            }
            const g = rt.tensor(`${node.name}.grad.expert_${run.route.expert}.output`, [run.route.rows, d]);
            await moeCombineRowsBackward(rt, s, run.route, gates, run.output, dy, g, gradDense);
            gradOuts.push(g);
          }
          const gradLogits = rt.tensor(`${node.name}.grad.router_logits`, [tokens, s.experts]);
          await moeRouterBackward(rt, s, auxCoef, probs, indices, gates, gradDense, counts, gradLogits);
          const routerGrads = await routerRun.backward({ output: gradLogits }, { skip: options?.skipInputs ? ['x'] : [] });
          const gradX = routerGrads.x ?? null;
          const paramGrads: Record<string, GpuTensor> = { 'gate.weight': routerGrads.weight };
          for (let e = 0; e < s.experts; e++) {
            const run = experts[e];
            if (!run) {
              for (const p of expertParams(e)) paramGrads[p.name] = rt.tensor(`${node.name}.grad.${p.name} (no tokens)`, p.shape, 'float32', new Float32Array(numel(p.shape)));
              continue;
            }
            let g = gradOuts[e]!;
            for (let i = run.layers.length - 1; i >= 0; i--) {
              const result = await run.layers[i].run.backward(g);
              for (const [name, pg] of Object.entries(result.params)) paramGrads[`experts.${e}.${run.layers[i].name}.${name}`] = pg;
              const next = result.inputs[0]!;
              if (next.buffer !== g.buffer) rt.releaseAfterSubmit(g);
              g = next;
            }
            if (gradX) await moeScatterAddRows(rt, s, run.route, g, gradX);
            rt.releaseAfterSubmit(g);
          }
          rt.releaseAfterSubmit(gradDense, gradLogits);
          return { inputs: [gradX ? { ...gradX, shape: [...xShape] } : null], params: paramGrads };
        },
      };
    },
  };
}

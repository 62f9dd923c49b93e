import { InputError } from '../errors.ts';
import type { LayerSpec } from '../model_spec.ts';
import { formatShape, numel } from '../tensor.ts';
import { ELEMENTWISE_FLOPS } from './activation.ts';
import { Args, declCount, expectFloat, type LayerRule, type TensorDecl } from './types.ts';

/**
 * MoE {num_experts, top_k=2, experts, router_aux_loss_coef=0.001}: a sparse mixture of experts as Mixtral's
 * MixtralSparseMoeBlock computes it on [..., d]: a router `gate` = Linear(d, num_experts,
 * bias=False), softmax over the experts, the top_k of them per token with their probabilities
 * renormalized to sum to 1, each chosen expert (`experts` is the layer list of one expert,
 * [tokens, d] → [tokens, d]) run on its tokens, and the outputs summed weighted by the gates.
 *
 * Parameters: the router plus num_experts copies of the expert (`experts.0.w1.weight`, …);
 * active parameters (what one token touches): the router plus top_k experts. MACs and FLOPs
 * count the router and top_k experts per token (the expert list is analyzed on the
 * tokens·top_k rows dispatched to experts); FLOPs add the softmax over experts, the
 * renormalization (2 per chosen gate) and the weighted sum (2·top_k − 1 per output element).
 * Autograd keeps the input, router probabilities, chosen indices and gates, what the experts
 * keep, and the experts' outputs (the gates' gradient needs them).
 * Training adds router_aux_loss_coef × Mixtral's load-balancing loss
 * E · Σ_e (tokens routed to e / tokens) · mean_t p(e | t) (MixtralConfig's default coefficient).
 */
export const moe: LayerRule = {
  args: ['num_experts', 'top_k', 'experts', 'router_aux_loss_coef'],
  infer(layer, [x], ctx) {
    const a = new Args(layer, moe.args);
    const numExperts = a.int('num_experts');
    const topK = a.int('top_k', 2);
    a.num('router_aux_loss_coef', 0.001, 0);
    if (topK > numExperts) throw new InputError(`top_k ${topK} is larger than num_experts ${numExperts}`);
    const experts = a.raw('experts');
    if (!Array.isArray(experts) || experts.length === 0) throw new InputError('experts must be a non-empty list of layers (one expert, [tokens, d] → [tokens, d])');
    if (!ctx.analyzeLayers) throw new InputError('experts can only be analyzed inside a model');
    expectFloat(x);
    if (x.shape.length < 2) throw new InputError(`expects an input [..., d] with at least 2 dimensions, got ${formatShape(x.shape)}`);
    const d = x.shape[x.shape.length - 1];
    const tokens = numel(x.shape) / d;
    const routed = tokens * topK;
    let expert;
    try {
      expert = ctx.analyzeLayers(experts as LayerSpec[], { shape: [routed, d], kind: 'float' });
    } catch (error) {
      if (error instanceof InputError) throw new InputError(`expert ${error.message}`);
      throw error;
    }
    if (expert.outputShape.length !== 2 || expert.outputShape[1] !== d) {
      throw new InputError(`an expert must map [tokens, ${d}] to [tokens, ${d}], got ${formatShape(expert.outputShape)} from ${formatShape([routed, d])}`);
    }
    const params: TensorDecl[] = [{ name: 'gate.weight', shape: [numExperts, d] }];
    for (let e = 0; e < numExperts; e++) params.push(...expert.params.map((p) => ({ name: `experts.${e}.${p.name}`, shape: p.shape })));
    const expertParams = declCount(expert.params);
    const routerMacs = tokens * d * numExperts;
    return {
      outputShape: [...x.shape],
      params,
      activeParams: numExperts * d + topK * expertParams,
      macs: routerMacs + expert.macs,
      flops: 2 * routerMacs + tokens * numExperts * ELEMENTWISE_FLOPS.Softmax + 2 * routed + tokens * d * (2 * topK - 1) + expert.flops,
      saved: [
        { what: 'input', input: 0 },
        { what: 'router probabilities', elements: tokens * numExperts, kind: 'float' },
        { what: 'chosen experts', elements: routed, kind: 'int64' },
        { what: 'gates', elements: routed, kind: 'float' },
        { what: 'inside the experts', elements: expert.savedElements, kind: 'float' },
        { what: 'expert outputs', elements: routed * d, kind: 'float' },
      ],
      workspace: routed * d,
      notes: [
        `${numExperts} experts of ${expertParams} parameters, top-${topK} per token: ${numExperts * d + topK * expertParams} of ${declCount(params)} parameters active`,
        `${tokens} tokens → ${routed} expert rows (MACs and FLOPs assume every token runs top_k experts)`,
      ],
    };
  },
};

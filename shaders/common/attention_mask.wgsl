// shaders/common/attention_mask.wgsl: how an attention mask element acts on a score. Modes:
// 1 bool, nonzero = takes part (F.scaled_dot_product_attention); 2 bool, nonzero = masked out
// (nn.MultiheadAttention); 3 float, added to the score; 0 no mask.

const MODE_NONE = 0u;
const MODE_KEEP = 1u;
const MODE_DROP = 2u;
const MODE_ADD = 3u;

// −inf cannot be a constant expression in WGSL, so its bits go through a variable.
fn negInf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

fn applyMask(mode: u32, value: f32, score: f32) -> f32 {
  switch mode {
    case MODE_KEEP: { return select(negInf(), score, value != 0.0); }
    case MODE_DROP: { return select(score, negInf(), value != 0.0); }
    case MODE_ADD: { return score + value; }
    default: { return score; }
  }
}

// conv2d → ReLU → 2×2 max-pool (stride 2) in one pass, for a training step that keeps only what
// backward reads: the pooled values and, per pooled element, the flat index iy·width + ix (in the
// conv output's plane) of its window's first maximum, or −1 where that maximum is not positive
// (ReLU's gradient is 0 there, so the pool's backward routes nothing to it). The conv is 3×3 with
// stride 1 and dilation 1; its weights come packed by conv2d_blocked.wgsl's pack_weights (vec4s of
// 4 output channels per group, input channel, tap and block). One invocation computes 2 conv rows
// × 8 pixels × 4 output channels (slide_rows.wgsl's twoRows3x3) and writes the 4 pooled columns
// × 4 channels they cover.

@group(0) @binding(1) var<storage, read> source: array<f32>;
@group(0) @binding(2) var<storage, read> packed: array<vec4f>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> pooled: array<f32>;
@group(0) @binding(5) var<storage, read_write> winners: array<i32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let pooledH = p.outHeight / 2u;
  let pooledW = p.outWidth / 2u;
  let runs = (pooledW + 3u) / 4u;
  let q = gid.x + gid.y * groups.x * 64u;
  if (q >= p.batch * pooledH * runs) {
    return;
  }
  let px0 = (q % runs) * 4u;
  let py = (q / runs) % pooledH;
  let n = q / (runs * pooledH);
  let inGroup = inPerGroup();
  let outGroup = outPerGroup();
  let blocks = (outGroup + 3u) / 4u;
  let g = gid.z / blocks;
  let b = gid.z % blocks;
  let oy = 2u * py;
  let ox = 2u * px0;
  let block = twoRows3x3(n, g * inGroup, inGroup, p.inChannels, p.inHeight, p.inWidth, blocks, b,
    i32(oy) - i32(p.padTop), i32(ox) - i32(p.padLeft));
  let top = block.top;
  let bottom = block.bottom;
  var biasV = vec4f(0.0);
  if (p.hasBias != 0u) {
    for (var lane = 0u; lane < 4u; lane++) {
      if (4u * b + lane < outGroup) {
        biasV[lane] = bias[g * outGroup + 4u * b + lane];
      }
    }
  }
  let tops = array<vec4f, 8>(top.p0, top.p1, top.p2, top.p3, top.p4, top.p5, top.p6, top.p7);
  let bottoms = array<vec4f, 8>(bottom.p0, bottom.p1, bottom.p2, bottom.p3, bottom.p4, bottom.p5, bottom.p6, bottom.p7);
  let first = g * outGroup + 4u * b;
  let count = min(4u, outGroup - 4u * b);
  for (var j = 0u; j < min(4u, pooledW - px0); j++) {
    // The window in PyTorch's scan order; NaN wins, else the first strictly greater value.
    let candidates = array<vec4f, 4>(relu4(tops[2u * j] + biasV), relu4(tops[2u * j + 1u] + biasV),
      relu4(bottoms[2u * j] + biasV), relu4(bottoms[2u * j + 1u] + biasV));
    var best = candidates[0];
    var which = vec4u(0u);
    for (var k = 1u; k < 4u; k++) {
      let c = candidates[k];
      let take = ((c > best) | (c != c)) & (best == best);
      best = select(best, c, take);
      which = select(which, vec4u(k), take);
    }
    let flat = vec4i((vec4u(oy) + which / 2u) * p.outWidth + vec4u(ox + 2u * j) + which % 2u);
    let index = select(vec4i(-1), flat, best > vec4f(0.0));
    let o = ((n * p.outChannels + first) * pooledH + py) * pooledW + px0 + j;
    for (var lane = 0u; lane < count; lane++) {
      pooled[o + lane * pooledH * pooledW] = best[lane];
      winners[o + lane * pooledH * pooledW] = index[lane];
    }
  }
}

// float32 → float16 → float32 and float32 → bfloat16 → float32 round trips on the bits, round to
// nearest even, as `x.half().float()` and `x.bfloat16().float()` in PyTorch. Integer arithmetic
// only: SwiftShader has no `shader-f16`, and it flushes f32 subnormals, which the bits keep.
//   float16: ±inf from 65520 on, normals keep 10 mantissa bits, below 2^-14 the quantum is 2^-24;
//            NaN becomes the quiet NaN with x's sign.
//   bfloat16: PyTorch's round_to_nearest_even: (u + 0x7fff + bit 16 of u) with the low 16 bits
//             cleared (overflow carries into inf); NaN becomes +quiet NaN (0x7fc00000).
// The backward of a round trip is the same round trip of the gradient (autograd casts it back).

struct Params {
  count: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

// The nearest multiple of 2^shift to m (half to even), in units of 2^shift; shift in 1..31.
fn roundShift(m: u32, shift: u32) -> u32 {
  let k = m >> shift;
  let rest = m & ((1u << shift) - 1u);
  let half = 1u << (shift - 1u);
  return k + select(0u, 1u, rest > half || (rest == half && (k & 1u) == 1u));
}

fn float16Bits(u: u32) -> u32 {
  let sign = u & 0x80000000u;
  let a = u & 0x7fffffffu;
  if (a > 0x7f800000u) {
    return sign | 0x7fc00000u;
  }
  if (a >= 0x477ff000u) {
    return sign | 0x7f800000u;
  }
  let exponent = a >> 23u;
  if (exponent >= 113u) {
    return sign | (roundShift(a, 13u) << 13u);
  }
  // Below float16's normals: count quanta of 2^-24 in m · 2^(exponent − 150).
  let m = select(a, (a & 0x007fffffu) | 0x00800000u, exponent > 0u);
  let shift = 126u - max(exponent, 1u);
  if (shift > 25u) {
    return sign;
  }
  let quanta = roundShift(m, shift);
  return sign | bitcast<u32>(f32(quanta) * 5.9604644775390625e-8);
}

fn bfloat16Bits(u: u32) -> u32 {
  if ((u & 0x7fffffffu) > 0x7f800000u) {
    return 0x7fc00000u;
  }
  return (u + 0x7fffu + ((u >> 16u) & 1u)) & 0xffff0000u;
}

@compute @workgroup_size(64)
fn to_float16(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  if (index >= params.count) {
    return;
  }
  y[index] = float16Bits(x[index]);
}

@compute @workgroup_size(64)
fn to_bfloat16(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  if (index >= params.count) {
    return;
  }
  y[index] = bfloat16Bits(x[index]);
}

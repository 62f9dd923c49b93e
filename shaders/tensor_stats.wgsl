// Summary statistics of a tensor for the gradient-flow report, written into a shared stats
// buffer so one small readback serves a whole training step.
//
// `stats` (one workgroup): 8 floats at `offset`: count, non-finite count, max |v|,
// Σ v / max|v|, Σ (v / max|v|)², count of v <= lo or v >= hi, min, max (finite values only).
// Scaling by max |v| keeps Σ v² finite for values up to f32's range.
// `unit_max` (one workgroup per channel of an [outer, channels, inner] view): the largest
// value of each channel at offset + c (a ReLU unit is dead when its maximum is 0).

struct Params {
  outer: u32, channels: u32, inner: u32, offset: u32, lo: f32, hi: f32,
}

const WORKGROUP = 256u;
const BIG = 3.0e38;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> a: array<f32, WORKGROUP>;
var<workgroup> b: array<f32, WORKGROUP>;
var<workgroup> c: array<f32, WORKGROUP>;
var<workgroup> d: array<f32, WORKGROUP>;

fn finite(v: f32) -> bool {
  return v == v && abs(v) <= BIG;
}

@compute @workgroup_size(WORKGROUP)
fn stats(@builtin(local_invocation_index) lid: u32) {
  let n = params.outer * params.channels * params.inner;
  // Pass 1: max |v|, min, max, non-finite and outside counts.
  var amax = 0.0;
  var lo = BIG;
  var hi = -BIG;
  var bad = 0.0;
  var outside = 0.0;
  for (var i = lid; i < n; i += WORKGROUP) {
    let v = values[i];
    if (!finite(v)) {
      bad += 1.0;
      continue;
    }
    amax = max(amax, abs(v));
    lo = min(lo, v);
    hi = max(hi, v);
    if (v <= params.lo || v >= params.hi) {
      outside += 1.0;
    }
  }
  a[lid] = amax;
  b[lid] = lo;
  c[lid] = hi;
  d[lid] = bad;
  workgroupBarrier();
  for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      a[lid] = max(a[lid], a[lid + stride]);
      b[lid] = min(b[lid], b[lid + stride]);
      c[lid] = max(c[lid], c[lid + stride]);
      d[lid] += d[lid + stride];
    }
    workgroupBarrier();
  }
  let scale = a[0];
  let minimum = b[0];
  let maximum = c[0];
  let nonfinite = d[0];
  workgroupBarrier();
  // Pass 2: scaled sum and sum of squares, and the outside count.
  var s = 0.0;
  var sq = 0.0;
  let inv = select(0.0, 1.0 / scale, scale > 0.0);
  for (var i = lid; i < n; i += WORKGROUP) {
    let v = values[i];
    if (finite(v)) {
      let u = v * inv;
      s += u;
      sq += u * u;
    }
  }
  a[lid] = s;
  b[lid] = sq;
  d[lid] = outside;
  workgroupBarrier();
  for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      a[lid] += a[lid + stride];
      b[lid] += b[lid + stride];
      d[lid] += d[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let o = params.offset;
    out[o] = f32(n);
    out[o + 1u] = nonfinite;
    out[o + 2u] = scale;
    out[o + 3u] = a[0];
    out[o + 4u] = b[0];
    out[o + 5u] = d[0];
    out[o + 6u] = minimum;
    out[o + 7u] = maximum;
  }
}

@compute @workgroup_size(WORKGROUP)
fn unit_max(at: WorkgroupItem, @builtin(local_invocation_index) lid: u32) {
  let p = params;
  let ch = itemIndex(at);
  var m = -BIG;
  if (ch < p.channels) {
    for (var j = lid; j < p.outer * p.inner; j += WORKGROUP) {
      let v = values[((j / p.inner) * p.channels + ch) * p.inner + j % p.inner];
      // A NaN counts as alive: it is reported as non-finite instead.
      m = select(max(m, v), BIG, v != v);
    }
  }
  a[lid] = m;
  workgroupBarrier();
  for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      a[lid] = max(a[lid], a[lid + stride]);
    }
    workgroupBarrier();
  }
  if (lid == 0u && ch < p.channels) {
    out[p.offset + ch] = a[0];
  }
}

// shaders/common/slide_rows.wgsl: the register block of the blocked conv kernels: 8 adjacent
// output pixels of a row × 4 channels as 8 vec4 accumulators, fed by a stride-1 row of 3 taps
// whose 10 inputs are loaded once. The kernel declares `source` (the input array), `packed`
// (weights as vec4s of 4 destination channels per source channel, tap and block, as
// conv2d_blocked.wgsl's pack_weights writes them) and the conv2d Params.

/** ReLU of 4 channels with NaN kept, as PyTorch (max() would turn NaN into 0): the blocked kernels' epilogue. */
fn relu4(v: vec4f) -> vec4f {
  return select(vec4f(0.0), v, (v > vec4f(0.0)) | (v != v));
}

/** Column ix clamped into the row, and 1 where it was inside (0 in the padding). */
struct Column {
  index: u32,
  inside: f32,
}

fn column(ix: i32, width: i32) -> Column {
  return Column(u32(clamp(ix, 0, width - 1)), select(0.0, 1.0, ix >= 0 && ix < width));
}

/** The input at a precomputed column of a row, splatted (0 in the padding). */
fn at(row: u32, c: Column) -> vec4f {
  return vec4f(source[row + c.index] * c.inside);
}

/** One vec4 per pixel of a block: 4 channels (accumulators) or one input splatted (operands). */
struct Pixels {
  p0: vec4f, p1: vec4f, p2: vec4f, p3: vec4f, p4: vec4f, p5: vec4f, p6: vec4f, p7: vec4f,
}

/** The 10 inputs of a stride-1 row under 8 pixels' 3-wide windows, splatted. */
struct Window {
  c0: vec4f, c1: vec4f, c2: vec4f, c3: vec4f, c4: vec4f, c5: vec4f, c6: vec4f, c7: vec4f, c8: vec4f, c9: vec4f,
}

/** acc[P] += c[P]·w0 + c[P+1]·w1 + c[P+2]·w2: a row of 3 taps for 8 pixels sliding over 10 inputs. */
fn slideRow(acc: ptr<function, Pixels>, c: Window, w0: vec4f, w1: vec4f, w2: vec4f) {
  (*acc).p0 = fma(c.c2, w2, fma(c.c1, w1, fma(c.c0, w0, (*acc).p0)));
  (*acc).p1 = fma(c.c3, w2, fma(c.c2, w1, fma(c.c1, w0, (*acc).p1)));
  (*acc).p2 = fma(c.c4, w2, fma(c.c3, w1, fma(c.c2, w0, (*acc).p2)));
  (*acc).p3 = fma(c.c5, w2, fma(c.c4, w1, fma(c.c3, w0, (*acc).p3)));
  (*acc).p4 = fma(c.c6, w2, fma(c.c5, w1, fma(c.c4, w0, (*acc).p4)));
  (*acc).p5 = fma(c.c7, w2, fma(c.c6, w1, fma(c.c5, w0, (*acc).p5)));
  (*acc).p6 = fma(c.c8, w2, fma(c.c7, w1, fma(c.c6, w0, (*acc).p6)));
  (*acc).p7 = fma(c.c9, w2, fma(c.c8, w1, fma(c.c7, w0, (*acc).p7)));
}

/** The 10 columns under 8 stride-1 pixels' 3-wide windows starting at column ix0. */
fn windowColumns(ix0: i32, width: i32) -> array<Column, 10> {
  return array<Column, 10>(column(ix0, width), column(ix0 + 1, width), column(ix0 + 2, width), column(ix0 + 3, width),
    column(ix0 + 4, width), column(ix0 + 5, width), column(ix0 + 6, width), column(ix0 + 7, width),
    column(ix0 + 8, width), column(ix0 + 9, width));
}

/** The 10 inputs of a row at precomputed columns, splatted (0 in the padding). */
fn window(row: u32, k: array<Column, 10>) -> Window {
  return Window(at(row, k[0]), at(row, k[1]), at(row, k[2]), at(row, k[3]), at(row, k[4]),
    at(row, k[5]), at(row, k[6]), at(row, k[7]), at(row, k[8]), at(row, k[9]));
}

/** Input row iy of a plane at the precomputed columns, or zeros above or below the plane's `height` rows. */
fn rowWindow(plane: u32, iy: i32, height: u32, width: u32, k: array<Column, 10>) -> Window {
  if (iy < 0 || iy >= i32(height)) {
    return Window();
  }
  return window(plane + u32(iy) * width, k);
}

/** Two adjacent output rows of the same 8 pixels × 4 channels. */
struct TwoRows {
  top: Pixels,
  bottom: Pixels,
}

/**
 * A 3×3 stride-1 correlation for 2 output rows × 8 pixels × destination channels 4b .. 4b + 3:
 * sums over source channels first .. first + count − 1 of sample n (planes of `channels` ×
 * height × width), whose rows iy0 .. iy0 + 3 each feed the top row through kernel row r and the
 * bottom row through kernel row r − 1, so each input row is loaded once for both.
 */
fn twoRows3x3(n: u32, first: u32, count: u32, channels: u32, height: u32, width: u32, blocks: u32, b: u32, iy0: i32, ix0: i32) -> TwoRows {
  let cols = windowColumns(ix0, i32(width));
  var top = Pixels();
  var bottom = Pixels();
  for (var i = 0u; i < count; i++) {
    let plane = (n * channels + first + i) * height * width;
    let t = (first + i) * 9u * blocks + b;
    let w0 = packed[t];
    let w1 = packed[t + blocks];
    let w2 = packed[t + 2u * blocks];
    let w3 = packed[t + 3u * blocks];
    let w4 = packed[t + 4u * blocks];
    let w5 = packed[t + 5u * blocks];
    let w6 = packed[t + 6u * blocks];
    let w7 = packed[t + 7u * blocks];
    let w8 = packed[t + 8u * blocks];
    let c0 = rowWindow(plane, iy0, height, width, cols);
    slideRow(&top, c0, w0, w1, w2);
    let c1 = rowWindow(plane, iy0 + 1, height, width, cols);
    slideRow(&top, c1, w3, w4, w5);
    slideRow(&bottom, c1, w0, w1, w2);
    let c2 = rowWindow(plane, iy0 + 2, height, width, cols);
    slideRow(&top, c2, w6, w7, w8);
    slideRow(&bottom, c2, w3, w4, w5);
    let c3 = rowWindow(plane, iy0 + 3, height, width, cols);
    slideRow(&bottom, c3, w6, w7, w8);
  }
  return TwoRows(top, bottom);
}

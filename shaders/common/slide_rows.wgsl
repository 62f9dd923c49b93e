// shaders/common/slide_rows.wgsl: the register block of the blocked conv kernels: 8 adjacent
// output pixels of a row × 4 channels as 8 vec4 accumulators, fed by a stride-1 row of 3 taps
// whose 10 inputs are loaded once. The kernel declares `source`, the input array.

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

// The loss landscape as a lit surface: one vertex per grid point (position, normal, colour by
// loss), a perspective camera, Lambert lighting from a fixed direction plus ambient light, and
// the grid lines drawn over it with the same vertices.

struct Camera {
  view_projection: mat4x4f,
  light: vec4f,
}

@group(0) @binding(0) var<uniform> camera: Camera;

struct VertexOut {
  @builtin(position) position: vec4f,
  @location(0) normal: vec3f,
  @location(1) color: vec3f,
}

@vertex
fn vertex_main(@location(0) position: vec3f, @location(1) normal: vec3f, @location(2) color: vec3f) -> VertexOut {
  var out: VertexOut;
  out.position = camera.view_projection * vec4f(position, 1.0);
  out.normal = normal;
  out.color = color;
  return out;
}

@fragment
fn surface_fragment(in: VertexOut, @builtin(front_facing) front: bool) -> @location(0) vec4f {
  // Both faces are lit: the underside shows when the camera orbits below the surface.
  let n = normalize(select(-in.normal, in.normal, front));
  let diffuse = max(dot(n, normalize(camera.light.xyz)), 0.0);
  return vec4f(in.color * (0.55 + 0.45 * diffuse), 1.0);
}

@fragment
fn line_fragment(in: VertexOut) -> @location(0) vec4f {
  return vec4f(in.color * 0.45, 1.0);
}

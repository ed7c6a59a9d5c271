// Terminal preview of a mesh: a z-buffer rasteriser with Lambert shading, from a fixed isometric view (looking from
// the front-right-top, z up, the way slicers show a part on the bed), fitted to `width` terminal columns.
//
// Output modes:
//  - color: true  → half blocks (▀ ▄), two square pixels per character cell, each with its own 24-bit ANSI colour.
//  - color: false → Unicode braille (2 × 4 dots per cell), shading by ordered dithering (default); or, with
//    charset: 'ascii', one pixel per cell drawn with a shade ramp " .:-=+*#%@".
// Every line is exactly `width` columns wide (escape codes aside). Deterministic: the same mesh gives the same string
// (float64 arithmetic in facet order; no randomness, no time).
import type { Mesh } from './model.js'

export interface PreviewOptions {
  width: number // terminal columns
  color?: boolean
  charset?: 'braille' | 'ascii' // without colour; default braille
  maxRows?: number // default: width / 2 (the image is scaled down to fit)
}

// View frame (world coordinates, z up): r = screen right, u = screen up, c = towards the viewer.
const R = [1 / Math.SQRT2, 1 / Math.SQRT2, 0]
const U = [-1 / Math.sqrt(6), 1 / Math.sqrt(6), 2 / Math.sqrt(6)]
const C = [1 / Math.sqrt(3), -1 / Math.sqrt(3), 1 / Math.sqrt(3)]
// Light: from above, behind the viewer's left shoulder (view coordinates: right, up, towards the viewer).
const LIGHT = normalize([-0.2, 0.45, 0.87])
const AMBIENT = 0.18
const BASE_RGB = [236, 142, 52] // a filament orange

function normalize (v: number[]): number[] {
  const l = Math.hypot(v[0], v[1], v[2])
  return [v[0] / l, v[1] / l, v[2] / l]
}

export function renderPreview (mesh: Mesh, opts: PreviewOptions): string {
  const width = Math.floor(opts.width)
  if (!(width >= 1)) throw new RangeError(`preview width must be at least 1 column, got ${opts.width}`)
  const color = opts.color === true
  const mode = color ? 'half' : (opts.charset === 'ascii' ? 'ascii' : 'braille')
  const maxRows = Math.max(1, Math.floor(opts.maxRows ?? Math.max(1, Math.round(width / 2))))
  // Pixels per cell, and the height / width ratio of one pixel (terminal cells are about twice as tall as wide).
  const pxPerCol = mode === 'braille' ? 2 : 1
  const pxPerRow = mode === 'braille' ? 4 : mode === 'half' ? 2 : 1
  const pixelAspect = mode === 'ascii' ? 2 : 1

  const t = mesh.triangles
  const n = Math.floor(t.length / 9)
  if (n === 0) return ''

  // Projected extent.
  let sx0 = Infinity; let sx1 = -Infinity; let sy0 = Infinity; let sy1 = -Infinity
  for (let i = 0; i < 3 * n; i++) {
    const x = t[3 * i]; const y = t[3 * i + 1]; const z = t[3 * i + 2]
    const sx = x * R[0] + y * R[1]
    const sy = x * U[0] + y * U[1] + z * U[2]
    if (sx < sx0) sx0 = sx; if (sx > sx1) sx1 = sx
    if (sy < sy0) sy0 = sy; if (sy > sy1) sy1 = sy
  }
  const ew = Math.max(sx1 - sx0, 1e-9)
  const eh = Math.max(sy1 - sy0, 1e-9)
  const maxW = width * pxPerCol
  const maxH = maxRows * pxPerRow
  // Scale: pixels per mm horizontally; vertically a pixel spans pixelAspect times as much.
  let scale = (maxW - 1) / ew
  if (eh * scale / pixelAspect > maxH - 1) scale = (maxH - 1) * pixelAspect / eh
  if (!(scale > 0) || !Number.isFinite(scale)) scale = 1
  const W = maxW
  const rows = Math.ceil(Math.min(maxH, Math.max(1, Math.ceil(eh * scale / pixelAspect) + 1)) / pxPerRow)
  const H = rows * pxPerRow
  const offX = (W - ew * scale) / 2 // centre horizontally
  const offY = (H - eh * scale / pixelAspect) / 2

  const depth = new Float64Array(W * H).fill(-Infinity)
  const shade = new Float32Array(W * H) // 0 = background, else Lambert intensity in (0, 1]
  const kx = scale
  const ky = scale / pixelAspect

  for (let f = 0, o = 0; f < n; f++, o += 9) {
    const x0 = t[o]; const y0 = t[o + 1]; const z0 = t[o + 2]
    const x1 = t[o + 3]; const y1 = t[o + 4]; const z1 = t[o + 5]
    const x2 = t[o + 6]; const y2 = t[o + 7]; const z2 = t[o + 8]
    // Screen positions (pixel units, y down) and depth (larger = nearer).
    const ax = (x0 * R[0] + y0 * R[1] - sx0) * kx + offX
    const ay = (sy1 - (x0 * U[0] + y0 * U[1] + z0 * U[2])) * ky + offY
    const bx = (x1 * R[0] + y1 * R[1] - sx0) * kx + offX
    const by = (sy1 - (x1 * U[0] + y1 * U[1] + z1 * U[2])) * ky + offY
    const cx = (x2 * R[0] + y2 * R[1] - sx0) * kx + offX
    const cy = (sy1 - (x2 * U[0] + y2 * U[1] + z2 * U[2])) * ky + offY
    const area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
    if (area === 0 || !Number.isFinite(area)) continue
    let minX = Math.ceil(Math.min(ax, bx, cx) - 0.5)
    let maxX = Math.floor(Math.max(ax, bx, cx) - 0.5)
    let minY = Math.ceil(Math.min(ay, by, cy) - 0.5)
    let maxY = Math.floor(Math.max(ay, by, cy) - 0.5)
    if (minX < 0) minX = 0
    if (minY < 0) minY = 0
    if (maxX > W - 1) maxX = W - 1
    if (maxY > H - 1) maxY = H - 1
    if (minX > maxX || minY > maxY) continue
    const da = x0 * C[0] + y0 * C[1] + z0 * C[2]
    const db = x1 * C[0] + y1 * C[1] + z1 * C[2]
    const dc = x2 * C[0] + y2 * C[1] + z2 * C[2]
    // Facet normal from its vertices, turned towards the viewer (two-sided lighting), in view coordinates.
    const ux = x1 - x0; const uy = y1 - y0; const uz = z1 - z0
    const vx = x2 - x0; const vy = y2 - y0; const vz = z2 - z0
    const nx = uy * vz - uz * vy; const ny = uz * vx - ux * vz; const nz = ux * vy - uy * vx
    let nr = nx * R[0] + ny * R[1] + nz * R[2]
    let nu = nx * U[0] + ny * U[1] + nz * U[2]
    let nc = nx * C[0] + ny * C[1] + nz * C[2]
    const nl = Math.sqrt(nr * nr + nu * nu + nc * nc)
    if (nl === 0) continue
    if (nc < 0) { nr = -nr; nu = -nu; nc = -nc }
    const lambert = (nr * LIGHT[0] + nu * LIGHT[1] + nc * LIGHT[2]) / nl
    const intensity = AMBIENT + (1 - AMBIENT) * (lambert > 0 ? lambert : 0)
    const inv = 1 / area
    for (let py = minY; py <= maxY; py++) {
      const pcy = py + 0.5
      for (let px = minX; px <= maxX; px++) {
        const pcx = px + 0.5
        // Barycentric weights (edge functions), inclusive of edges so shared edges leave no gaps.
        const w0 = ((bx - pcx) * (cy - pcy) - (by - pcy) * (cx - pcx)) * inv
        const w1 = ((cx - pcx) * (ay - pcy) - (cy - pcy) * (ax - pcx)) * inv
        const w2 = 1 - w0 - w1
        if (w0 < 0 || w1 < 0 || w2 < 0) continue
        const d = w0 * da + w1 * db + w2 * dc
        const k = py * W + px
        if (d > depth[k]) { depth[k] = d; shade[k] = intensity }
      }
    }
  }

  const lines: string[] = []
  if (mode === 'half') {
    for (let row = 0; row < rows; row++) {
      let s = ''
      let fg = ''
      let bg = ''
      for (let col = 0; col < W; col++) {
        const top = 2 * row < H ? shade[2 * row * W + col] : 0
        const bot = 2 * row + 1 < H ? shade[(2 * row + 1) * W + col] : 0
        let ch: string
        let wantFg = ''
        let wantBg = '49'
        if (top === 0 && bot === 0) ch = ' '
        else if (bot === 0) { ch = '▀'; wantFg = rgb(top) }
        else if (top === 0) { ch = '▄'; wantFg = rgb(bot) }
        else { ch = '▀'; wantFg = rgb(top); wantBg = '48;2;' + rgbTriplet(bot) }
        if (wantFg !== '' && wantFg !== fg) { s += `\x1b[${wantFg}m`; fg = wantFg }
        if (wantBg !== bg) { s += `\x1b[${wantBg}m`; bg = wantBg }
        s += ch
      }
      lines.push(s + '\x1b[0m')
    }
  } else if (mode === 'braille') {
    // Dot (i, j) of a cell: bits per the braille pattern (columns 0..1, rows 0..3).
    const BIT = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]]
    for (let row = 0; row < rows; row++) {
      let s = ''
      for (let col = 0; col < width; col++) {
        let bits = 0
        for (let j = 0; j < 4; j++) {
          const py = row * 4 + j
          if (py >= H) break
          for (let i = 0; i < 2; i++) {
            const px = col * 2 + i
            const v = shade[py * W + px]
            // Ordered dithering (4 × 4 Bayer): lit surfaces dense, dark ones sparse, never empty.
            if (v > 0 && 0.15 + 0.85 * v > (BAYER4[(py & 3) * 4 + (px & 3)] + 0.5) / 16) bits |= BIT[j][i]
          }
        }
        s += bits === 0 ? ' ' : String.fromCharCode(0x2800 + bits)
      }
      lines.push(s)
    }
  } else {
    const RAMP = ' .:-=+*#%@'
    for (let row = 0; row < rows; row++) {
      let s = ''
      for (let col = 0; col < width; col++) {
        const v = row < H ? shade[row * W + col] : 0
        s += v === 0 ? ' ' : RAMP[1 + Math.min(RAMP.length - 2, Math.floor(v * (RAMP.length - 1)))]
      }
      lines.push(s)
    }
  }
  return lines.join('\n')
}

const BAYER4 = [0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5]

function rgbTriplet (v: number): string {
  return `${Math.round(BASE_RGB[0] * v)};${Math.round(BASE_RGB[1] * v)};${Math.round(BASE_RGB[2] * v)}`
}

function rgb (v: number): string {
  return '38;2;' + rgbTriplet(v)
}

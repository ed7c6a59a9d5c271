// Model files: STL (binary and ASCII) and OBJ readers, the analysis (size, volume, area, weight, fit, shells, closed,
// manifold), refusals of bad files, the terminal preview, and ADMesh as an independent oracle when it is installed.
// Every model is generated here (test/fixtures/meshes.ts), so the expected answers are known exactly.
import test from 'brittle'
import fs from 'fs'
import path from 'path'
import { spawnSync } from 'child_process'
import { tmpDir, p2print, refusesAsync } from './helpers.js'
import yazl from 'yazl'
import { parseStl } from '../lib/files/stl.js'
import { parseObj } from '../lib/files/obj.js'
import { analyzeMesh, analyzeBytes, analyzeFile, analyzeModelFile, topology } from '../lib/files/analyze.js'
import { renderPreview } from '../lib/files/preview.js'
import { BEDS, DENSITY } from '../lib/files/beds.js'
import { DEFAULT_LIMITS, type Mesh, type ModelAnalysis } from '../lib/files/model.js'
import { MATERIALS } from '../lib/schema.js'
import { P2PrintError } from '../lib/errors.js'
import { box, boxObj, uvSphere, binaryStl, asciiStl, objText, flipFacet, removeFacet } from './fixtures/meshes.js'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const mesh = (tris: number[]): Mesh => ({ triangles: new Float32Array(tris) })
const close = (a: number, b: number, tol = 1e-9): boolean => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b))

// Runs fn, expecting a P2PrintError with this code and a message matching re.
function refuses (t: any, fn: () => unknown, code: string, re: RegExp, label: string): void {
  try {
    fn()
    t.fail(`${label}: accepted, expected ${code}`)
  } catch (err) {
    if (!(err instanceof P2PrintError)) { t.fail(`${label}: threw ${String(err)}`); return }
    t.is(err.code, code, `${label}: code ${code}`)
    t.ok(re.test(err.message), `${label}: message ${JSON.stringify(err.message)} matches ${String(re)}`)
  }
}

function weights (volumeCm3: number): Record<string, number> {
  const w: Record<string, number> = {}
  for (const m of MATERIALS) w[m] = Math.round(volumeCm3 * DENSITY[m] * 100) / 100
  return w
}

const ALL_BEDS = BEDS.map(b => b.name)

test('cube, 10 mm: every field, binary and ASCII and "solid"-header binary identical', t => {
  const tris = box(10, 10, 10)
  const expected: ModelAnalysis = {
    facets: 12,
    bbox: { min: [0, 0, 0], max: [10, 10, 10] },
    sizeMm: [10, 10, 10],
    volumeCm3: 1,
    areaCm2: 6,
    shells: 1,
    closed: true,
    manifold: true,
    weightGrams: { PLA: 1.24, ABS: 1.04, PETG: 1.27, TPU: 1.21, Nylon: 1.14, Resin: 1.1, Other: 1.2 },
    fits: ALL_BEDS
  }
  const bin = analyzeMesh(parseStl(binaryStl(tris), 'cube.stl'))
  t.alike(bin, expected, 'binary STL: all fields')
  t.alike(analyzeMesh(parseStl(enc(asciiStl(tris)), 'cube.stl')), expected, 'ASCII STL: same analysis')
  // Many exporters start a binary STL's header with "solid": it must still be read as binary.
  const solidHeader = binaryStl(tris, 'solid cube exported as binary by SomeCAD 2024')
  t.is(new TextDecoder().decode(solidHeader.subarray(0, 5)), 'solid')
  t.alike(analyzeMesh(parseStl(solidHeader, 'cube.stl')), expected, 'binary STL with a "solid" header: read as binary')
  t.alike(parseStl(solidHeader, 'x').triangles, new Float32Array(tris), 'exact coordinates')

  const moved = analyzeMesh(mesh(box(10, 20, 30, -5, 7.5, 100)))
  t.alike(moved.bbox, { min: [-5, 7.5, 100], max: [5, 27.5, 130] }, 'bbox of a moved box')
  t.alike(moved.sizeMm, [10, 20, 30])
  t.ok(close(moved.volumeCm3, 6), 'volume 6 cm³ far from the origin')
  t.ok(close(moved.areaCm2, 22), 'area 22 cm²')
  t.alike(moved.weightGrams, weights(6))
})

test('UV sphere: volume and area within the tessellation bounds, closed, manifold', t => {
  const r = 20
  const tris = uvSphere(r, 64, 32)
  const m = parseStl(binaryStl(tris), 'sphere.stl')
  const a = analyzeMesh(m)
  t.is(a.facets, 2 * 64 * 31)
  t.is(a.shells, 1)
  t.ok(a.closed, 'closed')
  t.ok(a.manifold, 'manifold')
  for (let k = 0; k < 3; k++) {
    t.ok(close(a.bbox.min[k], -r, 1e-6) && close(a.bbox.max[k], r, 1e-6), `bbox axis ${k} is ±${r}`)
  }
  // Every vertex lies on the sphere, so every facet's plane cuts it in the facet's circumcircle and lies at distance
  // sqrt(r² − ρ²) from the centre (ρ = circumradius). The polyhedron is convex, so it contains the ball of radius
  // d = min over facets of that distance and is contained in the sphere: V(d) ≤ volume ≤ V(r), same for the area.
  let rhoMax = 0
  const f = m.triangles
  for (let i = 0; i < f.length; i += 9) {
    const A = [f[i], f[i + 1], f[i + 2]]; const B = [f[i + 3], f[i + 4], f[i + 5]]; const C = [f[i + 6], f[i + 7], f[i + 8]]
    const ab = Math.hypot(B[0] - A[0], B[1] - A[1], B[2] - A[2])
    const bc = Math.hypot(C[0] - B[0], C[1] - B[1], C[2] - B[2])
    const ca = Math.hypot(A[0] - C[0], A[1] - C[1], A[2] - C[2])
    const s = (ab + bc + ca) / 2
    const area = Math.sqrt(Math.max(0, s * (s - ab) * (s - bc) * (s - ca)))
    rhoMax = Math.max(rhoMax, ab * bc * ca / (4 * area))
  }
  const d = Math.sqrt(r * r - rhoMax * rhoMax)
  const slack = 1e-5 // float32 vertices sit within ~1e-6 mm of the sphere
  const vLow = 4 / 3 * Math.PI * d ** 3 / 1000
  const vHigh = 4 / 3 * Math.PI * r ** 3 / 1000
  t.ok(a.volumeCm3 >= vLow * (1 - slack) && a.volumeCm3 <= vHigh * (1 + slack), `volume ${a.volumeCm3} in [${vLow}, ${vHigh}] cm³`)
  t.ok(a.areaCm2 >= 4 * Math.PI * d * d / 100 * (1 - slack) && a.areaCm2 <= 4 * Math.PI * r * r / 100 * (1 + slack), `area ${a.areaCm2} within bounds`)
  t.ok((vHigh - a.volumeCm3) / vHigh < 0.005, 'within 0.5 % of the true sphere at this resolution')
  t.alike(analyzeMesh(parseStl(enc(asciiStl(tris)), 'sphere.stl')), a, 'ASCII STL gives the identical analysis')
  t.alike(analyzeMesh(parseObj(enc(objText(tris)), 'sphere.obj')), a, 'OBJ gives the identical analysis')
  t.alike(analyzeMesh(m), a, 'deterministic: same numbers on a second run')
})

test('shells, closed, manifold: disjoint cubes, touching cubes, missing and flipped facets, degenerate facet', t => {
  const two = analyzeMesh(parseStl(binaryStl([...box(10, 10, 10), ...box(10, 10, 10, 20, 0, 0)]), 'two.stl'))
  t.is(two.facets, 24)
  t.is(two.shells, 2, 'two disjoint cubes: 2 shells')
  t.ok(two.closed && two.manifold, 'closed and manifold')
  t.ok(close(two.volumeCm3, 2) && close(two.areaCm2, 12), 'volume 2 cm³, area 12 cm²')
  t.alike(two.bbox, { min: [0, 0, 0], max: [30, 10, 10] })

  const corner = analyzeMesh(mesh([...box(10, 10, 10), ...box(10, 10, 10, 10, 10, 10)]))
  t.is(corner.shells, 2, 'cubes sharing one vertex only: still 2 shells (shells join through edges)')
  t.ok(corner.closed, 'closed')

  const holed = analyzeMesh(parseStl(binaryStl(removeFacet(box(10, 10, 10), 5)), 'holed.stl'))
  t.is(holed.facets, 11)
  t.is(holed.closed, false, 'one facet removed: not closed')
  t.is(holed.manifold, false, 'and not manifold')
  t.is(holed.shells, 1)
  t.ok(close(holed.areaCm2, 5.5), 'area 5.5 cm²')

  const flipped = analyzeMesh(parseStl(binaryStl(flipFacet(box(10, 10, 10), 3)), 'flipped.stl'))
  t.is(flipped.facets, 12)
  t.is(flipped.closed, true, 'one facet flipped: still closed')
  t.is(flipped.manifold, false, 'but not manifold (inconsistent orientation)')
  t.is(flipped.shells, 1)
  const topo = topology(parseStl(binaryStl(flipFacet(box(10, 10, 10), 3)), 'flipped.stl'))
  t.is(topo.misorientedEdges, 3, 'its three edges run the same way as their neighbours')
  t.is(topo.vertices, 8)
  t.is(topo.edges, 18)

  // A facet with two corners on one vertex: not part of edges or shells, and the mesh is not manifold.
  const degenerate = topology(mesh([...box(10, 10, 10), 0, 0, 0, 0, 0, 0, 10, 0, 0]))
  t.is(degenerate.degenerate, 1)
  t.is(degenerate.closed, true)
  t.is(degenerate.manifold, false, 'degenerate facet: not manifold')
  t.is(degenerate.shells, 1)

  // −0 and +0 are the same vertex.
  const negZero = box(10, 10, 10).map((v, i) => (v === 0 && i % 2 === 0 ? -0 : v))
  t.alike(topology(mesh(negZero)), topology(mesh(box(10, 10, 10))), '−0 merges with +0')
  // Translation must not matter to the topology; a sub-float32 gap must (exact merge, no tolerance).
  const gap = box(10, 10, 10)
  gap[0] = Math.fround(gap[0] + 1e-3)
  t.is(analyzeMesh(mesh(gap)).closed, false, 'a vertex 1 µm off is not merged')
})

test('OBJ: quads, v/vt/vn, v//vn, negative indices; same mesh as the STL cube', t => {
  const obj = parseObj(enc(boxObj(10, 10, 10)), 'cube.obj')
  t.alike(obj.triangles, new Float32Array(box(10, 10, 10)), 'fan-triangulated quads give the same triangles in the same order')
  const r = analyzeBytes(enc(boxObj(10, 10, 10)), 'Cube.OBJ')
  t.is(r.analysis.kind, 'obj')
  t.alike(r.analysis, { kind: 'obj', ...analyzeMesh(parseStl(binaryStl(box(10, 10, 10)), 'cube.stl')) }, 'identical analysis to the STL cube')
  // A pentagon: 3 triangles; a continuation line; forward references; vertex colours; other statements.
  const penta = 'mtllib x.mtl\nf 1 2 \\\n 3 4 5\nv 0 0 0 1 0 0\nv 1 0 0\nv 1.5 1 0\nv 0.5 2 0\nv -0.5 1 0\nvn 0 0 1\nusemtl red\n'
  t.is(parseObj(enc(penta), 'p.obj').triangles.length, 27, 'pentagon → 3 triangles')
})

test('fits: sorted bounding box against sorted bed, any axis-aligned rotation', t => {
  t.alike(analyzeMesh(mesh(box(290, 290, 350))).fits, ['CR-10 S', 'Prusa XL'], '290 × 290 × 350 fits only the big beds')
  t.alike(analyzeMesh(mesh(box(390, 50, 50))).fits, ['CR-10 S'], '390 mm long: only standing up in the CR-10 S')
  t.alike(analyzeMesh(mesh(box(250, 210, 220))).fits, ['Ender 3 / 220', 'Prusa MK4', 'Bambu X1/P1', 'Voron 300', 'CR-10 S', 'Prusa XL'], 'exactly the MK4 volume fits the MK4, and the Ender 3 turned on its side (210 × 220 × 250)')
  t.alike(analyzeMesh(mesh(box(500, 10, 10))).fits, [], 'too long for every bed')
  t.ok(BEDS.some(b => b.x === 300 && b.y === 300 && b.z === 400), 'a 300 × 300 × 400 bed is listed')
})

test('bad STL files are refused with what is wrong', t => {
  const good = binaryStl(box(10, 10, 10))
  refuses(t, () => parseStl(new Uint8Array(0), 'e.stl'), 'BAD_MODEL', /empty \(0 bytes\)/, '0-byte file')
  refuses(t, () => parseStl(good.subarray(0, good.length - 10), 't.stl'), 'BAD_MODEL', /truncated binary STL.*12 facets.*684 bytes.*674 bytes/, 'truncated binary')
  const solidTrunc = binaryStl(box(10, 10, 10), 'solid but binary').subarray(0, 400)
  refuses(t, () => parseStl(solidTrunc, 't.stl'), 'BAD_MODEL', /truncated binary STL.*684 bytes.*400 bytes/, 'truncated binary with a "solid" header')
  const long = new Uint8Array(good.length + 7); long.set(good)
  refuses(t, () => parseStl(long, 'l.stl'), 'BAD_MODEL', /7 bytes too many/, 'binary with trailing bytes')
  refuses(t, () => parseStl(good.subarray(0, 50), 's.stl'), 'BAD_MODEL', /shorter than the 84-byte header/, 'shorter than a header')

  const zero = new Uint8Array(84)
  refuses(t, () => parseStl(zero, 'z.stl'), 'BAD_MODEL', /zero facets/, 'binary with zero facets')
  refuses(t, () => parseStl(enc('solid empty\nendsolid empty\n'), 'z.stl'), 'BAD_MODEL', /zero facets/, 'ASCII with zero facets')

  for (const [v, word] of [[NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity']] as const) {
    const bad = good.slice()
    new DataView(bad.buffer).setFloat32(84 + 50 * 4 + 12 + 4 * 7, v, true) // facet 5, vertex 3, y
    refuses(t, () => parseStl(bad, 'n.stl'), 'BAD_MODEL', new RegExp(`facet 5: vertex 3 has a non-finite y coordinate \\(${word}\\)`), `binary ${word}`)
  }
  const ascii = asciiStl(box(10, 10, 10)).split('\n')
  // Line numbers: 1 solid, then 7 lines per facet; facet 2's first vertex is line 11.
  for (const [tok, word] of [['nan', 'NaN'], ['inf', 'Infinity'], ['-Infinity', '-Infinity'], ['1e39', 'too large']] as const) {
    const lines = ascii.slice()
    lines[10] = `      vertex 0 ${tok} 0`
    refuses(t, () => parseStl(enc(lines.join('\n')), 'n.stl'), 'BAD_MODEL', new RegExp(`facet 2 \\(line 11\\): vertex 1 has a non-finite y coordinate.*${word}`), `ASCII ${tok}`)
  }

  const malformed = ascii.slice()
  malformed[13] = '    endlop'
  refuses(t, () => parseStl(enc(malformed.join('\n')), 'm.stl'), 'BAD_MODEL', /line 14: expected "endloop".*"endlop"/, 'misspelt keyword: line number')
  const missing = ascii.slice()
  missing[11] = '      vertex 1 2'
  refuses(t, () => parseStl(enc(missing.join('\n')), 'm.stl'), 'BAD_MODEL', /line 13: expected a number.*"vertex"/, 'missing coordinate')
  const four = ascii.slice()
  four.splice(13, 0, '      vertex 1 2 3')
  refuses(t, () => parseStl(enc(four.join('\n')), 'm.stl'), 'BAD_MODEL', /line 14: expected "endloop".*exactly 3 vertices/, 'four vertices in a loop')
  const text = ascii.join('\n')
  refuses(t, () => parseStl(enc(ascii.slice(0, 40).join('\n')), 'cut.stl'), 'BAD_MODEL', /ends at line 40 .*truncated/, 'truncated ASCII (at a line end)')
  refuses(t, () => parseStl(enc(text.slice(0, text.length / 2)), 'cut.stl'), 'BAD_MODEL', /line 44.*truncated/, 'truncated ASCII (mid-word)')
  refuses(t, () => parseStl(enc(text.replace(/endsolid.*\n$/, '')), 'cut.stl'), 'BAD_MODEL', /without "endsolid"/, 'ASCII without endsolid')
  refuses(t, () => parseStl(enc(text + 'garbage\n'), 'g.stl'), 'BAD_MODEL', /line 87: expected "solid" or the end/, 'trailing garbage')
  refuses(t, () => parseStl(enc('solid x\n facet normal 0 0 1\n outer loop\n vertex 0x10 0 0\n'), 'h.stl'), 'BAD_MODEL', /line 4: expected a number.*"0x10"/, 'hex is not a number')
  refuses(t, () => parseStl(enc('hello, this is not a model\n'), 'h.stl'), 'NOT_A_MODEL', /text.*does not start with "solid"/, 'plain text')

  // Other files renamed .stl.
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, ...new Array(200).fill(7)])
  refuses(t, () => parseStl(png, 'photo.stl'), 'NOT_A_MODEL', /photo\.stl is not a 3D model.*this looks like a PNG image/, 'PNG renamed .stl')
  refuses(t, () => parseStl(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...new Array(300).fill(1)]), 'p.stl'), 'NOT_A_MODEL', /JPEG image/, 'JPEG renamed .stl')
  refuses(t, () => parseStl(enc('%PDF-1.7\n%âãÏÓ\n1 0 obj\n'), 'p.stl'), 'NOT_A_MODEL', /PDF document/, 'PDF renamed .stl')
  const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, ...new Array(100).fill(0)])
  refuses(t, () => parseStl(zip, 'z.stl'), 'NOT_A_MODEL', /ZIP archive/, 'ZIP renamed .stl (parser)')
  refuses(t, () => analyzeBytes(zip, 'models.stl'), 'NOT_A_MODEL', /name says \.stl but the content is a ZIP archive/, 'ZIP renamed .stl (analyzeBytes)')
  refuses(t, () => analyzeBytes(png, 'photo.png'), 'NOT_A_MODEL', /unknown file type "\.png".*PNG image/, 'unknown extension')

  refuses(t, () => parseStl(good, 'big.stl', { ...DEFAULT_LIMITS, maxFacets: 10 }), 'TOO_MANY_FACETS', /12 facets, more than the limit of 10/, 'binary over maxFacets')
  refuses(t, () => parseStl(enc(text), 'big.stl', { ...DEFAULT_LIMITS, maxFacets: 10 }), 'TOO_MANY_FACETS', /more than the limit of 10/, 'ASCII over maxFacets')
  // A header claiming 2^32 − 1 facets: refused on size, nothing allocated.
  const huge = good.slice(); new DataView(huge.buffer).setUint32(80, 0xffffffff, true)
  refuses(t, () => parseStl(huge, 'h.stl'), 'BAD_MODEL', /4294967295 facets/, 'absurd facet count')
})

test('bad OBJ files are refused with line numbers', t => {
  refuses(t, () => parseObj(new Uint8Array(0), 'e.obj'), 'BAD_MODEL', /empty/, '0-byte OBJ')
  refuses(t, () => parseObj(enc('# nothing\nv 0 0 0\nv 1 0 0\n'), 'e.obj'), 'BAD_MODEL', /2 vertices but no faces/, 'no faces')
  refuses(t, () => parseObj(enc('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n'), 'e.obj'), 'BAD_MODEL', /line 4: a face refers to vertex 4, but the file defines only 3/, 'index too large')
  refuses(t, () => parseObj(enc('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 0\n'), 'e.obj'), 'BAD_MODEL', /line 4: .*index 0/, 'index 0')
  refuses(t, () => parseObj(enc('v 0 0 0\nv 1 0 0\nf -1 -2 -3\nv 0 1 0\n'), 'e.obj'), 'BAD_MODEL', /line 3: .*index -3, but only 2 vertices/, 'negative index too far back')
  refuses(t, () => parseObj(enc('v 0 0 0\nv 1 nan 0\n'), 'e.obj'), 'BAD_MODEL', /line 2: vertex 2 has a non-finite y coordinate \(NaN\)/, 'NaN vertex')
  refuses(t, () => parseObj(enc('v 0 0 0\n\nv 1 0 inf\n'), 'e.obj'), 'BAD_MODEL', /line 3: .*non-finite z.*Infinity/, 'Infinity vertex')
  refuses(t, () => parseObj(enc('v 0 0\n'), 'e.obj'), 'BAD_MODEL', /line 1: a vertex \("v"\) needs x, y and z/, 'short vertex')
  refuses(t, () => parseObj(enc('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2\n'), 'e.obj'), 'BAD_MODEL', /line 4: a face \("f"\) needs at least 3/, 'two-vertex face')
  refuses(t, () => parseObj(enc('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 x3\n'), 'e.obj'), 'BAD_MODEL', /line 4: face vertex 3 is "x3"/, 'bad face token')
  refuses(t, () => parseObj(enc('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1/ 2 3\n'), 'e.obj'), 'BAD_MODEL', /line 4: face vertex 1 is "1\/"/, 'dangling slash')
  refuses(t, () => parseObj(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), 'p.obj'), 'NOT_A_MODEL', /PNG image/, 'PNG renamed .obj')
  refuses(t, () => parseObj(new Uint8Array([1, 2, 3, 0, 0, 0, 9, 9]), 'b.obj'), 'NOT_A_MODEL', /binary file/, 'binary renamed .obj')
  refuses(t, () => parseObj(enc('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\nf 1 2 3\n'), 'm.obj', { ...DEFAULT_LIMITS, maxFacets: 1 }), 'TOO_MANY_FACETS', /limit of 1/, 'OBJ over maxFacets')
})

test('analyzeFile: reads, checks the size before reading, dispatches by extension', async t => {
  const dir = await tmpDir(t)
  const stl = path.join(dir, 'part.stl')
  const obj = path.join(dir, 'part.obj')
  await fs.promises.writeFile(stl, binaryStl(box(10, 10, 10)))
  await fs.promises.writeFile(obj, boxObj(10, 10, 10))
  const a = await analyzeFile(stl)
  t.is(a.analysis.kind, 'stl')
  t.is(a.meshes.length, 1)
  t.is(a.meshes[0].name, 'part.stl')
  t.alike(a.analysis, { kind: 'stl', ...analyzeMesh(mesh(box(10, 10, 10))) })
  const b = await analyzeFile(obj)
  t.alike(b.analysis, { ...a.analysis, kind: 'obj' }, 'OBJ file: same analysis')
  await refusesAsync(t, analyzeFile(stl, { ...DEFAULT_LIMITS, maxFileBytes: 100 }), 'FILE_TOO_LARGE', /part\.stl is 684 bytes, more than the limit of 100 bytes/, 'over maxFileBytes')
  await refusesAsync(t, analyzeFile(dir), 'NOT_A_MODEL', /directory/, 'a directory')
  const fake = path.join(dir, 'fake.stl')
  await fs.promises.writeFile(fake, new Uint8Array([0x50, 0x4b, 0x03, 0x04, ...new Array(60).fill(0)]))
  await refusesAsync(t, analyzeFile(fake), 'NOT_A_MODEL', /content is a ZIP archive/, 'a ZIP named .stl')
  const notZip = path.join(dir, 'models.zip')
  await fs.promises.writeFile(notZip, binaryStl(box(1, 1, 1)))
  await refusesAsync(t, analyzeFile(notZip), 'NOT_A_MODEL', /name says \.zip but the content is not a ZIP/, 'an STL named .zip')
})

test('preview: fits the width, deterministic, colour and plain', t => {
  const cube = mesh(box(10, 10, 10))
  const strip = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '') // eslint-disable-line no-control-regex
  for (const [opts, label] of [[{ width: 40 }, 'braille'], [{ width: 40, color: true }, 'colour'], [{ width: 33, charset: 'ascii' as const }, 'ascii']] as const) {
    const s = renderPreview(cube, opts)
    t.ok(s.length > 0, `${label}: non-empty`)
    const lines = s.split('\n')
    t.ok(lines.length >= 3 && lines.length <= Math.round(opts.width / 2), `${label}: ${lines.length} rows`)
    t.ok(lines.every(l => [...strip(l)].length === opts.width), `${label}: every line ${opts.width} columns`)
    t.ok(/[^\s]/.test(strip(s)), `${label}: draws something`)
    t.is(renderPreview(cube, opts), s, `${label}: deterministic`)
  }
  const colour = renderPreview(cube, { width: 40, color: true })
  t.ok(/\x1b\[38;2;\d+;\d+;\d+m/.test(colour), 'colour: 24-bit ANSI') // eslint-disable-line no-control-regex
  t.ok(/[▀▄]/.test(colour), 'colour: half blocks')
  t.ok(/[\u2801-\u28ff]/.test(renderPreview(cube, { width: 40 })), 'plain: braille')
  // Three visible faces of the cube get three different shades.
  const shades = new Set(colour.match(/38;2;\d+;\d+;\d+/g))
  t.ok(shades.size >= 3, `three or more shades (${shades.size})`)
  t.is(renderPreview(mesh([]), { width: 10 }), '', 'empty mesh: empty string')
})

test('CLI: analyze --json prints the file and its figures at the top level; a ZIP lists its models', async t => {
  const dir = await tmpDir(t)
  const cube = path.join(dir, 'cube.stl')
  await fs.promises.writeFile(cube, binaryStl(box(10, 20, 30)))
  const r = await p2print(['--json', 'analyze', cube])
  t.is(r.code, 0, r.stderr)
  t.alike(Object.keys(r.json), ['file', 'kind', 'facets', 'bbox', 'sizeMm', 'volumeCm3', 'areaCm2', 'shells', 'closed', 'manifold', 'weightGrams', 'fits'], 'top-level fields, no previews without --preview')
  t.alike(r.json, { file: cube, kind: 'stl', ...analyzeMesh(mesh(box(10, 20, 30))) }, 'the same figures as analyzeMesh')
  const text = await p2print(['analyze', cube])
  t.ok(/facets +12\b/.test(text.stdout) && /size +10\.00 × 20\.00 × 30\.00 mm/.test(text.stdout), 'text: facets and size')

  const drawn = await p2print(['--json', 'analyze', cube, '--preview'])
  t.is(drawn.json.facets, 12)
  t.is(drawn.json.previews.length, 1, '--preview: one drawing')
  t.is(drawn.json.previews[0].name, 'cube.stl')

  const zip = new yazl.ZipFile()
  zip.addBuffer(Buffer.from(binaryStl(box(10, 10, 10))), 'a.stl')
  zip.addBuffer(Buffer.from(boxObj(20, 10, 10)), 'b.obj')
  zip.end()
  const chunks: Buffer[] = []
  for await (const c of zip.outputStream) chunks.push(c as Buffer)
  const zipFile = path.join(dir, 'parts.zip')
  await fs.promises.writeFile(zipFile, Buffer.concat(chunks))
  const z = await p2print(['--json', 'analyze', zipFile])
  t.is(z.code, 0, z.stderr)
  t.alike(Object.keys(z.json), ['file', 'kind', 'models'])
  t.is(z.json.kind, 'zip')
  t.alike(z.json.models.map((m: { name: string, kind: string, facets: number }) => [m.name, m.kind, m.facets]), [['a.stl', 'stl', 12], ['b.obj', 'obj', 12]])

  const missing = await p2print(['--json', 'analyze', path.join(dir, 'nope.stl')])
  t.is(missing.code, 1)
  t.is(missing.json.error.code, 'FILE_NOT_FOUND')
})

// ---- ADMesh as an oracle ----------------------------------------------------------------------------------------

const hasAdmesh = spawnSync('admesh', ['--help'], { stdio: 'ignore' }).error === undefined
if (!hasAdmesh) console.log('# admesh is not on PATH: the ADMesh oracle test is skipped (install admesh to run it)')

interface AdmeshReport { facets: number, min: number[], max: number[], volume: number, parts: number }

function admesh (file: string): AdmeshReport {
  const r = spawnSync('admesh', [file], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`admesh failed: ${r.stderr}`)
  const out = r.stdout
  const num = (re: RegExp): number => {
    const m = re.exec(out)
    if (m === null) throw new Error(`admesh output lacks ${String(re)}:\n${out}`)
    return Number(m[1])
  }
  const min: number[] = []
  const max: number[] = []
  for (const axis of ['X', 'Y', 'Z']) {
    const m = new RegExp(`Min ${axis} =\\s*(\\S+), Max ${axis} =\\s*(\\S+)`).exec(out)
    if (m === null) throw new Error(`admesh output lacks the ${axis} size`)
    min.push(Number(m[1])); max.push(Number(m[2]))
  }
  return {
    facets: num(/Number of facets\s*:\s*(\d+)/),
    min,
    max,
    volume: num(/Volume\s*:\s*(\S+)/),
    parts: num(/Number of parts\s*:\s*(\d+)/)
  }
}

// ADMesh sums the volume in a 32-bit float (its get_volume), so its figure carries the float32 rounding of a running
// sum, which grows with the facet count (4e-5 relative at 65 536 facets). The tolerance is 1e-6 relative plus twice
// that rounding, computed for each model by summing our per-facet terms in float32 the same way (twice: ADMesh's
// per-facet terms are float too, and another build may round differently); printing (%f) adds 5e-7 mm³.
function float32SumError (m: Mesh): number {
  const t = m.triangles
  const ox = t[0]; const oy = t[1]; const oz = t[2]
  let s64 = 0
  let s32 = 0
  for (let i = 0; i < t.length; i += 9) {
    const ax = t[i] - ox; const ay = t[i + 1] - oy; const az = t[i + 2] - oz
    const bx = t[i + 3] - ox; const by = t[i + 4] - oy; const bz = t[i + 5] - oz
    const cx = t[i + 6] - ox; const cy = t[i + 7] - oy; const cz = t[i + 8] - oz
    const v = (ax * (by * cz - bz * cy) + ay * (bz * cx - bx * cz) + az * (bx * cy - by * cx)) / 6
    s64 += v
    s32 = Math.fround(s32 + v)
  }
  return Math.abs(s32 - s64)
}

test('ADMesh oracle: facets, bounding box, volume, parts agree on well-formed models', { skip: !hasAdmesh }, async t => {
  const dir = await tmpDir(t)
  const models: Array<[string, number[]]> = [
    ['cube', box(10, 10, 10)],
    ['moved-box', box(12.5, 3.25, 40, -100, 55.5, 7)],
    ['two-cubes', [...box(10, 10, 10), ...box(10, 10, 10, 20, 0, 0)]],
    ['sphere', uvSphere(20, 64, 32, [3, -4, 25])],
    ['fine-sphere', uvSphere(50, 256, 128)]
  ]
  for (const [name, tris] of models) {
    for (const kind of ['binary', 'ascii'] as const) {
      const file = path.join(dir, `${name}-${kind}.stl`)
      const bytes = kind === 'binary' ? binaryStl(tris) : enc(asciiStl(tris))
      await fs.promises.writeFile(file, bytes)
      const m = parseStl(bytes, file)
      const ours = analyzeMesh(m)
      if (kind === 'binary') t.alike(await analyzeModelFile(file), { kind: 'stl', ...ours }, `${name} (binary): streamed from the file, the same figures`)
      const ad = admesh(file)
      t.is(ours.facets, ad.facets, `${name} (${kind}): facets ${ad.facets}`)
      // ADMesh prints the box with 6 decimals.
      const boxOk = [0, 1, 2].every(k => Math.abs(ours.bbox.min[k] - ad.min[k]) <= 5e-7 + 1e-9 && Math.abs(ours.bbox.max[k] - ad.max[k]) <= 5e-7 + 1e-9)
      t.ok(boxOk, `${name} (${kind}): bbox ${JSON.stringify(ours.bbox)} vs ADMesh ${JSON.stringify([ad.min, ad.max])}`)
      const oursMm3 = Math.abs(ours.volumeCm3 * 1000)
      const tol = 1e-6 * oursMm3 + 2 * float32SumError(m) + 5e-7
      const rel = Math.abs(oursMm3 - ad.volume) / oursMm3
      t.ok(Math.abs(oursMm3 - ad.volume) <= tol, `${name} (${kind}): volume ${oursMm3} vs ADMesh ${ad.volume} mm³ (relative difference ${rel.toExponential(2)}, tolerance ${(tol / oursMm3).toExponential(2)})`)
      t.is(ours.shells, ad.parts, `${name} (${kind}): ${ad.parts} parts`)
    }
  }
})

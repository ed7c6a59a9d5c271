// A binary STL analysed straight from its file, chunk by chunk (analyzeModelFile → lib/files/stl-stream.ts), gives
// exactly the figures of the whole-file path (analyzeFile: read whole, parse, analyzeMesh), and the same refusals;
// files that are not well-formed binary STLs fall back to the whole-file path. Also the edge grouping around a vertex
// shared by many facets (sorted instead of compared pairwise).
import test from 'brittle'
import fs from 'fs'
import path from 'path'
import { tmpDir, refusesAsync } from './helpers.js'
import { analyzeFile, analyzeModelFile, topology } from '../lib/files/analyze.js'
import { DEFAULT_LIMITS, type Mesh } from '../lib/files/model.js'
import { P2PrintError } from '../lib/errors.js'
import { box, uvSphere, torus, binaryStl, asciiStl, flipFacet, removeFacet } from './fixtures/meshes.js'

const mesh = (tris: number[]): Mesh => ({ triangles: new Float32Array(tris) })

test('streamed binary STL: identical figures to the whole-file path, across chunk boundaries', async t => {
  const dir = await tmpDir(t)
  const negZero = box(10, 10, 10).map((v, i) => (v === 0 && i % 2 === 0 ? -0 : v))
  const models: Array<[string, ArrayLike<number>]> = [
    ['cube', box(10, 10, 10)],
    ['two-cubes', [...box(10, 10, 10), ...box(10, 10, 10, 20, 0, 0)]],
    ['holed', removeFacet(box(10, 10, 10), 5)],
    ['flipped', flipFacet(box(10, 10, 10), 3)],
    ['degenerate', [...box(10, 10, 10), 0, 0, 0, 0, 0, 0, 10, 0, 0]],
    ['negative-zero', negZero],
    ['sphere-65k', uvSphere(50, 256, 128, [3, -4, 25])], // 65 024 facets: four chunks of 16 384, the last one short
    ['torus-40k', torus(40, 15, 200, 100)], // 40 000 facets
    ['soup', [...uvSphere(5, 16, 8), ...box(1, 2, 3, 100, 100, 100), ...uvSphere(5, 16, 8)]] // duplicated shells
  ]
  for (const [name, tris] of models) {
    const file = path.join(dir, `${name}.stl`)
    await fs.promises.writeFile(file, binaryStl(tris))
    const whole = (await analyzeFile(file)).analysis
    const streamed = await analyzeModelFile(file)
    t.alike(streamed, whole, `${name}: ${whole.kind === 'zip' ? '' : `${whole.facets} facets, shells ${whole.shells}, closed ${String(whole.closed)}, manifold ${String(whole.manifold)}: `}same figures`)
  }
  // ASCII, OBJ: not streamed, same answer as analyzeFile.
  const ascii = path.join(dir, 'ascii.stl')
  await fs.promises.writeFile(ascii, asciiStl(box(10, 10, 10)))
  t.alike(await analyzeModelFile(ascii), (await analyzeFile(ascii)).analysis, 'ASCII STL: same figures (whole-file path)')
})

test('streamed binary STL: refusals name the facet and the limit; other files give analyzeFile\'s refusals', async t => {
  const dir = await tmpDir(t)
  const tris = uvSphere(20, 128, 128) // 32 512 facets: two chunks
  const bytes = binaryStl(tris)
  const bad = path.join(dir, 'nan.stl')
  const copy = bytes.slice()
  new DataView(copy.buffer).setFloat32(84 + 50 * 20000 + 12 + 4 * 4, NaN, true) // facet 20 001 (2nd chunk), vertex 2, y
  await fs.promises.writeFile(bad, copy)
  await refusesAsync(t, analyzeModelFile(bad), 'BAD_MODEL', /nan\.stl: facet 20001: vertex 2 has a non-finite y coordinate \(NaN\)/, 'NaN in the second chunk')
  const ok = path.join(dir, 'ok.stl')
  await fs.promises.writeFile(ok, bytes)
  await refusesAsync(t, analyzeModelFile(ok, { ...DEFAULT_LIMITS, maxFacets: 1000 }), 'TOO_MANY_FACETS', /32512 facets, more than the limit of 1000/, 'over maxFacets')
  await refusesAsync(t, analyzeModelFile(ok, { ...DEFAULT_LIMITS, maxFileBytes: 1000 }), 'FILE_TOO_LARGE', /ok\.stl is 1625684 bytes, more than the limit of 1000 bytes/, 'over maxFileBytes')

  const cases: Array<[string, Uint8Array, string, RegExp]> = [
    ['truncated.stl', bytes.subarray(0, bytes.length - 10), 'BAD_MODEL', /truncated binary STL/],
    ['long.stl', Buffer.concat([bytes, Buffer.alloc(3)]), 'BAD_MODEL', /3 bytes too many/],
    ['photo.stl', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Array(200).fill(7)]), 'NOT_A_MODEL', /PNG image/],
    ['zip.stl', new Uint8Array([0x50, 0x4b, 0x03, 0x04, ...new Array(130).fill(0)]), 'NOT_A_MODEL', /content is a ZIP archive/],
    ['zero.stl', new Uint8Array(84), 'BAD_MODEL', /zero facets/],
    ['empty.stl', new Uint8Array(0), 'BAD_MODEL', /empty \(0 bytes\)/]
  ]
  for (const [name, content, code, re] of cases) {
    const file = path.join(dir, name)
    await fs.promises.writeFile(file, content)
    await refusesAsync(t, analyzeModelFile(file), code, re, name)
  }
  await refusesAsync(t, analyzeModelFile(path.join(dir, 'missing.stl')), 'FILE_NOT_FOUND', /missing\.stl: no such file/, 'a missing file')
  await refusesAsync(t, analyzeModelFile(dir), 'NOT_A_MODEL', /directory/, 'a directory')
})

test('edges around a vertex shared by many facets: the sorted grouping counts like the pairwise one', t => {
  // k triangles sharing the edge A–B, fanned around it: A–B is used k times (open), every other edge once.
  const book = (k: number): number[] => {
    const out: number[] = []
    for (let i = 0; i < k; i++) {
      const a = 2 * Math.PI * i / k
      out.push(0, 0, 0, 0, 0, 1, Math.cos(a), Math.sin(a), 0.5)
    }
    return out
  }
  for (const k of [10, 16, 17, 300]) { // A has 2k edges: up to 32 compared pairwise, more sorted
    const topo = topology(mesh(book(k)))
    t.alike(topo, { shells: 1, closed: false, manifold: false, vertices: k + 2, edges: 2 * k + 1, degenerate: 0, openEdges: 2 * k + 1, misorientedEdges: 0 }, `${k} pages`)
  }
  // A cone with 300 facets at its apex and a 300-gon base fan: closed and manifold, the apex and the base centre
  // each shared by 300 facets.
  const cone: number[] = []
  const n = 300
  for (let i = 0; i < n; i++) {
    const a0 = 2 * Math.PI * i / n
    const a1 = 2 * Math.PI * ((i + 1) % n) / n
    const p0 = [Math.fround(Math.cos(a0)), Math.fround(Math.sin(a0)), 0]
    const p1 = [Math.fround(Math.cos(a1)), Math.fround(Math.sin(a1)), 0]
    cone.push(...p0, ...p1, 0, 0, 2) // side, outward
    cone.push(0, 0, 0, ...p1, ...p0) // base, downward
  }
  const topo = topology(mesh(cone))
  t.alike(topo, { shells: 1, closed: true, manifold: true, vertices: n + 2, edges: 3 * n, degenerate: 0, openEdges: 0, misorientedEdges: 0 }, 'cone: closed, manifold')
  const flipped = cone.slice()
  for (let k = 0; k < 3; k++) [flipped[3 + k], flipped[6 + k]] = [flipped[6 + k], flipped[3 + k]] // facet 1 reversed
  t.is(topology(mesh(flipped)).misorientedEdges, 3, 'one side facet reversed: its 3 edges misoriented')
})

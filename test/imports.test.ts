// The core runs on Node and Bare alike (issue 16): no file of lib/ imports a Node built-in by its own name (only
// through the '#name' imports of package.json, which resolve to the bare-* module under Bare), nor React or Ink.
import test from 'brittle'
import fs from 'fs'
import path from 'path'
import { builtinModules } from 'module'

const ROOT = path.join(path.dirname(new URL(import.meta.url).pathname), '..')
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
const BUILTIN = new Set(builtinModules.flatMap(m => [m, 'node:' + m]))

function files (dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [])
}

// Every module specifier a file loads at run time: static imports and re-exports (not `import type`), dynamic imports.
function runtimeImports (src: string): string[] {
  const out: string[] = []
  for (const m of src.matchAll(/^\s*(import|export)\s+(?!type\s)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) out.push(m[2])
  for (const m of src.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1])
  return out
}

test('imports: lib/ reaches Node built-ins only through package.json #imports, and never React or Ink', async (t) => {
  const libFiles = files(path.join(ROOT, 'lib'))
  t.ok(libFiles.length > 100, `${libFiles.length} files in lib/`)
  const bad: string[] = []
  const used = new Set<string>()
  for (const f of libFiles) {
    for (const spec of runtimeImports(fs.readFileSync(f, 'utf8'))) {
      if (spec.startsWith('#')) used.add(spec)
      if (BUILTIN.has(spec) || /^(react|ink)(\/|$)/.test(spec)) bad.push(`${path.relative(ROOT, f)}: '${spec}'`)
    }
  }
  t.alike(bad, [], 'no Node built-in by name, no react or ink')
  t.ok(used.size >= 10, `lib/ uses ${[...used].sort().join(' ')}`)
  for (const spec of [...used].sort()) {
    const entry = pkg.imports?.[spec]
    t.ok(entry !== undefined && typeof entry.bare === 'string' && typeof entry.default === 'string', `${spec} has a bare and a default target`)
    if (entry === undefined) continue
    t.ok(BUILTIN.has(entry.default), `${spec} is Node's ${entry.default} by default`)
    const bare = entry.bare as string
    if (bare.startsWith('./')) t.ok(fs.existsSync(path.join(ROOT, bare)), `${spec} is ${bare} under Bare`)
    else t.ok(pkg.dependencies[bare] !== undefined && fs.existsSync(path.join(ROOT, 'node_modules', bare, 'package.json')), `${spec} is ${bare} under Bare, a dependency`)
  }
})

test('imports: the detector sees what it must', async (t) => {
  t.alike(runtimeImports("import fs from 'fs'\nimport type { X } from 'net'\nexport { a } from './a.js'\nconst m = await import('node:os')\nimport 'ink'"), ['fs', './a.js', 'ink', 'node:os'])
})

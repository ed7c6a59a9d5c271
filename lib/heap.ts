// Memory of long-running processes (`p2print seed`, the app). By default V8 lets each young-generation semi-space
// grow to 16 MB and lets the old generation grow to twice (and more) what survived its last collection, so a
// seeder with ~28 MB of live heap sat at ~300 MB RSS (bench/scale.ts, seeder section, 1 000 jobs: 285 MB caught up,
// 315 MB after 100 ops). With these two flags it sits at ~186 MB at the same CPU per op. The `p2print` command's
// shebang and `npm start` pass them; a process started another way (`node dist/index.js seed`) gets the growing
// factor at run time (V8 reads it at every major collection; the semi-space size only at start-up), which takes
// it to ~220 MB.
import v8 from '#v8'

export const NODE_HEAP_FLAGS = ['--max-semi-space-size=1', '--heap-growing-percent=10'] as const

// Whether this process was started with the flags; if not, sets what can still be set and returns false.
export function applyHeapFlags (): boolean {
  if (NODE_HEAP_FLAGS.every(f => process.execArgv.includes(f))) return true
  v8.setFlagsFromString('--heap-growing-percent=10')
  return false
}

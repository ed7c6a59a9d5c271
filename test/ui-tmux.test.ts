// End to end in a real terminal: two p2print UIs in tmux on a local testnet. One posts a job with the keyboard, the
// other sees it arrive and accepts it; both panes show the new state. Skipped when tmux is missing.
import test from 'brittle'
import path from 'path'
import { spawnSync } from 'child_process'
import { testnet, tmpDir, p2print, eventually, sleep } from './helpers.js'

const ROOT = path.join(path.dirname(new URL(import.meta.url).pathname), '..')
const hasTmux = spawnSync('tmux', ['-V']).status === 0
if (!hasTmux) console.log('# ui-tmux: skipped, tmux is not installed (CI installs it via .ci/run)')
const SOCK = `p2print-test-${process.pid}`

function tmux (...args: string[]): string {
  return spawnSync('tmux', ['-L', SOCK, ...args], { encoding: 'utf8' }).stdout ?? ''
}
const pane = (s: string): string => tmux('capture-pane', '-p', '-t', s)
async function keys (s: string, ...ks: string[]): Promise<void> {
  for (const k of ks) {
    if (k.startsWith('{') && k.endsWith('}')) tmux('send-keys', '-t', s, k.slice(1, -1))
    else tmux('send-keys', '-t', s, '-l', k)
    await sleep(150)
  }
}

test('ui in tmux: post on one peer, accept on the other', { skip: !hasTmux, timeout: 240_000 }, async (t) => {
  const tn = await testnet(t, 5)
  const root = await tmpDir(t)
  const boot = `127.0.0.1:${tn.bootstrap[0].port}`
  const a = path.join(root, 'a')
  const b = path.join(root, 'b')
  const created = await p2print(['--storage', a, '--bootstrap', boot, '--json', 'market', 'create', '--name', 'Tmux market'])
  t.is(created.code, 0, 'market created')
  const joined = await p2print(['--storage', b, '--bootstrap', boot, '--sync-timeout', '5', '--json', 'market', 'join', created.json.key])
  t.is(joined.code, 0, 'second peer joined')

  t.teardown(() => { tmux('kill-server') }, { order: 5 })
  const start = (name: string, dir: string): void => {
    // the pane is a person's terminal, not CI: Ink renders only a final frame when CI is set (is-in-ci)
    const cmd = `cd ${ROOT} && env -u CI -u CONTINUOUS_INTEGRATION ${process.execPath} --import tsx index.ts --storage ${dir} --bootstrap ${boot}; echo EXIT=$?; sleep 20`
    tmux('new-session', '-d', '-s', name, '-x', '150', '-y', '45', cmd)
  }
  start('a', a)
  start('b', b)
  // a fresh clone compiles the UI on its first start (tsx, cold cache): give the first frame time on 2 cores
  t.ok(await eventually(() => pane('a').includes('TITLE') && pane('b').includes('TITLE'), 120_000), 'both show the market table')

  // A posts a job through the form
  await keys('a', 'p')
  t.ok(await eventually(() => pane('a').includes('Post a job'), 5000), 'post form open')
  await keys('a', 'Tmux vase', '{Tab}', 'pla', '{Tab}', 'blue', '{Tab}', '0.0005', '{Tab}', 'de', '{Tab}', '{Tab}', '{Enter}')
  t.ok(await eventually(() => /Tmux vase \[open\]/.test(pane('a')), 20_000), 'A: job page, open')

  // B sees it arrive in its live table and accepts it
  // 60 s: on a loaded 2-core CI machine the two apps (and the testnet's DHT nodes in this process) can be slow to
  // find each other after their first frame
  const seen = await eventually(() => pane('b').includes('Tmux vase'), 60_000)
  t.ok(seen, 'B: the new job appears')
  if (!seen) t.comment(`A:\n${pane('a')}\nB:\n${pane('b')}`)
  await keys('b', '{Enter}')
  t.ok(await eventually(() => pane('b').includes('accept'), 10_000), 'B: job page offers accept')
  await keys('b', '{Enter}', 'y')
  const accepted = await eventually(() => /Tmux vase \[(accepted|active)\]/.test(pane('b')), 30_000)
  t.ok(accepted, 'B: job accepted')
  if (!accepted) t.comment(pane('b'))
  t.ok(await eventually(() => /Tmux vase \[(accepted|active)\]/.test(pane('a')), 30_000), 'A: sees the accept')

  await keys('a', 'q')
  await keys('b', 'q')
  t.ok(await eventually(() => pane('a').includes('EXIT=0') && pane('b').includes('EXIT=0'), 15_000), 'both quit with exit code 0')
})

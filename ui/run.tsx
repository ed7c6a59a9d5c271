// `p2print` in a terminal (or `p2print ui`): opens the long-lived session, renders the app until q / Ctrl-C, then
// restores the terminal and closes the peer (swarm → base → store → lock).
import fs from 'fs'
import { render } from 'ink'
import { AppSession, type AppOptions, type JobFilters } from '../lib/app.js'
import { App } from './App.js'

export async function runUi (opts: AppOptions & { filters?: JobFilters }): Promise<void> {
  const core = await AppSession.open(opts)
  const timing = process.env.P2PRINT_UI_FIRST_FRAME
  let told = false
  const onMarketLoaded = timing === undefined
    ? undefined
    : () => { if (!told) { told = true; fs.writeFileSync(timing, String(Date.now())) } }
  try {
    const ink = render(<App core={core} onQuit={() => ink.unmount()} initialFilters={opts.filters} pageSize={Math.max(5, (process.stdout.rows ?? 24) - 12)} onMarketLoaded={onMarketLoaded} />, { exitOnCtrlC: false })
    await ink.waitUntilExit()
  } finally {
    await core.close()
  }
}

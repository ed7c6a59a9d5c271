// regtest: runs a throw-away Bitcoin regtest node (bcoin, in memory) with a faucet, for trying the escrow on one
// machine. Needs a clone of p2print with its devDependencies installed (bcoin). Keeps running until SIGINT/SIGTERM;
// the chain is gone when it stops.
import { runRegtestNode } from '../escrow/regtest-node.js'
import type { Ctx, Result } from './context.js'

export interface RegtestOptions {
  port: number // JSON-RPC and REST of the node; 0 = any free port
  faucetPort: number // the faucet's HTTP API; 0 = any free port
  apiKey?: string // the RPC password; random when not given
}

export async function regtestCommand (ctx: Ctx, opts: RegtestOptions): Promise<Result> {
  const node = await runRegtestNode({ port: opts.port, faucetPort: opts.faucetPort, apiKey: opts.apiKey })
  ctx.emit('regtest', {
    rpcUrl: node.rpcUrl,
    faucetUrl: node.faucetUrl,
    height: node.height,
    startupMs: node.startupMs,
    addresses: 'bcoin regtest: rb1… (Core-style bcrt1… also accepted by the faucet)',
    fund: `curl -s -X POST ${node.faucetUrl}faucet -d '{"address":"rb1…","btc":"0.5"}'`,
    mine: `curl -s -X POST ${node.faucetUrl}mine -d '{"blocks":1}'`
  })
  await ctx.stopped
  await node.close()
  ctx.emit('stopped', {})
  return { kind: 'none', data: {} }
}

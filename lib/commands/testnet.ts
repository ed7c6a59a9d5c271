// testnet: runs a small local DHT (bootstrap node + 4 nodes) on 127.0.0.1, for trying several peers on one
// machine without the public DHT. Keeps running until SIGINT/SIGTERM.
import createTestnet from 'hyperdht/testnet.js'
import type { Ctx, Result } from './context.js'

export async function testnetCommand (ctx: Ctx, port: number): Promise<Result> {
  const tn = await createTestnet(5, { host: '127.0.0.1', port })
  const bootstrap = tn.bootstrap.map(b => `${b.host}:${b.port}`).join(',')
  ctx.emit('testnet', { bootstrap })
  await ctx.stopped
  await tn.destroy()
  ctx.emit('stopped', {})
  return { kind: 'none', data: {} }
}

// testnet: runs a small local DHT (bootstrap node + 4 nodes) on 127.0.0.1, for trying several peers on one
// machine without the public DHT. Keeps running until SIGINT/SIGTERM.
import createTestnet from 'hyperdht/testnet.js'
import type { Ctx, Result } from './context.js'
import { PORT_IN_USE } from '../errors.js'

// hyperdht's testnet moves to a free port when the one asked for is taken: the peers' --bootstrap would then point
// at whatever holds that port (another testnet, someone else's), so that is refused instead.
export async function testnetCommand (ctx: Ctx, port: number): Promise<Result> {
  const tn = await createTestnet(5, { host: '127.0.0.1', port })
  if (port !== 0 && tn.bootstrap[0]?.port !== port) {
    await tn.destroy()
    throw PORT_IN_USE(port, 'another `p2print testnet`')
  }
  const bootstrap = tn.bootstrap.map(b => `${b.host}:${b.port}`).join(',')
  ctx.emit('testnet', { bootstrap })
  await ctx.stopped
  await tn.destroy()
  ctx.emit('stopped', {})
  return { kind: 'none', data: {} }
}

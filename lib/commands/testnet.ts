// testnet: runs a small local DHT (bootstrap node + 4 nodes) on 127.0.0.1, for trying several peers on one
// machine without the public DHT. Keeps running until SIGINT/SIGTERM.
import dgram from '#dgram'
import createTestnet from 'hyperdht/testnet.js'
import type { Ctx, Result } from './context.js'
import { PORT_IN_USE } from '../errors.js'

// hyperdht's testnet moves to a free port when the one asked for is taken: the peers' --bootstrap would then point
// at whatever holds that port (another testnet, someone else's), so that is refused instead.
// --port 0 asks for any free port (hyperdht's own 0 means its default, 49737, when that is free).
export async function testnetCommand (ctx: Ctx, port: number): Promise<Result> {
  if (port === 0) port = await freeUdpPort()
  const tn = await createTestnet(5, { host: '127.0.0.1', port })
  if (tn.bootstrap[0]?.port !== port) {
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

async function freeUdpPort (): Promise<number> {
  const socket = dgram.createSocket('udp4')
  await new Promise<void>((resolve, reject) => { socket.once('error', reject); socket.bind(0, '127.0.0.1', () => resolve()) })
  const { port } = socket.address()
  await new Promise<void>(resolve => socket.close(() => resolve()))
  return port
}

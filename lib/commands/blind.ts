// blind-peer: runs a blind peer (holepunchto/blind-peer) on this storage until SIGINT/SIGTERM, alone or inside
// `seed --blind`. It keeps whatever cores p2print peers using its key ask it to (their market's Autobase, their
// drives of models and photos) and serves them to anyone who connects to it, while their authors are offline. It
// holds no key to any market: it stores blocks as they come (lib/market/blind.ts is the client side).
import path from '#path'
import type { Ctx, Result } from './context.js'
import { peerId } from '../ids.js'

export async function startBlindPeer (ctx: Ctx, maxMb: number): Promise<{ key: string, close: () => Promise<void> }> {
  const { default: BlindPeer } = await import('blind-peer')
  const dir = path.join(ctx.storage, 'blind-peer')
  const bp = new BlindPeer(dir, { bootstrap: ctx.bootstrap ?? undefined, maxBytes: maxMb * 1024 * 1024 })
  await bp.ready()
  await bp.listen()
  const key = peerId(bp.publicKey)
  ctx.emit('blind-peer', { key, storage: dir, maxMb })
  return { key, close: async () => { await bp.close() } }
}

export async function blindPeerCommand (ctx: Ctx, maxMb: number): Promise<Result> {
  const bp = await startBlindPeer(ctx, maxMb)
  await ctx.stopped
  await bp.close()
  ctx.emit('stopped', {})
  return { kind: 'none', data: {} }
}

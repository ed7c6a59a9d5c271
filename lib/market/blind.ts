// Blind peers: servers (holepunchto/blind-peer; `p2print blind-peer`) that keep other peers' cores and serve them
// while their authors are offline, without any key to read them by but the cores' own. A peer configured with blind
// peers' keys (--blind-peer, P2PRINT_BLIND_PEERS, and those the market's settings name) asks them, with holepunchto/blind-peering, to keep the market's
// Autobase (its own writer core, the system and view cores, the writers it follows) and its own drive (the models and
// photos it shares); and it connects to them directly (they announce no topic), so it can read from them what an
// offline author left there.
import BlindPeering from 'blind-peering'
import b4a from 'b4a'
import type Autobase from 'autobase'
import type Hyperswarm from 'hyperswarm'
import type Corestore from 'corestore'
import type { Hypercore } from 'hypercore'
import type Hyperdrive from 'hyperdrive'

const PICK = 3

export class BlindMirrors {
  private readonly peering: BlindPeering
  private readonly drives = new Set<string>()
  constructor (private readonly swarm: Hyperswarm, store: Corestore, private readonly base: Autobase<unknown>, readonly keys: Uint8Array[]) {
    // each core goes to up to PICK of them (the closest to its key, as blind-peering picks); this peer connects to all
    this.peering = new BlindPeering(swarm.dht, store, { keys, wakeup: base.wakeupProtocol, pick: Math.min(PICK, keys.length) })
    this.peering.addAutobaseBackground(base)
    for (const key of keys) swarm.joinPeer(key)
  }

  // Asks the blind peers to keep a drive this peer writes (its db core and its blobs core).
  async keepDrive (drive: Hyperdrive): Promise<void> {
    await drive.ready()
    const id = b4a.toString(drive.key, 'hex')
    if (this.drives.has(id)) return
    this.drives.add(id)
    this.peering.addCoreBackground(drive.core, { referrer: drive.key })
    const blobs = await drive.getBlobs()
    this.peering.addCoreBackground(blobs.core, { referrer: drive.key })
  }

  // How many of the blind peers hold `core` up to `length` (0 for an empty core: nothing to hold).
  holding (core: Hypercore, length = core.length): number {
    if (length === 0) return this.keys.length
    let n = 0
    for (const key of this.keys) {
      if (core.peers.some(p => p.remotePublicKey !== undefined && b4a.equals(p.remotePublicKey, key) && p.remoteContiguousLength >= length)) n++
    }
    return n
  }

  // Waits until at least one blind peer holds each of `cores` and the drive (db and blobs) to their ends, or the
  // timeout; returns how many blind peers hold all of them (0: none yet).
  async waitHeld (cores: Hypercore[], drive: Hyperdrive, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs
    const all = [...cores, drive.core, (await drive.getBlobs()).core]
    const held = (): number => Math.min(...all.map(c => this.holding(c)))
    while (held() === 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100))
    return held()
  }

  // Whether a connection to one of these blind peers is open.
  connected (): boolean {
    for (const conn of this.swarm.connections) {
      const remote = (conn as unknown as { remotePublicKey?: Uint8Array }).remotePublicKey
      if (remote !== undefined && this.keys.some(k => b4a.equals(k, remote))) return true
    }
    return false
  }

  close (): void {
    for (const key of this.keys) this.swarm.leavePeer(key)
    this.peering.close()
  }
}

// A peer's storage: one directory holding a lock, the list of markets this peer knows, and one Corestore.
// Each market lives in its own namespace of that Corestore; the peer's key pair in a market is that market's
// local writer key, derived from the Corestore's primary key, so it survives restarts and never leaves the disk.
import fs from '#fs'
import path from '#path'
import ReadyResource from 'ready-resource'
import Corestore from 'corestore'
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
import { Market, type MarketOptions } from './market/market.js'
import { NO_MARKET, STORAGE_LOCKED, NOT_OPEN, BAD_STORAGE } from './errors.js'
import { writeFileAtomic } from './escrow/wallet.js'

export interface PeerOptions extends MarketOptions {}

interface MarketEntry {
  slot: string // Corestore namespace
  created: boolean // this peer created it (and is its first indexer)
}

interface Config {
  version: 1
  current: string | null // hex key of the market commands act on by default
  markets: Record<string, MarketEntry>
}

const EMPTY_CONFIG: Config = { version: 1, current: null, markets: {} }

export class Peer extends ReadyResource {
  readonly dir: string
  readonly opts: PeerOptions
  store: Corestore | null = null
  market: Market | null = null
  private config: Config = EMPTY_CONFIG
  private lock: StorageLock

  constructor (dir: string, opts: PeerOptions = {}) {
    super()
    this.dir = path.resolve(dir)
    this.opts = opts
    this.lock = new StorageLock(path.join(this.dir, 'LOCK'))
  }

  protected override async _open (): Promise<void> {
    await fs.promises.mkdir(this.dir, { recursive: true })
    this.lock.acquire(this.dir)
    try {
      this.config = await readConfig(path.join(this.dir, 'config.json'))
      this.store = new Corestore(path.join(this.dir, 'corestore'))
      await this.store.ready()
    } catch (err) {
      this.lock.release()
      throw err
    }
  }

  protected override async _close (): Promise<void> {
    if (this.market !== null) await this.market.close()
    if (this.store !== null) await this.store.close()
    this.lock.release()
  }

  get currentMarketKey (): string | null {
    return this.config.current
  }

  knownMarkets (): Array<{ key: string, created: boolean, current: boolean }> {
    return Object.entries(this.config.markets).map(([key, m]) => ({ key, created: m.created, current: key === this.config.current }))
  }

  // Creates a new market with this peer as its first indexer and makes it the current one.
  // admissionBits: the work it asks of a new writer (lib/market/admission.ts; its default when left out).
  async createMarket (name = '', admissionBits?: number): Promise<Market> {
    const slot = 'market-' + b4a.toString(crypto.randomBytes(16), 'hex')
    const market = await this.openSlot(slot, null, name, admissionBits)
    await this.remember(b4a.toString(market.key, 'hex'), { slot, created: true })
    return market
  }

  // Joins (or reopens) a market; it becomes the current one unless makeCurrent is false and another is current.
  async joinMarket (key: Uint8Array, { makeCurrent = true } = {}): Promise<Market> {
    const hex = b4a.toString(key, 'hex')
    const known = this.config.markets[hex]
    const slot = known !== undefined ? known.slot : 'market-' + hex
    const market = await this.openSlot(slot, key)
    if (known === undefined || makeCurrent) await this.remember(hex, known ?? { slot, created: false }, makeCurrent || this.config.current === null)
    return market
  }

  // Opens the given market (--market KEY, which does not change the current one), or the current one.
  async openMarket (key: Uint8Array | null = null): Promise<Market> {
    if (key !== null) return this.joinMarket(key, { makeCurrent: false })
    const hex = this.config.current
    if (hex === null) throw NO_MARKET(this.dir)
    const entry = this.config.markets[hex]
    return this.openSlot(entry.slot, b4a.from(hex, 'hex'))
  }

  private async openSlot (slot: string, key: Uint8Array | null, name?: string, admissionBits?: number): Promise<Market> {
    if (this.store === null) throw NOT_OPEN()
    if (this.market !== null) await this.market.close()
    const market = new Market(this.store.namespace(slot), key, { ...this.opts, name, admissionBits: admissionBits ?? this.opts.admissionBits })
    this.market = market
    await market.ready()
    return market
  }

  private async remember (hex: string, entry: MarketEntry, makeCurrent = true): Promise<void> {
    this.config = { ...this.config, current: makeCurrent ? hex : this.config.current, markets: { ...this.config.markets, [hex]: entry } }
    await writeFileAtomic(path.join(this.dir, 'config.json'), JSON.stringify(this.config, null, 2) + '\n', 0o600)
  }
}

async function readConfig (file: string): Promise<Config> {
  let text: string
  try {
    text = await fs.promises.readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_CONFIG
    throw err
  }
  try {
    const c = JSON.parse(text) as Config
    if (c.version !== 1 || typeof c.markets !== 'object' || c.markets === null) throw new Error('unknown layout')
    return c
  } catch (err) {
    throw BAD_STORAGE(file, (err as Error).message)
  }
}

// An exclusive lock on a storage directory: a file created with O_EXCL holding the owner's pid. A lock left by a
// process that no longer exists (kill -9, power loss) is taken over.
class StorageLock {
  private held = false
  private readonly onExit = (): void => this.release()

  constructor (private readonly file: string) {}

  acquire (dir: string): void {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = fs.openSync(this.file, 'wx')
        fs.writeSync(fd, String(process.pid))
        fs.closeSync(fd)
        this.held = true
        process.once('exit', this.onExit)
        return
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      }
      const pid = Number.parseInt(readOr(this.file, ''), 10)
      if (Number.isInteger(pid) && pid > 0 && (pid === process.pid || isAlive(pid))) throw STORAGE_LOCKED(dir, pid)
      try { fs.unlinkSync(this.file) } catch {}
    }
    throw STORAGE_LOCKED(dir, 0)
  }

  release (): void {
    if (!this.held) return
    this.held = false
    process.off('exit', this.onExit)
    try { fs.unlinkSync(this.file) } catch {}
  }
}

function readOr (file: string, fallback: string): string {
  try { return fs.readFileSync(file, 'utf8') } catch { return fallback }
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

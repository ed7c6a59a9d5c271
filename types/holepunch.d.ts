// Declarations for the parts of the Holepunch stack p2print uses. These packages ship no types; keep this file to
// what the code calls, and keep it honest (keys are Uint8Array: b4a hands out Buffers, which are Uint8Arrays).

declare module 'hypercore' {
  import { EventEmitter } from 'events'

  interface HypercorePeer {
    remotePublicKey: Uint8Array
    remoteLength: number
    remoteContiguousLength: number
  }

  interface Hypercore extends EventEmitter {
    key: Uint8Array | null
    discoveryKey: Uint8Array | null
    length: number
    contiguousLength: number
    signedLength: number
    byteLength: number
    writable: boolean
    opened: boolean
    closed: boolean
    peers: HypercorePeer[]
    ready(): Promise<void>
    close(): Promise<void>
    append(block: Uint8Array | Uint8Array[]): Promise<{ length: number; byteLength: number }>
    get(index: number, opts?: { wait?: boolean; timeout?: number }): Promise<Uint8Array | null>
    update(opts?: { wait?: boolean }): Promise<boolean>
    download(range?: { start?: number; end?: number; linear?: boolean }): { done(): Promise<void>; destroy(): void }
    findingPeers(): () => void
    has(start: number, end?: number): Promise<boolean>
    treeHash(length?: number): Promise<Uint8Array> // the Merkle root of the first `length` blocks
    clear(start: number, end?: number): Promise<unknown>
    truncate(length: number): Promise<void>
    session(opts?: { active?: boolean; weak?: boolean }): Hypercore // active (the default): replicate while open
  }

  namespace Hypercore {
    export { Hypercore, HypercorePeer }
  }
  const Hypercore: {
    new (storage: string, key?: Uint8Array | null, opts?: Record<string, unknown>): Hypercore
  }
  export = Hypercore
}

declare module 'corestore' {
  import type { Hypercore } from 'hypercore'
  import { EventEmitter } from 'events'

  interface KeyPair {
    publicKey: Uint8Array
    secretKey: Uint8Array
  }

  interface GetOptions {
    name?: string
    key?: Uint8Array
    keyPair?: KeyPair
    valueEncoding?: unknown
    exclusive?: boolean
  }

  class Corestore extends EventEmitter {
    constructor(storage: string, opts?: { primaryKey?: Uint8Array; unsafe?: boolean })
    ready(): Promise<void>
    close(): Promise<void>
    get(opts: GetOptions | Uint8Array): Hypercore
    namespace(name: string | Uint8Array): Corestore
    session(opts?: Record<string, unknown>): Corestore
    replicate(stream: unknown): unknown
    createKeyPair(name: string): Promise<KeyPair>
    primaryKey: Uint8Array
    storage: { hasCore(discoveryKey: Uint8Array): Promise<boolean> } // hypercore-storage: is this core stored here
  }
  export = Corestore
}

declare module 'hyperbee' {
  import type { Hypercore } from 'hypercore'

  interface BeeEntry<K, V> {
    seq: number
    key: K
    value: V
  }

  interface RangeOptions<K> {
    gt?: K
    gte?: K
    lt?: K
    lte?: K
    reverse?: boolean
    limit?: number
  }

  interface BeeBatch<K, V> {
    put(key: K, value: V): Promise<void>
    del(key: K): Promise<void>
    get(key: K): Promise<BeeEntry<K, V> | null>
    flush(): Promise<void>
    close(): Promise<void>
  }

  class Hyperbee<K = Uint8Array, V = Uint8Array> {
    constructor(
      core: Hypercore,
      opts?: { keyEncoding?: unknown; valueEncoding?: unknown; extension?: boolean; metadata?: unknown }
    )
    core: Hypercore
    version: number
    ready(): Promise<void>
    close(): Promise<void>
    get(key: K, opts?: { wait?: boolean; update?: boolean }): Promise<BeeEntry<K, V> | null>
    put(key: K, value?: V): Promise<void>
    del(key: K): Promise<void>
    batch(): BeeBatch<K, V>
    createReadStream(range?: RangeOptions<K>, opts?: { wait?: boolean }): AsyncIterable<BeeEntry<K, V>>
    snapshot(): Hyperbee<K, V>
    // left: the entry in this bee, right: in the older version (null where the key is absent)
    createDiffStream(version: number, range?: RangeOptions<K>): AsyncIterable<{ left: BeeEntry<K, V> | null; right: BeeEntry<K, V> | null }>
    createHistoryStream(opts?: { gte?: number; lt?: number; reverse?: boolean; live?: boolean }): AsyncIterable<{ type: 'put' | 'del'; seq: number; key: K; value: V | null }>
  }

  namespace Hyperbee {
    export { BeeEntry, BeeBatch, RangeOptions }
  }
  export = Hyperbee
}

declare module 'autobase' {
  import type Corestore from 'corestore'
  import type { Hypercore } from 'hypercore'
  import ReadyResource from 'ready-resource'

  interface ApplyNode {
    value: Uint8Array
    from: Hypercore & { key: Uint8Array }
    length: number
    indexed: boolean
    optimistic: boolean
  }

  interface ApplyHost {
    addWriter(key: Uint8Array, opts?: { indexer?: boolean; isIndexer?: boolean }): Promise<void>
    removeWriter(key: Uint8Array): Promise<void>
    ackWriter(key: Uint8Array): Promise<void>
    interrupt(reason?: unknown): void
  }

  interface AutobaseHandlers<View> {
    open(store: Corestore): View
    apply(nodes: ApplyNode[], view: View, host: ApplyHost): Promise<void>
    close?(view: View): Promise<void>
    optimistic?: boolean
    valueEncoding?: unknown
    ackInterval?: number
    ackThreshold?: number
  }

  class Autobase<View> extends ReadyResource {
    constructor(store: Corestore, bootstrap: Uint8Array | null, handlers: AutobaseHandlers<View>)
    key: Uint8Array
    discoveryKey: Uint8Array
    local: Hypercore
    view: View
    writable: boolean
    isIndexer: boolean
    signedLength: number
    append(value: Uint8Array, opts?: { optimistic?: boolean }): Promise<number>
    update(): Promise<void>
    ack(): Promise<void>
    replicate(stream: unknown): unknown
    // the wakeup protocol's session over the replicated streams (autobase/index.js setWakeup); null before it opens
    wakeupProtocol: unknown // the protomux-wakeup instance blind-peering announces through
    wakeupSession: { announceByStream(stream: unknown, wakeup: Array<{ key: Uint8Array, length: number }>): void } | null
    static getLocalKey(store: Corestore): Promise<Uint8Array>
  }

  namespace Autobase {
    export { ApplyNode, ApplyHost, AutobaseHandlers }
  }
  export = Autobase
}

declare module 'hyperswarm' {
  import { EventEmitter } from 'events'
  import type { Duplex } from 'stream'

  interface PeerInfo {
    publicKey: Uint8Array
  }

  interface Discovery {
    flushed(): Promise<void>
    refresh(opts?: { client?: boolean; server?: boolean }): Promise<void> // announce (server) and look up (client) again
    destroy(): Promise<void>
  }

  class Hyperswarm extends EventEmitter {
    constructor(opts?: { bootstrap?: Array<{ host: string; port: number }> | null; keyPair?: unknown; maxPeers?: number; maxClientConnections?: number })
    connections: Set<Duplex>
    peers: Map<string, PeerInfo> // every peer discovered so far (by any topic), connected or not
    connecting: number // client connections being opened now
    join(topic: Uint8Array, opts?: { server?: boolean; client?: boolean }): Discovery
    leave(topic: Uint8Array): Promise<void>
    joinPeer(publicKey: Uint8Array): void // keep a connection to this peer (by its key), without any topic
    leavePeer(publicKey: Uint8Array): void
    dht: unknown // the HyperDHT the swarm runs on (blind-peering connects through it)
    flush(): Promise<void>
    destroy(opts?: { force?: boolean }): Promise<void>
    on(event: 'connection', listener: (conn: Duplex, info: PeerInfo) => void): this
    on(event: string, listener: (...args: unknown[]) => void): this
  }
  export = Hyperswarm
}

declare module 'hypercore-crypto' {
  export function randomBytes(n: number): Uint8Array
  export function hash(data: Uint8Array | Uint8Array[]): Uint8Array
  export function discoveryKey(key: Uint8Array): Uint8Array
  export function keyPair(seed?: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array }
}

declare module 'hypercore-id-encoding' {
  export function encode(key: Uint8Array): string
  export function decode(id: string | Uint8Array): Uint8Array
  export function normalize(id: string | Uint8Array): string
  export function isValid(id: unknown): boolean
}

declare module '@hyperswarm/testnet' {
  interface Testnet {
    bootstrap: Array<{ host: string; port: number }>
    nodes: unknown[]
    destroy(): Promise<void>
  }
  function createTestnet(size?: number, opts?: { teardown?: (fn: () => Promise<void>, opts?: unknown) => void; host?: string; port?: number }): Promise<Testnet>
  namespace createTestnet {
    export { Testnet }
  }
  export = createTestnet
}

declare module 'z32' {
  export function encode(buf: Uint8Array | string): string
  export function decode(s: string, out?: Uint8Array): Uint8Array
}

declare module 'hyperdht/testnet.js' {
  import createTestnet = require('@hyperswarm/testnet')
  export = createTestnet
}

declare module 'hyperdrive' {
  import type Corestore from 'corestore'
  import type { Hypercore } from 'hypercore'
  import type Hyperbee from 'hyperbee'
  import type { Readable, Writable } from 'stream'

  interface BlobRef { blockOffset: number, blockLength: number, byteOffset: number, byteLength: number }
  interface DriveEntry { key: string, seq: number, value: { executable: boolean, linkname: string | null, blob: BlobRef | null, metadata: unknown } }
  interface Hyperblobs { core: Hypercore }

  class Hyperdrive {
    constructor(store: Corestore, key?: Uint8Array | null)
    key: Uint8Array
    discoveryKey: Uint8Array
    core: Hypercore
    db: Hyperbee<unknown, unknown>
    blobs: Hyperblobs | null
    writable: boolean
    ready(): Promise<void>
    close(): Promise<void>
    put(path: string, data: Uint8Array): Promise<void>
    get(path: string, opts?: { wait?: boolean, timeout?: number }): Promise<Uint8Array | null>
    entry(path: string, opts?: { wait?: boolean, timeout?: number }): Promise<DriveEntry | null>
    getBlobs(): Promise<Hyperblobs>
    clear(path: string, opts?: { diff?: boolean }): Promise<{ blocks: number } | null>
    createReadStream(path: string, opts?: { start?: number, end?: number, wait?: boolean, timeout?: number }): Readable
    createWriteStream(path: string): Writable
    update(opts?: { wait?: boolean }): Promise<boolean>
    findingPeers(): () => void
  }
  namespace Hyperdrive {
    export { BlobRef, DriveEntry, Hyperblobs }
  }
  export = Hyperdrive
}

// The libsodium calls of the job chat (lib/chat/crypto.ts). Outputs are written into the first argument; every
// call throws on failure except the *_open ones, which return false when the ciphertext does not authenticate.
declare module 'sodium-native' {
  const sodium: {
    crypto_box_PUBLICKEYBYTES: number
    crypto_box_SECRETKEYBYTES: number
    crypto_box_SEEDBYTES: number
    crypto_box_SEALBYTES: number
    crypto_secretbox_KEYBYTES: number
    crypto_secretbox_NONCEBYTES: number
    crypto_secretbox_MACBYTES: number
    crypto_box_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void
    crypto_box_seal(c: Uint8Array, m: Uint8Array, pk: Uint8Array): void
    crypto_box_seal_open(m: Uint8Array, c: Uint8Array, pk: Uint8Array, sk: Uint8Array): boolean
    crypto_secretbox_easy(c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): void
    crypto_secretbox_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, k: Uint8Array): boolean
    crypto_generichash(out: Uint8Array, input: Uint8Array, key?: Uint8Array): void
    randombytes_buf(buf: Uint8Array): void
    sodium_memzero(buf: Uint8Array): void
    crypto_scalarmult_BYTES: number
    crypto_scalarmult_SCALARBYTES: number
    // throws when the result is all zero (a low-order point)
    crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): void
  }
  export default sodium
}

// The local writer's key pair (a writable core has its secret key; the chat derives its X25519 key from it).
declare module 'hypercore' {
  interface Hypercore {
    keyPair: { publicKey: Uint8Array; secretKey: Uint8Array | null } | null
  }
}

// holepunchto/blind-peering 2.0.1: asks blind peers (by their keys) to keep cores; connects over the DHT.
declare module 'blind-peering' {
  import type Autobase from 'autobase'
  import type Corestore from 'corestore'
  import type { Hypercore } from 'hypercore'
  class BlindPeering {
    constructor(dht: unknown, store: Corestore, opts: { keys: Uint8Array[]; wakeup?: unknown; pick?: number })
    addAutobaseBackground(base: Autobase<unknown>, opts?: { referrer?: Uint8Array; priority?: number; announce?: boolean }): void
    addCoreBackground(core: Hypercore, opts?: { referrer?: Uint8Array; priority?: number; announce?: boolean }): void
    close(): Promise<void>
  }
  export = BlindPeering
}

// holepunchto/blind-peer 3.8.1: the server that keeps what blind-peering clients ask it to (RocksDB storage).
declare module 'blind-peer' {
  import type Corestore from 'corestore'
  import { EventEmitter } from 'events'
  class BlindPeer extends EventEmitter {
    constructor(storage: string, opts?: { bootstrap?: Array<{ host: string; port: number }> | null; maxBytes?: number; trustedPubKeys?: Uint8Array[] })
    publicKey: Uint8Array
    store: Corestore
    swarm: import('hyperswarm')
    ready(): Promise<void>
    listen(): Promise<void>
    close(): Promise<void>
  }
  export = BlindPeer
}

// Autobase's block encoding, which test/hostile.ts writes raw blocks with (a hostile peer's own log).
declare module 'autobase/lib/messages.js' {
  import type c from 'compact-encoding'
  const messages: { OplogMessage: c.Encoder<{ node: { value: Uint8Array | null } }> }
  export default messages
}

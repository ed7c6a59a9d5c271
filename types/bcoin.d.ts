// Declarations for the small part of bcoin (1.0.2, a devDependency) that p2print touches: an in-process regtest
// FullNode for the tests and the `regtest` dev command. Everything else goes through its JSON-RPC and REST API.
declare module 'bcoin' {
  import { EventEmitter } from 'events'
  import type { Server } from 'http'

  interface FullNodeOptions {
    network: 'main' | 'testnet' | 'regtest' | 'simnet'
    memory?: boolean
    prefix?: string
    workers?: boolean
    listen?: boolean
    httpHost?: string
    httpPort?: number // 0 picks a free port
    apiKey?: string
    indexTX?: boolean
    indexAddress?: boolean
    logLevel?: 'none' | 'error' | 'warning' | 'info' | 'debug' | 'spam'
  }

  class FullNode extends EventEmitter {
    constructor (options: FullNodeOptions)
    open (): Promise<void>
    close (): Promise<void>
    // bweb's server; `http` on it is Node's http.Server (listening once open() resolved)
    http: { http: Server }
    chain: { height: number }
    // relays in flight (txid → item); each holds a 60 s timer that close() does not clear
    pool: { invMap: Map<string, { resolve (): void }> }
  }

  const bcoin: { FullNode: typeof FullNode }
  export = bcoin
}

// HTTP for the chain backends (rpc.ts, esplora.ts): one request with a timeout and a size cap, its failures as
// CHAIN_UNREACHABLE or CHAIN_ERROR, and URLs shown without credentials.
import http from '#http'
import https from '#https'
import { CHAIN_ERROR, CHAIN_UNREACHABLE } from '../errors.js'

export interface HttpResponse { status: number, body: string }

export interface HttpRequest {
  url: URL
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
  timeoutMs: number
  agent?: http.Agent
  maxBytes?: number
}

// The URL as it may be shown: no user, no password, no query.
export function redactUrl (url: URL | string): string {
  const u = new URL(String(url))
  return `${u.protocol}//${u.host}${u.pathname}${u.hash}` // built, not u.toString() after clearing: Bare's URL keeps ':@'
}

export function httpRequest (req: HttpRequest): Promise<HttpResponse> {
  const { url, timeoutMs } = req
  const maxBytes = req.maxBytes ?? 64 * 1024 * 1024
  const shown = redactUrl(url)
  const mod = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null
  if (mod === null) return Promise.reject(CHAIN_UNREACHABLE(shown, `unsupported protocol ${url.protocol} (use http: or https:)`))
  const headers: Record<string, string> = { ...req.headers }
  if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body))
  return new Promise((resolve, reject) => {
    let done = false
    const finish = (err: Error | null, res?: HttpResponse): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      if (err !== null) reject(err)
      else resolve(res!)
    }
    const r = mod.request(url, { method: req.method ?? 'GET', headers, agent: req.agent }, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => {
        size += c.length
        if (size > maxBytes) {
          r.destroy()
          finish(CHAIN_ERROR(`the answer from ${shown} is larger than ${maxBytes} bytes`))
          return
        }
        chunks.push(c)
      })
      res.on('end', () => finish(null, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', (err) => finish(CHAIN_UNREACHABLE(shown, err.message)))
    })
    const timer = setTimeout(() => {
      r.destroy()
      finish(CHAIN_UNREACHABLE(shown, `no answer within ${timeoutMs} ms`))
    }, timeoutMs)
    r.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ECONNREFUSED'
        ? 'connection refused (is the node running, and is this its RPC port?)'
        : err.code === 'ENOTFOUND' ? `unknown host ${url.hostname}` : (err.code ?? err.message)
      finish(CHAIN_UNREACHABLE(shown, why))
    })
    if (req.body !== undefined) r.write(req.body)
    r.end()
  })
}

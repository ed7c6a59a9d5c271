// For `p2print seed`: the encrypted photos of live jobs' chats, so a party that is offline still gets them.
// A seeder holds only their ciphertext (it has no conversation key).
import type { Market } from '../market/market.js'
import type { BlobRef } from '../files/drive.js'
import type { Status } from '../schema.js'
import { chatMessages } from './view.js'
import { photoPath } from './chat.js'
import { jobIdString } from '../ids.js'

export async function chatPhotoRefs (market: Market, live: readonly Status[]): Promise<Array<{ job: string, ref: BlobRef }>> {
  const out: Array<{ job: string, ref: BlobRef }> = []
  for await (const job of market.allJobs()) {
    if (!live.includes(job.status) || job.printer === null) continue
    for (const m of await chatMessages(market.view, job.id)) {
      if (m.drive === null) continue
      for (const p of m.photos) {
        const path = photoPath(job.id, p.sha256)
        out.push({ job: jobIdString(job.id), ref: { drive: m.drive, path, name: `chat photo ${path.slice(-64, -52)}`, byteLength: p.byteLength, sha256: p.sha256 } })
      }
    }
  }
  return out
}

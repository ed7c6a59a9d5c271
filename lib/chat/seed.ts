// For `p2print seed`: the encrypted photos of live jobs' chats, so a party that is offline still gets them.
// A seeder holds only their ciphertext (it has no conversation key).
import type { BlobRef } from '../files/drive.js'
import type { ChatMessageRecord } from './codec.js'
import { photoPath } from './chat.js'

// The photos one chat message carries, as drive references the seeder can mirror.
export function messagePhotoRefs (jobId: Uint8Array, m: Pick<ChatMessageRecord, 'drive' | 'photos'>): BlobRef[] {
  const drive = m.drive
  if (drive === null) return []
  return m.photos.map(p => {
    const path = photoPath(jobId, p.sha256)
    return { drive, path, name: `chat photo ${path.slice(-64, -52)}`, byteLength: p.byteLength, sha256: p.sha256 }
  })
}

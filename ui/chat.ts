// Text rendering of `p2print chat` (called from ui/text.ts renderResult).
import type { ChatData } from '../lib/service/chat.js'
import { shortId } from '../lib/ids.js'

export function renderChat (d: ChatData): string {
  const lines = [`Chat of job ${d.id} (you are its ${d.role})${d.sent ? ' — sent.' : ''}`]
  if (d.messages.length === 0) lines.push('  no messages yet: `p2print chat ID "MESSAGE" [--photo PATH]`')
  for (const m of d.messages) {
    const who = `${shortId(m.author)} ${m.role}${m.mine ? ' (you)' : ''}`
    lines.push(`  ${m.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}  ${who}`)
    lines.push(m.text === null ? '    [encrypted: no key for you yet; it arrives when a party runs `p2print chat` again]' : m.text.split('\n').map(l => '    ' + l).join('\n'))
    for (const p of m.photos) lines.push(`    📎 ${p.name} (${p.type}, ${p.byteLength} bytes)${p.file !== undefined ? ' → ' + p.file : ''}`)
  }
  if (d.unreadable > 0) lines.push(`${d.unreadable} message(s) are not readable here yet.`)
  return lines.join('\n')
}

// Text other peers wrote is printed without its control characters: escape sequences in a title, a note or a
// chat message must not act on this peer's terminal (lib/text.ts), in the CLI's text and JSON output alike.
import test from 'brittle'
import b4a from 'b4a'
import { printable } from '../lib/text.js'
import { jobToJSON } from '../lib/job/json.js'
import { renderResult } from '../ui/text.js'
import type { JobRecord } from '../lib/schema.js'

const ESC = '\u001b'

test('printable: control characters and bidi overrides become U+FFFD; line breaks stay only where asked', (t) => {
  t.is(printable(`Gear${ESC}]0;pwned\u0007 box`), 'Gear\ufffd]0;pwned\ufffd box')
  t.is(printable('a\u202eb'), 'a\ufffdb', 'right-to-left override')
  t.is(printable('line 1\nline 2\ttab'), 'line 1\ufffdline 2\ufffdtab', 'single line: no breaks')
  t.is(printable('line 1\nline 2\ttab', true), 'line 1\nline 2\ttab', 'multi-line: breaks and tabs kept')
  t.is(printable('Zahnrad für Öl ⚙', true), 'Zahnrad für Öl ⚙', 'ordinary text untouched')
})

test('a job with escape sequences in its fields prints none of them', (t) => {
  const job: JobRecord = {
    id: b4a.alloc(16, 1), seq: 0, title: `Benchy${ESC}[2J${ESC}[H`, material: 'PLA', colors: [`red${ESC}[31m`], bountySats: 1000, country: 'DE',
    notes: `see${ESC}[8m hidden\nsecond line`, client: b4a.alloc(32, 2), printer: null, status: 'open', createdAt: 0, updatedAt: 0, updates: 0,
    history: [{ action: 1, from: null, to: 'open', by: b4a.alloc(32, 2), at: 0, note: `x${ESC}[1A` }], file: null, escrow: null, dispute: null
  } as unknown as JobRecord
  const json = jobToJSON(job, true)
  const text = renderResult({ kind: 'job', data: json })
  t.absent(text.includes(ESC), 'no escape character in the text output')
  t.absent(JSON.stringify(json).includes('\\u001b'), 'none in the JSON output')
  t.ok(text.includes('Benchy\ufffd[2J') && json.notes.includes('\nsecond line'), 'the rest of the text is kept')
})

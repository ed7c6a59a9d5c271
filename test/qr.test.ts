// lib/qr.ts (the QR matrix) and the terminal drawing of ui/components/QrCode.tsx.
import test from 'brittle'
import { qrMatrix, qrTextForUri } from '../lib/qr.js'
import { qrLines, QUIET_ZONE } from '../ui/components/QrCode.js'

const URI = 'BITCOIN:TB1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KXPJZSX'

test('qr: matrix size follows the version (17 + 4 × version)', (t) => {
  const small = qrMatrix('hello')
  t.is(small.version, 1)
  t.is(small.size, 21)
  t.is(small.dark.length, 21)
  t.ok(small.dark.every(r => r.length === 21), 'square')
  // an upper-case BIP21 URI fits the alphanumeric mode: version 3 at level M
  const m = qrMatrix(URI)
  t.is(m.version, 3)
  t.is(m.size, 29)
  // the same URI in lower case needs the byte mode: a bigger code
  t.ok(qrMatrix(URI.toLowerCase()).size > m.size, 'upper case gives a smaller code')
  // finder patterns: the top-left 7×7 ring is dark, its inside ring light, its 3×3 core dark
  const ring = [0, 1, 2, 3, 4, 5, 6]
  t.ok(ring.every(i => m.dark[0][i] && m.dark[6][i] && m.dark[i][0] && m.dark[i][6]), 'outer ring dark')
  t.ok([1, 2, 3, 4, 5].every(i => !m.dark[1][i] && !m.dark[5][i]), 'inner ring light')
  t.ok(m.dark[3][3] && m.dark[2][2] && m.dark[4][4], 'core dark')
  t.ok(m.dark[0][m.size - 1] && m.dark[m.size - 1][0], 'top-right and bottom-left finders')
  t.exception(() => qrMatrix(''), /needs some text/)
})

test('qr: BIP21 text for the code', (t) => {
  t.is(qrTextForUri('bitcoin:tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx'), URI, 'bech32: upper case')
  t.is(qrTextForUri('bitcoin:bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080'), 'BITCOIN:BCRT1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KYGT080')
  t.is(qrTextForUri('bitcoin:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2'), 'bitcoin:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2', 'base58 is case-sensitive: unchanged')
})

test('qr: drawn with half blocks inside a quiet zone', (t) => {
  const m = qrMatrix(URI)
  const lines = qrLines(m.dark)
  const side = m.size + 2 * QUIET_ZONE
  t.is(QUIET_ZONE, 4)
  t.is(lines.length, Math.ceil(side / 2), 'two module rows per line')
  t.ok(lines.every(l => l.length === side), 'every line as wide as the code and its quiet zone')
  const blank = ' '.repeat(side)
  t.is(lines[0], blank, 'quiet zone: first line')
  t.is(lines[1], blank, 'quiet zone: second line (rows 2 and 3)')
  t.is(lines[lines.length - 1], blank, 'quiet zone: last line')
  t.is(lines[lines.length - 2], blank, 'quiet zone: the line before it')
  t.ok(lines.every(l => l.startsWith('    ') && l.endsWith('    ')), 'quiet zone left and right')
  // rows 4 and 5 (module rows 0 and 1): finder pattern top edge over its light inside
  t.is(lines[2].slice(4, 11), '█▀▀▀▀▀█')
  t.ok(/^[ █▀▄]+$/.test(lines.join('')), 'only blocks and spaces')
  // every dark module is drawn: count halves
  let dark = 0
  for (const l of lines) for (const ch of l) dark += ch === '█' ? 2 : ch === '▀' || ch === '▄' ? 1 : 0
  t.is(dark, m.dark.flat().filter(Boolean).length, 'all dark modules drawn')
})

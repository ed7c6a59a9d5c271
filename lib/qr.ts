// QR code matrices for the terminal (the wallet screen draws them: ui/components/QrCode.tsx). Pure: no terminal,
// no network.
import QRCode from 'qrcode'

export type QrLevel = 'L' | 'M' | 'Q' | 'H'

export interface QrMatrix {
  size: number // modules per side (21 for version 1, + 4 per version)
  version: number
  dark: boolean[][] // [row][column], true for a dark module; no quiet zone (the drawing adds it)
}

export function qrMatrix (text: string, level: QrLevel = 'M'): QrMatrix {
  if (text.length === 0) throw new Error('a QR code needs some text')
  const q = QRCode.create(text, { errorCorrectionLevel: level })
  const size = q.modules.size
  const dark: boolean[][] = []
  for (let r = 0; r < size; r++) {
    const row: boolean[] = []
    for (let c = 0; c < size; c++) row.push(q.modules.get(r, c) === 1)
    dark.push(row)
  }
  return { size, version: q.version, dark }
}

// What to encode for a BIP21 URI. Bech32 addresses are case-insensitive, and upper case puts the whole URI in the
// QR alphanumeric mode: a smaller code (BIP173 recommends it for QR codes). Base58 addresses are case-sensitive
// and are left as they are.
export function qrTextForUri (uri: string): string {
  const m = /^bitcoin:([a-z0-9]+)$/i.exec(uri)
  if (m === null) return uri
  const addr = m[1]
  const bech32 = /^(bc|tb|bcrt|rb|sb)1[ac-hj-np-z02-9]+$/.test(addr)
  return bech32 ? `BITCOIN:${addr.toUpperCase()}` : uri
}

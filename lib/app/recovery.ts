// The wallet's recovery phrase in the app: shown again (`wallet mnemonic`; the screen asks first) and a wallet
// restored from one (`wallet restore`: the wallet there is moved aside, never deleted).
import type { P2Print } from '../service/p2print.js'
import { checkMnemonic } from '../escrow/wallet.js'
import { escrowRows, friendly } from './details.js'
import type { RecoveryCore, RestoreCheck, RestoredInfo } from './types.js'

export function validateMnemonic (words: string): string | null {
  try {
    checkMnemonic(words)
    return null
  } catch (err) { return (err as Error).message }
}

// The controller behind AppCore.recovery. `service` is the session's (no market needed: the wallet is the
// storage's); `replaced` tells the session the wallet changed (its receive address and balance are the old one's).
export class AppRecovery implements RecoveryCore {
  constructor (private readonly service: () => P2Print, private readonly replaced: () => void) {}

  async phrase (): Promise<{ mnemonic: string, fingerprint: string }> {
    try {
      return await this.service().recoveryPhrase()
    } catch (err) { throw friendly(err) }
  }

  validate (words: string): string | null { return validateMnemonic(words) }

  async check (words: string): Promise<RestoreCheck> {
    try {
      const p2 = this.service()
      const r = await p2.previewRestore(words)
      // the escrows this peer is in that are not paid out: the wallet here signs for them
      const open = hasMarket(p2) ? (await escrowRows(p2)).filter(e => e.payoutTxid === null && e.state !== 'closed').length : 0
      return { ...r, unchanged: r.current === r.fingerprint, openEscrows: open }
    } catch (err) { throw friendly(err) }
  }

  async restore (words: string): Promise<RestoredInfo> {
    try {
      const r = await this.service().restoreWallet(words)
      if (!r.unchanged) this.replaced()
      return r
    } catch (err) { throw friendly(err) }
  }
}

function hasMarket (p2: P2Print): boolean {
  try {
    return p2.market.writerKey.byteLength > 0
  } catch { return false } // no market open yet
}

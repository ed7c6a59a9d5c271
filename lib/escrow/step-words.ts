// What a step of this peer's escrow engine did (lib/escrow/engine.ts StepReport), in the user's words: the CLI's
// renderer (ui/text.ts) and the app's timeline say the same.

// The transaction a kind names, e.g. 'complete' → "the payout to the printer".
export function payoutWords (kind: string): string {
  switch (kind) {
    case '': return 'the payout'
    case 'funding': return 'the funding'
    case 'refund': return 'the refund'
    case 'complete': return 'the payout to the printer'
    case 'cancel': return 'the cancellation payout'
    case 'split': return 'the split\'s payout'
    case 'ruling': return 'the ruling\'s payout'
    default: return `the ${kind} payout`
  }
}

export function stepWords (action: string, kind = ''): string {
  const payout = payoutWords(kind)
  switch (action) {
    case 'propose': return 'proposed the funding (your coins, and the refund\'s lock height)'
    case 'sign': return `signed ${payout}`
    case 'broadcast': return `sent ${payout} to the Bitcoin network`
    case 'funded': return 'the funding is confirmed: the job is active'
    case 'paid': return `${payout} is confirmed on chain`
    case 'settled': return `done: ${payout} is confirmed and recorded`
    case 'lapse': return 'the acceptance was not funded in time: the job is open again'
    case 'escalate': return 'took the dispute to the arbitrator'
    case 'refuse': return `refused to go on with ${kind === '' ? 'the escrow' : payout}`
    case 'error': return `could not act on ${kind === '' ? 'the escrow' : payout}`
    default: return `${action}${kind === '' ? '' : ' ' + kind}`
  }
}

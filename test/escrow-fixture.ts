// Escrow records with real keys and real signatures, for tests that drive the reducer (or write raw ops) without a
// Bitcoin node: coins are made up (apply never asks the chain), everything else is what a real client would sign.
//   const f = escrowParties(seed)
//   const accept = f.printerSide()             → the escrow fields of a job/accept
//   const propose = f.clientSide(lockHeight)   → the escrow fields of escrow/propose
//   f.sign(job, 'refund', 'printer')           → PSBT bytes signed by that party, on the transaction the record defines
import b4a from 'b4a'
import * as bitcoin from 'bitcoinjs-lib'
import * as ecc from 'tiny-secp256k1'
import { ECPairFactory, type ECPairInterface } from 'ecpair'
import crypto from 'crypto'
import type { JobRecord, EscrowParty, ProposeEscrow, SignKind, SignerRole, Winner } from '../lib/schema.js'
import { escrowContext, buildFor } from '../lib/escrow/context.js'
import { keyBindingHash } from '../lib/escrow/verify.js'

bitcoin.initEccLib(ecc)
const ECPair = ECPairFactory(ecc)

function keyFrom (seed: string): ECPairInterface {
  return ECPair.fromPrivateKey(crypto.createHash('sha256').update(seed).digest())
}

function p2wpkh (k: ECPairInterface): Uint8Array {
  return bitcoin.payments.p2wpkh({ pubkey: k.publicKey }).output as Uint8Array
}

// feeRate in sat/vB; coins: how many coins the side brings (each worth valueSats); with jobId and author (the
// writer key that puts it in the job), the escrow key's proof binding it to them (apply requires it)
export interface Side { feeRate?: number, valueSats?: number, coins?: number, jobId?: Uint8Array, author?: Uint8Array }

function proof (k: ECPairInterface, o: Side, role: 'client' | 'printer'): Uint8Array | null {
  return o.jobId === undefined || o.author === undefined ? null : k.sign(keyBindingHash(o.jobId, o.author, role))
}

function coins (seed: string, o: Side, value: number, key: ECPairInterface): ProposeEscrow['inputs'] {
  return Array.from({ length: o.coins ?? 1 }, (_, i) => ({ txid: crypto.createHash('sha256').update(`${seed}/${i}`).digest(), vout: i % 3, valueSats: o.valueSats ?? value, script: p2wpkh(key) }))
}

export interface EscrowParties {
  client: ECPairInterface // escrow keys
  printer: ECPairInterface
  arbitrator: ECPairInterface
  clientCoin: ECPairInterface // the keys that own each side's coins
  printerCoin: ECPairInterface
  printerSide: (o?: Side) => EscrowParty
  clientSide: (lockHeight: number, o?: Side) => ProposeEscrow
  sign: (job: JobRecord, kind: SignKind, role: SignerRole) => Uint8Array
  // the arbitrator's ruling as dispute/rule carries it
  rule: (job: JobRecord, printerPct: number, note: string, at: number, feeScript?: Uint8Array) => { printerPct: number, note: string, feeScript: Uint8Array, psbt: Uint8Array }
}

export function escrowParties (seed = 'p2print test'): EscrowParties {
  const k = (n: string): ECPairInterface => keyFrom(`${seed}/${n}`)
  const f: EscrowParties = {
    client: k('client'),
    printer: k('printer'),
    arbitrator: k('arbitrator'),
    clientCoin: k('client-coin'),
    printerCoin: k('printer-coin'),
    printerSide: (o = {}) => ({
      pubkey: f.printer.publicKey,
      payoutScript: p2wpkh(k('printer-payout')),
      changeScript: p2wpkh(k('printer-change')),
      inputs: coins(`${seed}/printer-coin-tx`, o, 5_000_000, f.printerCoin),
      feeRate: o.feeRate ?? 2,
      keyProof: proof(f.printer, o, 'printer')
    }),
    clientSide: (lockHeight, o = {}) => ({
      pubkey: f.client.publicKey,
      payoutScript: p2wpkh(k('client-payout')),
      changeScript: p2wpkh(k('client-change')),
      inputs: coins(`${seed}/client-coin-tx`, o, 50_000_000, f.clientCoin),
      feeRate: o.feeRate ?? 2,
      lockHeight,
      keyProof: proof(f.client, o, 'client')
    }),
    sign: (job, kind, role) => {
      const ctx = escrowContext(job)
      const psbt = buildFor(ctx, kind)
      if (kind === 'funding') {
        const coin = role === 'client' ? f.clientCoin : f.printerCoin
        for (const i of role === 'client' ? ctx.fundingPlan.client.inputIndexes : ctx.fundingPlan.printer.inputIndexes) psbt.signInput(i, coin)
      } else {
        psbt.signInput(0, role === 'client' ? f.client : role === 'printer' ? f.printer : f.arbitrator)
      }
      return psbt.toBuffer()
    },
    rule: (job, printerPct, note, at, feeScript = p2wpkh(k('arbitrator-fee'))) => {
      const e = job.escrow!
      const winner: Winner = printerPct >= 50 ? 'printer' : 'client'
      const ruled: JobRecord = { ...job, escrow: { ...e, ruling: { winner, feeScript } }, dispute: job.dispute == null ? null : { ...job.dispute, ruling: { printerPct, note, at } } }
      return { printerPct, note, feeScript, psbt: f.sign(ruled, 'ruling', 'arbitrator') }
    }
  }
  return f
}

export function hex (b: Uint8Array): string {
  return b4a.toString(b, 'hex')
}

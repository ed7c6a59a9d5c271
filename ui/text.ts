// Plain-text rendering for the command line: progress events (stderr) and command results (stdout).
import type { Result, MarketInfo } from '../lib/commands/context.js'
import type { EscrowView } from '../lib/service/p2print.js'
import type { JobJSON } from '../lib/job/json.js'
import type { JobOutcome } from '../lib/job/outcome.js'
import { stepWords, payoutWords } from '../lib/escrow/step-words.js'
import type { FileAnalysis, ModelAnalysis } from '../lib/files/model.js'
import { shortId } from '../lib/ids.js'
import { SHIP_GRACE_DAYS } from '../lib/escrow/record.js'
import { RELEASE_ASKS } from '../lib/escrow/milestones.js'
import { renderReputation, recordLine } from './reputation.js'
import { renderQuotes, quoteLines, renderAddress } from './quotes.js'
import { renderChat } from './chat.js'
import { formatBtc } from '../lib/btc.js'
import type { FileSummary } from '../lib/schema.js'
import type { SettingsJSON } from '../lib/commands/escrow.js'
import type { IndexersJSON } from '../lib/service/settings.js'
import type { MediatorJSON, DisputeJSON, DisputeList, DisputeRow } from '../lib/disputes/json.js'
import type { SearchesJSON } from '../lib/commands/search.js'

export const HELP = `p2print — a peer-to-peer market for 3D printing

Usage: p2print [--storage DIR] [--bootstrap HOST:PORT[,…]] [--market KEY] [--json] [--sync-timeout SECS] <command>

Terminal UI
  (no command) in a terminal    the interactive app (market, job pages, posting, my jobs, chat); not a terminal:
                                this summary and help
  ui [--status S|all] [--material M] [--country CC] [--min-bounty BTC]
                                the interactive app, with these market filters to start with

Markets
  market create [--name NAME] [--admission-bits N]
                                create a market (you become its first indexer) and make it current;
                                a new writer proves 2^N hashes of work first (22 by default: seconds)
  market join KEY               join the market with this key and make it current
  market info                   key, your id, job counts, peers
  market indexers [add ID… | remove ID…]   the peers that confirm the market: the creator and up to 4 it names
  id                            your id in the current market
  sync                          connect, catch up, share what you wrote offline, exit
  seed [--quota MB] [--keep-closed DAYS] [--notify CMD] [--blind]
                                keep running: replicate the market and mirror the model files of live jobs
                                (default quota 10240 MB; files of completed/cancelled jobs kept 7 days); a line per
                                new job matching a saved search, and CMD run for it (no shell; the job in P2PRINT_JOB_*
                                environment variables: ID, TITLE, BOUNTY_SATS, BOUNTY_BTC, MATERIAL, COUNTRY);
                                --blind: also a blind peer (see blind-peer) in the same process, with the same quota
  blind-peer [--quota MB]       keep running as a blind peer: keep the cores of the peers that name this one's key
                                (--blind-peer KEY) and serve them while they are offline (default quota 10240 MB)
  testnet [--port N]            run a local DHT on 127.0.0.1 (default port 49737) to try peers on one machine
  regtest [--port N] [--faucet-port N] [--api-key K]
                                run a throw-away Bitcoin regtest node with a faucet (needs a clone with devDependencies)

Jobs
  jobs [--status S] [--material M] [--country CC] [--min-bounty BTC] [--mine] [--limit N]
  job create --title T --material M [--color C]... --bounty BTC --country CC [--notes TEXT] [--file PATH] [--quotes]
                                PATH: a .stl (binary or ASCII), .obj, .3mf, or a .zip of them; --quotes: open to
                                quotes (taken only through an offer; --bounty then optional, a guide)
    [--milestones "LABEL:PCT,…"]  split the bounty into 2–4 parts adding up to 100 % (escrow markets)
  job show ID                   ID may be a unique prefix (at least 4 characters)
  job update ID [--title T] [--material M] [--color C]... [--bounty BTC] [--country CC] [--notes TEXT]
  job cancel ID | job accept ID | job withdraw ID | job complete ID
  job ship ID [--note TEXT] [--photo FILE]...
  job release ID                the client releases the next milestone: its part to the printer, the rest stays locked
                                --photo: photos of the finished print, sent into the job's encrypted chat
  job quote ID --price BTC --days N [--material M] [--color C]... [--note TEXT]
                                a printer's quote (replaces its last one); job withdraw-quote ID takes it back
  job quotes ID                 the live quotes, cheapest first, with each printer's record
  job address ID --name N --street S --city C --postcode P --country CC [--phone T]
                                the client's shipping address, encrypted to the job's printer, once the job is
                                active (escrow funded); without flags: read it (printer; mediator and arbitrator
                                in a dispute). Dropped from the view when the job closes
  job take-quote ID N           offer the job to the printer of quote N (or a prefix of its id) at its terms;
                                that printer's \`job accept ID\` makes the deal at that price
  job offer ID N --price BTC [--days N]
                                a counter-offer to that printer; job withdraw-offer ID takes the offer back
  job dispute ID --reason TEXT
  job download ID [--out DIR]   fetch the job's model from any peer that has it (size and sha256 checked)
  job preview ID                fetch it into memory and draw it in the terminal (nothing written to disk)
  job review ID --rating 1-5 [--note TEXT]
                                once the job is completed or cancelled: rate the other side, once (note ≤ 280 chars)
  chat ID [MESSAGE] [--photo PATH]...
                                the job's end-to-end encrypted chat (client, printer; in a dispute also its mediator
                                and arbitrator); no MESSAGE: print the conversation
  chat ID --photos DIR          fetch, verify and decrypt the chat's photos (JPEG/PNG, ≤ 5 MB, ≤ 10 per job) into DIR

Saved searches (kept in this storage only; the app and \`seed\` say when a new job matches one)
  search save [--material M] [--country CC] [--min-bounty BTC]   at least one of them
  search list                   the saved searches, by number
  search remove N               forget search number N

Peers and printers
  peer [ID]                     a peer's record from the log: jobs completed, cancelled and split in a dispute as
                                client and as printer, disputes opened and lost, median accept→ship time, ratings,
                                reviews, printer profile
  printers [--material M] [--country CC] [--limit N]
                                printers that published a profile
  printer profile --material M[,M…] --bed XxYxZ --country CC [--note TEXT]
                                publish what you offer (bed in mm; the latest replaces the previous)
  printer unlist                take your profile off the listing

Wallet (Bitcoin; --chain mainnet|testnet|signet|regtest, default testnet or the node's; --bitcoin-rpc URL | --esplora URL)
  wallet mnemonic               show the recovery phrase (keep it secret)
  wallet restore [--mnemonic W] restore from a recovery phrase (from stdin without --mnemonic)
  wallet address                a new receive address and its bitcoin: URI
  wallet balance                confirmed and unconfirmed balance
  wallet send ADDRESS BTC [--fee-rate SAT_PER_VB] [--dry-run] [--max-fee SATS]
  wallet limits [--max-arbitration-fee N] [--max-deposit N] [--max-refund-delay BLOCKS] [--max-funding-timeout SECS] [--min-funding-depth N]
                [--min-delivery-window DAYS]
                                your own limits on a job's escrow terms: a printer does not accept, a client does not fund, past them

Escrow (in a market whose creator set a chain; needs --bitcoin-rpc or --esplora)
  market settings [--chain C] [--arbitrator ID:PUBKEY]... [--mediator ID]... [--arbitration-fee PCT]
                  [--funding-depth N] [--funding-timeout SECS] [--refund-delay BLOCKS] [--admission-bits N] [--delivery-window DAYS]
                  [--blind-peers KEY,KEY|none]
                                (the market's creator)
  escrow ID                     address, amounts, who signed, txids, depth, each path's payout, deadlines
  mediator register --fee-pct N | mediator list   (mediators are named by the market's creator)
  dispute list                  the disputes you are in (any role), their stage, deadlines and your next step
  dispute propose ID --printer-pct N [--note TEXT]                     (the job's mediator)
  dispute accept ID | dispute reject ID [--note TEXT]                  (client or printer)
  dispute rule ID --printer-pct N | --winner client|printer [--note TEXT]   (the arbitrator, after mediation fails)
  Steps that need this peer's key run by themselves in every command, in 'sync' and in a running 'seed'.

Models
  analyze PATH [--preview]      facets, size, volume, surface, shells, watertightness, weight, which beds it fits

Options
  --storage DIR        peer storage (default $P2PRINT_STORAGE or ~/.p2print)
  --bootstrap LIST     DHT bootstrap nodes, e.g. 127.0.0.1:49737 (for a local testnet)
  --market KEY         act on this market instead of the current one
  --json               print one JSON document on stdout (errors too)
  --sync-timeout SECS  how long to look for peers and catch up (default 10)
  --blind-peer KEY     a blind peer to keep this peer's log and files and to read others' from (repeat it, or set
                       P2PRINT_BLIND_PEERS=KEY,KEY)

Materials: PLA, ABS, PETG, TPU, Nylon, Resin, Other. Job states: open → accepted → active → shipped → completed;
open → cancelled; accepted/active → open (printer withdraws); active/shipped → disputed.
`

export function renderEvent (tag: string, data: Record<string, unknown> = {}): string | null {
  switch (tag) {
    case 'connecting': return `Looking for peers (up to ${String(data.timeoutSecs)} s)…`
    case 'synced': return `Caught up with ${String(data.peers)} peer${data.peers === 1 ? '' : 's'}.`
    case 'offline': return 'No peers reachable: showing what this storage already has.'
    case 'hosted-queued': return `Waiting for ${String(data.ahead)} command${data.ahead === 1 ? '' : 's'} ahead of this one in the p2print running on this storage…`
    case 'hosted': return `Through the p2print running on this storage (pid ${String(data.pid)}, ${String(data.peers)} peer${data.peers === 1 ? '' : 's'} connected).`
    case 'sharing': return 'Sending to peers…'
    case 'shared': return 'Shared with the market.'
    case 'stored-locally':
      if (data.running === true) return 'Stored locally: no peer has it yet. The p2print running on this storage shares it as soon as a peer connects.'
      return 'Stored locally: no peer has it yet. It will be shared the next time this peer meets another (run `p2print sync`, or keep `p2print seed` running).'
    case 'market-created': return `Created market ${String(data.key)}`
    case 'join-unanswered': return `Nothing answered for market ${String(data.key)}${data.peers === 0 ? ' (no peer of it was reachable)' : ''}: it is joined but empty. Check the key with whoever shared it; once a peer of that market is online, \`p2print sync\` fetches it.`
    case 'admission-work': return `First write in this market: proving ${String(data.bits)} bits of work so the market admits this peer as a writer (a few seconds, once)…`
    case 'admission-done': return `Work done in ${(Number(data.ms) / 1000).toFixed(1)} s.`
    case 'blind-held': return data.held === 0 ? `No blind peer holds it yet (of ${String(data.of)} configured): it is served while this peer or another holds it.` : `Held by ${String(data.held)} of ${String(data.of)} blind peer(s): served while this peer is offline.`
    case 'job-created': return `Posted job ${String(data.id)}`
    case 'job-changed': return `Job ${String(data.id)} is now ${String(data.status)}${data.confirmed === true ? '' : ' (not yet confirmed)'}`
    case 'blind-peer': return `${ts()} blind peer running: its key is ${String(data.key)} (peers use it with --blind-peer KEY); storage ${String(data.storage)}, up to ${String(data.maxMb)} MB (Ctrl-C to stop)`
    case 'seeding': return `${ts()} seeding market ${String(data.key)} as ${shortId(String(data.id))}${data.indexer === true ? ' (indexer)' : ''}, ${String(data.jobs)} jobs`
    case 'peer-connected': return `${ts()} peer connected (${String(data.peers)} connected)`
    case 'peer-disconnected': return `${ts()} peer disconnected (${String(data.peers)} connected)`
    case 'market-updated': return `${ts()} market updated: ${String(data.jobs)} jobs (+${String(data.newJobs)}), view ${String(data.viewLength)} blocks, ${String(data.signedLength)} confirmed`
    case 'regtest': return `${ts()} bcoin regtest node (rb1… addresses): RPC ${String(data.rpcUrl)}; faucet: ${String(data.fund)}; mine: ${String(data.mine)} (Ctrl-C to stop)`
    case 'testnet': return `${ts()} local DHT running: pass --bootstrap ${String(data.bootstrap)} to every peer (Ctrl-C to stop)`
    case 'file-mirrored': return `${ts()} mirrored ${String(data.name)} of job ${shortId(String(data.job))} (${String(data.bytes)} bytes in ${String(data.ms)} ms; ${String(data.totalBytes)} bytes held)`
    case 'file-skipped': return `${ts()} not mirroring ${String(data.name)} of job ${shortId(String(data.job))}: ${String(data.reason)}`
    case 'file-unavailable': return `${ts()} could not fetch ${String(data.name)} of job ${shortId(String(data.job))} yet: ${String(data.message)}`
    case 'file-released': return `${ts()} released ${String(data.name)} of ${String(data.status)} job ${shortId(String(data.job))} (${String(data.bytes)} bytes freed)`
    case 'model-analysed': return `Analysed ${String(data.name)}: ${summaryLine(data.summary as FileSummary)}`
    case 'sharing-file': return `Sending ${String(data.name)} (${String(data.bytes)} bytes) to a peer…`
    case 'file-shared': return `${String(data.name)} is held by a peer.`
    case 'file-stored-locally':
      if (data.running === true) return `${String(data.name)} is stored locally only: no peer took it yet. The p2print running on this storage serves it as soon as a peer connects.`
      return `${String(data.name)} is stored locally only: no peer took it yet. Keep this peer online (p2print seed) or run p2print sync later.`
    case 'download-start': return `Fetching ${String(data.name)} (${String(data.total)} bytes)…`
    case 'wallet-created': return `Created a new wallet in ${String(data.file)}: see its recovery phrase with \`p2print wallet mnemonic\`.`
    case 'escrow-step': return `Escrow of job ${shortId(String(data.jobId))}: ${stepWords(String(data.action), data.kind === undefined ? '' : String(data.kind))}${data.txid !== undefined ? ` (${String(data.txid).slice(0, 16)}…)` : ''}${data.detail !== undefined ? ' — ' + String(data.detail) : ''}`
    case 'escrow-error': return `Escrow${String(data.jobId ?? '') === '' ? '' : ' of job ' + shortId(String(data.jobId))}: ${stepWords('error', data.kind === undefined ? '' : String(data.kind))} — ${String(data.detail)}`
    case 'escrow-offline': return `This market holds escrows on ${String(data.chain)}: without --bitcoin-rpc or --esplora, this peer's escrow steps do not run.`
    case 'payout-broadcast': return `Sent ${payoutWords(String(data.kind ?? ''))} to the Bitcoin network: ${String(data.txid)}`
    case 'address-sealed': return `Sealed the shipping address of job ${shortId(String(data.id))} to its printer (only the job's parties, and in a dispute its mediator and arbitrator, can read it).`
    case 'cancel-signed': return data.late === true
      ? `Signed the cancellation of job ${shortId(String(data.id))}: the printer is past its ship-by time (${String(data.shipBy)}), so the arbitrator's engine co-signs it in the printer's place and the escrow pays everyone back what they put in.`
      : `Signed the cancellation of job ${shortId(String(data.id))}: once the other side signs it too, the escrow pays everyone back what they put in.${typeof data.shipBy === 'string' ? ` If the printer has not shipped by ${data.shipBy} (market time), the arbitrator's engine co-signs it instead.` : ''}`
    case 'milestone-released': return `Released milestone ${String(data.milestone)} ("${String(data.label)}") of job ${shortId(String(data.id))}: ${formatBtc(Number(data.partSats))} BTC to the printer (${formatBtc(Number(data.printerSats))} BTC after the release's ${String(data.feeSats)}-sat miner fee); ${formatBtc(Number(data.lockedSats))} BTC stays locked in the escrow with a fresh refund. The printer's peer co-signs the release (its engine does so by itself when it next runs); the peers broadcast it (${String(data.txid).slice(0, 16)}…) once an indexer confirms that. Until then no cancel, ship or dispute is taken.`
    case 'split-signed': {
      const split = typeof data.printerPct === 'number' ? `the printer gets ${data.printerPct} % of the bounty, the client the rest` : ''
      return data.both === true
        ? `Accepted the mediator's proposal for job ${shortId(String(data.id))}: both sides have now, so the split is paid out${split === '' ? '' : ` (${split})`}.`
        : `Accepted the mediator's proposal for job ${shortId(String(data.id))}${split === '' ? '' : ` (${split})`}: it is paid out once the other side accepts it too.`
    }
    case 'review-posted': return `Reviewed ${shortId(String(data.subject))}: ${String(data.rating)}/5 for job ${shortId(String(data.job))}`
    case 'chat-sent': return `Sent to the chat of job ${shortId(String(data.id))}${Number(data.photos) > 0 ? ` with ${String(data.photos)} photo(s)` : ''}.`
    case 'search-match': return `${ts()} new job ${String(data.id)} matches saved search ${(data.searches as number[]).map(n => '#' + n).join(', ')}: ${JSON.stringify(String(data.title))}, ${String(data.bountyBtc)} BTC, ${String(data.material)}, to ${String(data.country)}`
    case 'notify-failed': return `${ts()} --notify ${String(data.command)} for job ${shortId(String(data.id))} failed: ${String(data.message)}`
    case 'chat-photo-saved': return `Saved ${String(data.file)} (${String(data.bytes)} bytes)`
    case 'warning': return `${ts()} warning: ${String(data.message)}`
    case 'stopping': return `${ts()} stopping…`
    case 'stopped': return `${ts()} stopped`
    default: return null
  }
}

export function summaryLine (s: FileSummary): string {
  return `${s.kind.toUpperCase()}${s.models > 1 ? `, ${s.models} models` : ''}, ${s.facets} facets, ${s.sizeMm.map(n => n.toFixed(1)).join(' × ')} mm, ${s.volumeCm3.toFixed(2)} cm³, ` +
    `${s.closed && s.manifold ? 'watertight' : s.closed ? 'closed, not manifold' : 'NOT closed'}${s.fits.length > 0 ? `, fits ${s.fits.join(', ')}` : ', fits none of the common beds'}`
}

function ts (): string {
  return new Date().toISOString()
}

export function renderResult (r: Result): string {
  switch (r.kind) {
    case 'market': return renderMarket(r.data)
    case 'summary': return (r.data === null ? 'No market yet: create one with `p2print market create` or join one with `p2print market join KEY`.\n\n' : renderMarket(r.data) + '\n') + HELP
    case 'id': return `${r.data.id}\n(short: ${r.data.short}; as an arbitrator: --arbitrator ${r.data.id}:${r.data.arbitratorPubkey})`
    case 'job': return renderJob(r.data)
    case 'jobs': return renderJobs(r.data.jobs)
    case 'sync': return `Synced with ${r.data.peers} peer(s); ${r.data.jobs} jobs in the market${r.data.shared ? '' : '; your writes are stored locally until a peer takes them'}.`
    case 'analysis': return renderAnalysis(r.data.file, r.data) + (r.data.previews ?? []).map(p => `\n\n${p.name}\n${p.text}`).join('')
    case 'download': return `Downloaded ${r.data.file} (${r.data.bytes} bytes, sha256 ${r.data.sha256.slice(0, 16)}… verified, ${(r.data.ms / 1000).toFixed(1)} s)` +
      (r.data.files.length > 1 ? `\nExtracted:\n${r.data.files.slice(1).map(f => '  ' + f).join('\n')}` : '')
    case 'mnemonic': return `Recovery phrase of this peer's wallet (fingerprint ${r.data.fingerprint}):\n\n  ${r.data.mnemonic}\n\nWrite it down and keep it offline. Anyone who sees it can take every coin in this wallet and sign for\nevery escrow it is part of. p2print never sends it anywhere.`
    case 'restored': return r.data.unchanged ? `This storage already holds that wallet (fingerprint ${r.data.fingerprint}).` : `Restored the wallet (fingerprint ${r.data.fingerprint}).${r.data.movedTo === null ? '' : `\nThe wallet that was here is kept in ${r.data.movedTo}.`}`
    case 'address': return `${r.data.address}\n${r.data.uri}`
    case 'balance': return `${formatBtc(r.data.confirmedSats)} BTC confirmed, ${formatBtc(r.data.unconfirmedSats)} BTC unconfirmed (${r.data.chain})`
    case 'send-plan': return `Would send ${formatBtc(r.data.sentSats)} BTC to ${r.data.address} (${r.data.chain}), nothing sent\n  fee  ${r.data.feeSats} sat (${r.data.feeRate} sat/vB) from ${r.data.inputs} coin(s)${r.data.changeSats > 0 ? `, change ${r.data.changeSats} sat` : ''}\n  send it with the same command without --dry-run, with --fee-rate ${r.data.feeRate} --max-fee ${r.data.feeSats} to pay no more than this`
    case 'sent': return `Sent ${formatBtc(r.data.sentSats)} BTC to ${r.data.address}\n  txid ${r.data.txid}\n  fee  ${r.data.feeSats} sat (${r.data.feeRate} sat/vB)${r.data.changeSats > 0 ? `, change ${r.data.changeSats} sat` : ''}`
    case 'limits': return `Your limits on a job's escrow terms (a printer does not accept, a client does not fund, past them):\n  arbitration fee  at most ${r.data.maxArbitrationFeePct} % of the bounty\n  deposit          at most ${r.data.maxDepositPct} % of the bounty\n  refund delay     at most ${r.data.maxRefundDelayBlocks} blocks (about ${Math.round(r.data.maxRefundDelayBlocks / 144)} days)\n  funding timeout  at most ${r.data.maxFundingTimeoutSecs} s\n  funding depth    at least ${r.data.minFundingDepth} confirmation(s)\n  delivery window  at least ${r.data.minDeliveryDays ?? 1} day(s) after a ship for the client to complete or dispute\nChange them with \`p2print wallet limits --max-arbitration-fee N --max-deposit N --max-refund-delay BLOCKS --max-funding-timeout SECS --min-funding-depth N --min-delivery-window DAYS\`.`
    case 'escrow': return renderEscrow(r.data)
    case 'chat': return renderChat(r.data)
    case 'peer': case 'printers': case 'review': case 'profile': return renderReputation(r)
    case 'settings': return renderSettings(r.data)
    case 'indexers': return renderIndexers(r.data)
    case 'ruled': return `Ruled on job ${r.data.id}: the printer gets ${r.data.printerPct} % of the bounty (${r.data.printerPct === 50 ? 'an even split' : r.data.winner === 'printer' ? 'for the printer' : 'for the client'}).\n  The client's and the printer's peers countersign and broadcast payout ${r.data.txid.slice(0, 16)}… when they next run.${r.data.shared ? '' : '\n  Stored locally: run `p2print sync` when a peer is online.'}`
    case 'mediator': return `Registered as a mediator with a fee of ${r.data.feePct} % of the bounty.\n  ${mediatorLine(r.data)}`
    case 'mediators': return (r.data.mediators.length === 0 ? 'No mediators registered: disputes go straight to the arbitrator.' : r.data.mediators.map(m => `${m.id}  fee ${m.feePct} %\n  ${mediatorLine(m)}`).join('\n')) + `\nA mediator loses the role for good when: ${r.data.rules.join('; ')}`
    case 'disputes': return renderDisputes(r.data)
    case 'searches': return renderSearches(r.data)
    case 'quotes': return renderQuotes(r.data)
    case 'shipping': return renderAddress(r.data)
    case 'none': return Object.keys(r.data).length === 0 ? '' : JSON.stringify(r.data, null, 2)
  }
}

function renderSearches (d: SearchesJSON): string {
  const head = d.saved !== null ? `Saved search #${d.saved.n}: ${d.saved.text}` : d.removed !== null ? `Removed search #${d.removed.n}: ${d.removed.text}` : null
  const list = d.searches.length === 0 ? ['No saved searches: `p2print search save --material M --country CC --min-bounty BTC`.'] : d.searches.map(s => `  #${String(s.n).padEnd(3)} ${s.text}`)
  return [...(head === null ? [] : [head]), ...(d.searches.length > 0 && head !== null ? ['Saved searches:'] : []), ...list].join('\n')
}

function renderEscrow (d: EscrowView): string {
  const sats = (v: unknown): string => v === null || v === undefined ? '—' : `${formatBtc(Number(v))} BTC`
  const lines = [
    `Escrow of job ${String(d.id)} (${String(d.status)}${d.confirmed === true ? '' : ', not yet confirmed'})`,
    `  state        ${String(d.state)}`,
    `  address      ${d.address ?? '—'}`,
    `  arbitrator   ${String(d.arbitrator)}`
  ]
  if (d.amounts != null) lines.push(`  amounts      bounty ${sats(d.amounts.bountySats)}; client puts in ${sats(d.amounts.clientInSats)}, printer ${sats(d.amounts.printerInSats)} (deposits ${String(d.amounts.depositPct)} %)`)
  lines.push(`  signed       refund: client ${d.refundSigned?.client === true ? 'yes' : 'no'}, printer ${d.refundSigned?.printer === true ? 'yes' : 'no'}; funding: client ${d.fundedBy?.client === true ? 'yes' : 'no'}, printer ${d.fundedBy?.printer === true ? 'yes' : 'no'}`)
  lines.push(`  funding      ${d.fundingTxid ?? '—'}${d.fundingDepth != null ? `, ${String(d.fundingDepth)} confirmation${d.fundingDepth === 1 ? '' : 's'} (${String(d.requiredDepth)} needed)` : ''}`)
  if (d.agreed != null && d.payout == null) lines.push(`  signed by all ${payoutWords(String(d.agreed.kind))} ${String(d.agreed.txid)}: any peer of the job broadcasts it`)
  if (d.payout != null) lines.push(`  payout       ${payoutWords(String(d.payout.kind))}: ${String(d.payout.txid)}`)
  if (Array.isArray(d.refundClaims) && d.refundClaims.length > 0 && d.payout == null) lines.push(`  refund       reported paid by the ${(d.refundClaims as string[]).join(' and the ')} (a claim: each peer checks its own Bitcoin node)`)
  if (d.ruling != null) lines.push(`  ruling       the printer gets ${d.ruling.printerPct} % of the bounty, the client the rest`)
  lines.push(`  deadlines    lapses if unfunded at ${String(d.deadlines?.lapseAt)}; refund valid from block ${d.deadlines?.lockHeight ?? '—'}${d.deadlines?.tipHeight != null ? ` (tip ${String(d.deadlines.tipHeight)})` : ''}`)
  if (d.deadlines?.releaseAt != null) lines.push(`  release at   ${String(d.deadlines.releaseAt)} (market time: the client's ${String(d.deadlines.deliveryDays)}-day delivery window after the ship; unless the client completes or disputes first, the printer is paid then, the arbitrator's engine co-signing)${d.releasedByArbitrator === true ? ' — the arbitrator co-signed the payout' : ''}`)
  else if ((d.deadlines?.deliveryDays ?? 0) > 0) lines.push(`  delivery     the client has ${String(d.deadlines.deliveryDays)} days after the ship to complete or dispute; then the printer is paid`)
  if (d.deadlines?.shipBy != null) lines.push(`  ship by      ${String(d.deadlines.shipBy)} (market time: the lead time + ${SHIP_GRACE_DAYS} days' grace; after it the client may cancel alone, the arbitrator's engine co-signing)${d.cancelSignedByArbitrator === true ? ' — the arbitrator co-signed the cancel' : ''}`)
  if (Array.isArray(d.milestones)) {
    lines.push(`  milestones   released ${sats(d.releasedSats)} to the printer; locked ${sats(d.lockedSats)} of the bounty (the payouts below are of what is locked)`)
    for (const [i, m] of (d.milestones as Array<{ label: string, pct: number, partSats: string, released: boolean, txid: string | null, last: boolean }>).entries()) {
      lines.push(`    ${i + 1}. ${m.label} — ${m.pct} %, ${sats(m.partSats)}: ${m.released ? `released (${String(m.txid)})` : m.last ? 'paid by the completion' : 'locked'}`)
    }
    const ask = d.releaseAsk
    if (ask != null) lines.push(`  release ask  milestone ${ask.milestone}, asked at ${ask.askedAt} (ask ${ask.asks} of ${RELEASE_ASKS}): the job takes no ship, dispute or cancel until ${ask.heldUntil} (market time) unless the printer's engine co-signs first; ${ask.clientSigned ? 'the client signed the release, the printer\'s engine completes it' : 'the client has not signed the release yet'}`)
  }
  for (const p of (d.paths ?? []) as Array<{ kind: string, outputs: Array<{ role: string, valueSats: string }>, feeSats: string }>) {
    lines.push(`  if ${p.kind.padEnd(9)}  ${p.outputs.map(o => `${o.role} ${sats(o.valueSats)}`).join(', ')} (miner fee ${p.feeSats} sat)`)
  }
  return lines.join('\n')
}

function renderAnalysis (file: string, a: FileAnalysis): string {
  if (a.kind === 'zip') return [`${file}: ZIP with ${a.models.length} model${a.models.length === 1 ? '' : 's'}`, ...a.models.map(m => `\n${m.name} (${m.kind})\n${renderModel(m)}`)].join('\n')
  return `${file} (${a.kind})\n${renderModel(a)}`
}

function renderModel (m: ModelAnalysis): string {
  const f = (n: number, d = 2): string => n.toFixed(d)
  return [
    `  facets     ${m.facets}`,
    `  size       ${f(m.sizeMm[0])} × ${f(m.sizeMm[1])} × ${f(m.sizeMm[2])} mm`,
    `  bbox       min (${m.bbox.min.map(n => f(n)).join(', ')})  max (${m.bbox.max.map(n => f(n)).join(', ')})`,
    `  volume     ${f(m.volumeCm3, 3)} cm³     surface ${f(m.areaCm2, 2)} cm²`,
    `  shells     ${m.shells}     closed ${m.closed ? 'yes' : 'NO'}     manifold ${m.manifold ? 'yes' : 'NO'}`,
    `  weight     ${Object.entries(m.weightGrams).map(([k, g]) => `${k} ${f(g, 1)} g`).join(', ')}  (solid)`,
    `  fits       ${m.fits.length > 0 ? m.fits.join(', ') : 'none of the common beds'}`
  ].join('\n')
}

function renderMarket (m: MarketInfo): string {
  const counts = Object.entries(m.byStatus).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ')
  return [
    `Market   ${m.key}${m.name.length > 0 ? `  "${m.name}"` : ''}`,
    `You      ${m.id} (${shortId(m.id)})${m.indexer ? ', indexer' : m.writer ? ', writer' : ''}${m.created ? ', creator' : ''}`,
    `Jobs     ${m.jobs}${counts.length > 0 ? ` (${counts})` : ''}`,
    `Peers    ${m.peers}`,
    `View     ${m.viewLength} blocks, ${m.signedLength} confirmed by ${m.indexers} indexer${m.indexers === 1 ? '' : 's'}${m.viewHash === null ? '' : ` (hash ${m.viewHash.slice(0, 16)}…)`}`,
    `Time     ${m.marketTime ?? 'not started'} (market time: deadlines are measured on it)`
  ].join('\n')
}

function renderIndexers (x: IndexersJSON): string {
  const counted = x.indexers.filter(i => i.active).length
  const lines = x.indexers.map(i => `  ${i.id}${i.creator ? '  (creator)' : ''}${i.active ? '' : '  (not counted yet: it has written nothing; run \`p2print seed\` on its storage)'}`)
  const even = counted === 2 || counted === 4 ? [`With an even number, fewer may stop than with one more (${x.majority} of ${counted} must run, ${x.majority} of ${counted + 1} with one more): name one more.`] : []
  return [
    `Indexers: ${x.indexers.length}; a change is confirmed once ${x.majority} of the ${counted} counted have it`,
    ...lines,
    ...even,
    `Market time ${x.marketTime ?? 'not started'} (the median of the indexers' clocks: every deadline is measured on it)`
  ].join('\n')
}

function renderSettings (s: SettingsJSON): string {
  return [
    `Escrow settings: chain ${s.chain === '' ? 'none (no escrow)' : s.chain}`,
    `  arbitrators     ${s.arbitrators.length === 0 ? 'none' : s.arbitrators.map(a => `${a.id} (${a.pubkey.slice(0, 12)}…)`).join(', ')}`,
    `  mediators       ${s.mediators.length === 0 ? 'none named (disputes go straight to the arbitrator)' : s.mediators.join(', ')}`,
    `  deposits        ${s.depositPct} % of the bounty from each side; arbitration fee ${s.arbitrationFeePct} %`,
    `  funding         ${s.fundingDepth} confirmation(s), within ${Math.round(s.fundingTimeoutSecs / 60)} min of the acceptance; refund after ${s.refundDelayBlocks} blocks`,
    `  delivery        the client has ${s.deliveryDays} days after a ship to complete or dispute; then the printer is paid`,
    `  blind peers     ${s.blindPeers.length === 0 ? 'none named (peers may use their own: --blind-peer)' : s.blindPeers.join(', ')}`,
    `  new writers     ${s.admissionBits === 0 ? 'admitted on their first op (no work asked)' : `prove ${s.admissionBits} bits of work (about 2^${s.admissionBits} hashes) before their first op`}`
  ].join('\n')
}

function mediatorLine (m: MediatorJSON): string {
  return `${m.taken} taken, ${m.proposed} proposed, ${m.accepted} accepted by both, ${m.overturned} overturned, ${m.upheld} upheld, ${m.missed} deadlines missed` +
    `${m.avgResponseSecs === null ? '' : `, answers in ${m.avgResponseSecs < 3600 ? `${Math.max(1, Math.round(m.avgResponseSecs / 60))} min` : `${Math.round(m.avgResponseSecs / 3600)} h`} on average`}${m.revoked === null ? '' : `; REVOKED (${m.revoked})`}`
}

const STAGE_TEXT: Record<DisputeJSON['stage'], string> = {
  mediation: 'waiting for the mediator\'s proposal',
  proposed: 'a proposal waits for both sides',
  settled: 'both accepted the proposal: being paid out',
  arbitration: 'waiting for the arbitrator\'s ruling',
  ruled: 'ruled: being paid out'
}

// Why a dispute went to the arbitrator.
const ESCALATION_TEXT: Partial<Record<DisputeJSON['escalation'], string>> = {
  'no-mediator': 'no mediator could be picked',
  'missed-proposal': 'the mediator did not propose in time',
  rejected: 'a side rejected the proposal',
  'no-answer': 'the proposal was not accepted by both in time'
}

function disputeLines (d: DisputeJSON, indent: string, status: string): string[] {
  const paid = status === 'completed' || status === 'cancelled'
  const stage = paid && (d.stage === 'settled' || d.stage === 'ruled') ? STAGE_TEXT[d.stage].replace('being paid out', 'paid out')
    : d.stage === 'proposed' && d.accepted.client !== d.accepted.printer ? `the ${d.accepted.client ? 'client' : 'printer'} accepted the proposal: waiting for the ${d.accepted.client ? 'printer' : 'client'}` : STAGE_TEXT[d.stage]
  const lines = [`${indent}stage     ${d.stage}: ${stage}${d.escalation !== 'none' ? ` (${ESCALATION_TEXT[d.escalation] ?? d.escalation})` : ''}`]
  lines.push(`${indent}opened    ${d.openedAt} by ${shortId(d.openedBy)}`)
  if (d.mediator !== null) lines.push(`${indent}mediator  ${shortId(d.mediator)}, fee ${d.mediatorFeePct} %${d.stage === 'mediation' ? `; proposes by ${d.proposeBy}` : ''}`)
  if (d.proposal !== null) lines.push(`${indent}proposal  printer ${d.proposal.printerPct} %${d.proposal.note !== '' ? ` "${d.proposal.note}"` : ''}; accepted: client ${d.accepted.client ? 'yes' : 'no'}, printer ${d.accepted.printer ? 'yes' : 'no'}${d.stage === 'proposed' ? `; answer by ${d.proposal.answerBy}` : ''}`)
  if (d.ruling !== null) lines.push(`${indent}ruling    printer ${d.ruling.printerPct} %${d.ruling.note !== '' ? ` "${d.ruling.note}"` : ''} (${d.ruling.at})`)
  return lines
}

const MOVE_TEXT: Record<DisputeRow['moves'][number], (id: string) => string> = {
  propose: id => `p2print dispute propose ${id} --printer-pct N --note TEXT`,
  accept: id => `p2print dispute accept ${id}`,
  reject: id => `p2print dispute reject ${id} --note TEXT`,
  rule: id => `p2print dispute rule ${id} --printer-pct N --note TEXT`
}

function renderDisputes (l: DisputeList): string {
  const out: string[] = []
  if (l.mediator !== null) out.push(`You are a mediator (fee ${l.mediator.feePct} %): ${mediatorLine(l.mediator)}`)
  if (l.disputes.length === 0) out.push('No disputes you are part of.')
  for (const r of l.disputes) {
    out.push(`${r.title} — job ${r.id}, ${r.bountyBtc} BTC; you are its ${r.role}`)
    if (r.dispute !== null) out.push(...disputeLines(r.dispute, '  ', r.status))
    for (const m of r.moves) out.push(`  next: ${MOVE_TEXT[m](r.id)}`)
  }
  return out.join('\n')
}

function renderJob (j: JobJSON & { shared?: boolean }): string {
  const lines = [
    `${j.title}`,
    `  id        ${j.id}`,
    `  status    ${j.outcome?.kind === 'split' ? outcomeText(j.outcome) : j.status}${j.confirmed ? '' : '  (last change not yet confirmed: it may still be reordered)'}`,
    `  bounty    ${j.bountyBtc} BTC (${j.bountySats} sat)`,
    `  material  ${j.material}${j.colors.length > 0 ? ' — ' + j.colors.join(', ') : ''}`,
    `  country   ${j.country}`,
    `  client    ${j.client}`,
    `  printer   ${j.printer ?? '—'}`,
    `  created   ${j.createdAt}   updated ${j.updatedAt}`
  ]
  if (j.clientRecord !== undefined) lines.push(`  client's record   ${recordLine(j.clientRecord, 'client')}`)
  if (j.printerRecord != null) lines.push(`  printer's record  ${recordLine(j.printerRecord, 'printer')}`)
  lines.push(...quoteLines(j))
  if (j.notes.length > 0) lines.push(`  notes     ${j.notes}`)
  if (j.file !== null) lines.push(`  model     ${j.file.name} (${j.file.byteLength} bytes): ${summaryLine(j.file.summary)}`)
  if (j.dispute !== null) lines.push('  dispute', ...disputeLines(j.dispute, '    ', j.status))
  const parts = j.escrow?.milestones ?? null
  if (parts != null && parts.length > 0) {
    lines.push(`  milestones ${parts.map((m, i) => `${i + 1}. ${m.label} ${m.pct} %${m.released ? ' (released)' : ''}`).join(', ')}`)
    lines.push(`            released ${formatBtc(Number(j.escrow?.releasedSats ?? 0))} BTC to the printer, ${formatBtc(Number(j.escrow?.lockedSats ?? 0))} BTC of the bounty locked`)
  } else if (j.milestones.length > 0) {
    lines.push(`  milestones ${j.milestones.map((m, i) => `${i + 1}. ${m.label} ${m.pct} %`).join(', ')} (each released by the client; the last paid by the completion)`)
  }
  const release = j.escrow?.deadlines?.releaseAt ?? null
  if (release !== null && j.status === 'shipped') lines.push(`  release   the printer is paid at ${release} (market time) unless the client completes or disputes before`)
  lines.push('  history')
  for (const h of j.history) {
    lines.push(`    ${h.at}  ${h.action.padEnd(13)} ${h.from ?? '—'} → ${h.to}  by ${shortId(h.by)}${h.note.length > 0 ? `  "${h.note}"` : ''}`)
  }
  return lines.join('\n')
}

// e.g. "split: the printer got 30 % of the bounty, the client 70 % (the arbitrator's ruling)"
export function outcomeText (o: JobOutcome): string {
  if (o.kind !== 'split') return o.kind
  const how = o.by === 'mediator' ? 'the mediator\'s proposal, accepted by both sides' : 'the arbitrator\'s ruling'
  return `split: the printer got ${o.printerPct} % of the bounty, the client ${100 - o.printerPct} % (${how})`
}

function renderJobs (jobs: JobJSON[]): string {
  if (jobs.length === 0) return 'No jobs match.'
  const rows = jobs.map(j => [
    shortId(j.id), (j.outcome?.kind === 'split' ? `split ${j.outcome.printerPct}%` : j.status) + (j.confirmed ? '' : '*'), j.bountyBtc, j.material, j.country, shortId(j.client), j.title
  ])
  const head = ['ID', 'STATUS', 'BTC', 'MATERIAL', 'CC', 'CLIENT', 'TITLE']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)))
  const fmt = (r: string[]): string => r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i])).join('  ')
  const unconfirmed = jobs.some(j => !j.confirmed) ? '\n* last change not yet confirmed' : ''
  return [fmt(head), ...rows.map(fmt)].join('\n') + unconfirmed
}

// One line, redrawn in place on a terminal: [██████░░░░] 45%  12.3/25.0 MB  8.1 MB/s  ETA 2 s
export function renderProgress (d: { bytes: number, total: number, rate: number, etaSecs: number | null }, columns = 80): string {
  const mb = (n: number): string => (n / 1e6).toFixed(1)
  const pct = d.total === 0 ? 100 : Math.floor(100 * d.bytes / d.total)
  const tail = ` ${String(pct).padStart(3)}%  ${mb(d.bytes)}/${mb(d.total)} MB  ${mb(d.rate)} MB/s  ETA ${d.etaSecs === null ? '?' : Math.ceil(d.etaSecs) + ' s'}`
  const barWidth = Math.max(10, Math.min(40, columns - tail.length - 4))
  const filled = Math.round(barWidth * pct / 100)
  return `[${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}]${tail}`
}

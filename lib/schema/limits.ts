// The bounds ops and records are held to: sizes by the decoders, counts by `apply`.
//
// opBytes bounds every op except those that carry a PSBT (escrow/sign, dispute/ruling, job/ship), which are
// bounded by escrowOpBytes instead: a funding PSBT with fundingInputs coins per side, each with its coin, its
// outpoint and a signature (about 200 bytes per input), fits in 12 KB; 32 KiB leaves room and is still small
// for a Hypercore block. The larger bound is checked after the type is read, so no other op can grow.
export const LIMITS = {
  opBytes: 4096,
  escrowOpBytes: 32768,
  fundingInputs: 20, // coins per side in a funding transaction
  scriptBytes: 64, // payout / change / fee output scripts
  arbitrators: 16,
  mediators: 16, // named in the market settings
  blindPeers: 8, // named in the market settings (lib/market/blind.ts)
  namedIndexers: 4, // indexers the creator names besides itself (a market has at most 5)
  history: 32, // a job record keeps its first history entry and the latest ones
  leavers: 16, // the latest printers to leave a job (withdraw, or a lapse they caused), kept in its record
  acceptsPerPrinter: 2, // a printer that left a job this often may not accept it again
  maxFeeRate: 500, // sat/vB: no escrow is built at a higher fee rate
  titleChars: 120,
  marketNameChars: 80,
  notesChars: 2000,
  noteChars: 1000,
  colors: 8,
  colorChars: 32,
  maxBountySats: 2_100_000_000_000_000, // 21 million BTC
  openJobsPerClient: 20,
  updatesPerJob: 50,
  opsPerWriter: 100_000,
  pathChars: 512,
  fileNameChars: 255,
  bedNames: 32,
  bedNameChars: 64,
  maxFileBytes: 1024 * 1024 * 1024
} as const

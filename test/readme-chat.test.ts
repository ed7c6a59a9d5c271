// The README's chat walk-through, and the mediation's other path, run as written (test/readme-walk.ts reads them
// from README.md): on a funded job the client sends a photo, the printer reads, answers and saves it, the client
// disputes and the mediator reads the whole history; the mediator proposes, the client rejects (the line's "or:"),
// and the arbitrator rules, which is paid.
import test from 'brittle'
import fs from 'fs'
import path from 'path'
import { Walk, readmeSection, fundHook, escrowFunding, shellWords } from './readme-walk.js'

// A JPEG's first bytes and its end: the chat recognises photos by their bytes.
const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xd9])

test('README: chat on a funded job, then a rejected proposal and the arbitrator\'s ruling', { timeout: 600_000 }, async (t) => {
  const walk = await Walk.create(t, { syncTimeout: 3, hooks: [fundHook] })
  fs.writeFileSync(path.join(walk.cwd, 'crack.jpg'), JPEG)
  await walk.guard(async () => {
    await walk.lines(readmeSection('Three peers on one machine').filter(l => /npx \. testnet|^alias|market (create|join)|seed\s*(#|$)/.test(l.text)))
    // the escrow's setup (regtest, Rita the arbitrator, the market's chain, funded wallets), Dave named and registered
    const escrow = readmeSection('Escrow')
    await walk.lines(escrow.slice(0, escrow.findIndex(l => l.text.includes('job create'))))
    const mediation = readmeSection('Mediation')
    await walk.lines(mediation.filter(l => /market join|market settings --mediator|mediator register/.test(l.text)))
    await walk.lines(escrowFunding())

    await walk.lines(readmeSection('Chat'))
    const dir = path.join(walk.home, 'evidence')
    const saved = fs.existsSync(dir) ? fs.readdirSync(dir).filter(f => f.endsWith('crack.jpg')) : []
    t.is(saved.length, 1, `one crack.jpg in ~/evidence (${saved.join(', ')})`)
    if (saved.length === 1) t.alike(new Uint8Array(fs.readFileSync(path.join(dir, saved[0]))), JPEG, '`chat <JOB> --photos ~/evidence` saved the photo as Bob sent it')

    // the mediation of that dispute: Dave proposes; Bob takes the line's other way ("or: dispute reject <JOB> --note
    // TEXT"); then Rita rules, as her line says she may "only after a rejection"
    await walk.lines(mediation.filter(l => l.text.includes('dispute propose')))
    const accept = mediation.find(l => l.text.includes('/tmp/bob') && l.text.includes('dispute accept'))
    const or = accept === undefined ? null : /^or: (dispute reject .*)$/.exec(accept.comment)
    if (accept === undefined || or === null) throw new Error('README.md\'s Mediation block has no `dispute accept` line of Bob\'s with an "or: dispute reject …" comment')
    const bob = accept.commands[0].slice(0, 3) // p2 --storage /tmp/bob
    await walk.line({ ...accept, commands: [[...bob, ...shellWords(or[1]).commands[0]]], text: `${bob.join(' ')} ${or[1]}`, comment: '' })
    await walk.lines(mediation.filter(l => l.text.includes('dispute rule')))
    t.is(await walk.payout('ruling'), 'ruling', 'the ruling is paid')
    await walk.stop()
  })
})

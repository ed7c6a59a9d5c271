// The sealed shipping address on a job's page: shown to the job's parties (and a dispute's mediator and arbitrator)
// while the job is active, shipped or disputed; the client gives or corrects it with a form (a on the job page).
import { useEffect, useState } from 'react'
import { Box, Text } from 'ink'
import { LineForm } from './LineForm.js'
import type { AppCore, AddressDraft, AddressResult } from '../../lib/app.js'

const LIVE = ['active', 'shipped', 'disputed']

// Loads the address when this peer may read it; null while there is none to show.
export function useAddress (core: AppCore, id: string, status: string | undefined, role: string | undefined, version: number): AddressResult | null {
  const [a, setA] = useState<AddressResult | null>(null)
  useEffect(() => {
    let live = true
    if (status === undefined || !LIVE.includes(status) || role === 'other') { setA(null); return }
    // a front end without this part (or a refusal) shows no address
    Promise.resolve().then(async () => await core.jobTools.address(id)).then(v => { if (live) setA(v) }, () => { if (live) setA(null) })
    return () => { live = false }
  }, [core, id, status, role, version])
  return a
}

export function AddressLines ({ a }: { a: AddressResult | null }): React.JSX.Element | null {
  if (a === null) return null
  const x = a.address
  return (
    <Box>
      <Box width={14} flexShrink={0}><Text dimColor>ship to</Text></Box>
      <Text wrap='truncate-end'>{x === null ? <Text dimColor>{a.why ?? 'no address yet'}</Text> : `${x.name}, ${x.street}, ${x.postcode} ${x.city}, ${x.country}${x.phone === null ? '' : ` · ${x.phone}`}`}</Text>
    </Box>
  )
}

export function AddressForm ({ core, start, active, onSubmit, onCancel, say }: { core: AppCore, start: AddressResult | null, active: boolean, onSubmit: (d: AddressDraft) => void, onCancel: () => void, say: (m: { kind: 'error', text: string } | null) => void }): React.JSX.Element {
  const x = start?.address ?? null
  const fields = [
    { name: 'name', label: 'name' },
    { name: 'street', label: 'street' },
    { name: 'postcode', label: 'postcode' },
    { name: 'city', label: 'city' },
    { name: 'country', label: 'country', hint: 'ISO code, e.g. DE' },
    { name: 'phone', label: 'phone', hint: 'optional' }
  ]
  const draft = (v: Record<string, string>): AddressDraft => ({ name: v.name ?? '', street: v.street ?? '', city: v.city ?? '', postcode: v.postcode ?? '', country: v.country ?? '', phone: v.phone ?? '' })
  return (
    <Box flexDirection='column'>
      <Text color='yellow' wrap='truncate-end'>your shipping address, encrypted to this job's printer (and, in a dispute, its mediator and arbitrator)</Text>
      <LineForm
        fields={fields}
        initial={x === null ? {} : { name: x.name, street: x.street, postcode: x.postcode, city: x.city, country: x.country, phone: x.phone ?? '' }}
        active={active}
        validate={(v) => core.jobTools.validateAddress(draft(v))}
        onSubmit={(v) => onSubmit(draft(v))}
        onCancel={onCancel}
        onInvalid={(f, error) => say({ kind: 'error', text: `${f.label}: ${error}` })}
        onFixed={() => say(null)}
      />
    </Box>
  )
}

// A small keyboard form: labelled one-line fields, validated as you type, Tab/↑↓ to move, Enter on the last field
// (or Ctrl-S) to submit, Esc to cancel. The hook owns the keys while `active`; the screen owns what submit does.
import { Box, Text } from 'ink'
import { useRef } from 'react'
import { useKeys, useFieldKeys } from './useKeys.js'
import { TextField, editText } from './TextField.js'
import { useRefState } from './useRefState.js'

export interface FormField { name: string, label: string, hint?: string }
export type FormValues = Record<string, string>
export type FormErrors = Record<string, string | undefined>

export interface FormOptions {
  fields: FormField[]
  initial?: FormValues
  active: boolean
  validate?: (v: FormValues) => FormErrors
  onSubmit: (v: FormValues) => void
  onCancel: () => void
  onInvalid: (field: FormField, error: string) => void // submit refused: say what to fix
  onFixed?: () => void // the field a refused submit named is valid now: the message about it can go
}

export interface FormHandle { values: FormValues, focus: number, errors: FormErrors, touched: Record<string, boolean> }

type Key = Parameters<Parameters<typeof useKeys>[0]>[1]

export function useForm (o: FormOptions): FormHandle {
  const blank = (): FormValues => Object.fromEntries(o.fields.map(f => [f.name, o.initial?.[f.name] ?? '']))
  const [values, setValues, valuesRef] = useRefState<FormValues>(blank)
  const [focus, setFocus, focusRef] = useRefState(0)
  const [touched, setTouched, touchedRef] = useRefState<Record<string, boolean>>({})
  const errors = o.validate?.(values) ?? {}
  const refused = useRef<string | null>(null)

  const submit = (): void => {
    const v = valuesRef.current
    setTouched(Object.fromEntries(o.fields.map(f => [f.name, true])))
    const errs = o.validate?.(v) ?? {}
    const bad = o.fields.findIndex(f => errs[f.name] !== undefined)
    if (bad >= 0) { setFocus(bad); refused.current = o.fields[bad].name; o.onInvalid(o.fields[bad], errs[o.fields[bad].name]!); return }
    refused.current = null
    o.onSubmit(v)
  }

  const onKey = (input: string, key: Key): void => {
    const i = focusRef.current
    const f = o.fields[i]
    if (key.escape) { o.onCancel(); return }
    if (key.ctrl && input === 's') { submit(); return }
    if (key.tab || key.downArrow || key.upArrow || key.return) {
      setTouched({ ...touchedRef.current, [f.name]: true })
      if (key.return && i === o.fields.length - 1) { submit(); return }
      setFocus((i + (key.upArrow || key.shift ? o.fields.length - 1 : 1)) % o.fields.length)
      return
    }
    const v = valuesRef.current
    const next = editText(v[f.name], input, key)
    if (next !== v[f.name]) {
      const now = { ...v, [f.name]: next }
      setValues(now)
      setTouched({ ...touchedRef.current, [f.name]: true })
      if (refused.current === f.name && o.validate?.(now)[f.name] === undefined) { refused.current = null; o.onFixed?.() }
    }
  }

  useFieldKeys(onKey, { isActive: o.active })

  return { values, focus, errors, touched }
}

export function FormView ({ fields, form, width = 12, footer }: { fields: FormField[], form: FormHandle, width?: number, footer?: string }): React.JSX.Element {
  return (
    <Box flexDirection='column'>
      {fields.map((f, i) => (
        <TextField key={f.name} label={f.label} width={width} value={form.values[f.name] ?? ''} focused={form.focus === i} hint={f.hint} error={form.touched[f.name] === true ? form.errors[f.name] : undefined} />
      ))}
      <Text dimColor>{footer ?? (fields.length > 1 ? 'Tab next field · Enter on the last field submits · Esc cancel' : 'Enter submit · Esc cancel')}</Text>
    </Box>
  )
}

// The form as one component: mounted while open, so each opening starts from `initial`.
export function Form (p: FormOptions & { width?: number, footer?: string }): React.JSX.Element {
  const form = useForm(p)
  return <FormView fields={p.fields} form={form} width={p.width} footer={p.footer} />
}

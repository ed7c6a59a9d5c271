// What a terminal sends, as keys: a read split into the keys it holds, and each key read as Ink's useInput reads it
// (the same `input` and `Key`), so the app's handlers see what they would see from useInput.
import type { Key } from 'ink'

// A chunk as Ink's input parser hands it on (escape sequences already apart) split into keys: each control character,
// and printable runs. A run's first character goes alone: it may be a key that opens a field (`p`, `f`, `/`), the
// rest being the text typed into it; the rest stays one piece, so a paste is one edit.
export function splitKeys (chunk: string): string[] {
  if (chunk.startsWith('\u001B') || chunk.length <= 1) return chunk === '' ? [] : [chunk]
  return (chunk.match(/[\u0000-\u001f\u007f]|[^\u0000-\u001f\u007f]+/g) ?? []).flatMap(k => {
    const first = [...k][0]
    return k.length > first.length ? [first, k.slice(first.length)] : [k]
  })
}

const NAMES: Record<string, string> = {
  '[A': 'up', '[B': 'down', '[C': 'right', '[D': 'left', '[H': 'home', '[F': 'end',
  OA: 'up', OB: 'down', OC: 'right', OD: 'left', OH: 'home', OF: 'end',
  '[1~': 'home', '[4~': 'end', '[7~': 'home', '[8~': 'end', '[5~': 'pageup', '[6~': 'pagedown', '[[5~': 'pageup', '[[6~': 'pagedown',
  '[3~': 'delete', '[Z': 'tab'
}
// Ink's parse-keypress: ESC [ or O, an optional number and modifier, a final character
const FN = /^(?:\u001B+)(O|N|\[|\[\[)(?:(\d+)(?:;(\d+))?([~^$])|(?:1;)?(\d+)?([a-zA-Z]))/

export function parseKey (s: string): { input: string, key: Key } {
  const key: Key = { upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false, return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false, super: false, hyper: false, capsLock: false, numLock: false, eventType: undefined }
  const named = (name: string): { input: string, key: Key } => {
    key.upArrow = name === 'up'
    key.downArrow = name === 'down'
    key.leftArrow = name === 'left'
    key.rightArrow = name === 'right'
    key.pageUp = name === 'pageup'
    key.pageDown = name === 'pagedown'
    key.home = name === 'home'
    key.end = name === 'end'
    key.return = name === 'return'
    key.escape = name === 'escape'
    key.tab = name === 'tab'
    key.backspace = name === 'backspace'
    key.delete = name === 'delete'
    if (name === 'escape') key.meta = true
    return { input: '', key }
  }
  if (s === '\r' || s === '\u001B\r') { key.meta = s.length === 2; return { ...named('return'), input: '\r' } }
  if (s === '\t') return named('tab')
  if (s === '\b' || s === '\u001B\b') { key.meta = s.length === 2; return named('backspace') }
  if (s === '\u007f' || s === '\u001B\u007f') { key.meta = s.length === 2; return named('delete') }
  if (s === '\u001B' || s === '\u001B\u001B') return named('escape')
  if (s.length === 1 && s <= '\u001a' && s !== '\n') { key.ctrl = true; return { input: String.fromCharCode(s.charCodeAt(0) + 96), key } }
  const meta = /^\u001B([a-zA-Z0-9])$/.exec(s)
  if (meta !== null) { key.meta = true; key.shift = /[A-Z]/.test(meta[1]); return { input: meta[1], key } }
  const fn = FN.exec(s)
  if (fn !== null) {
    const code = [fn[1], fn[2], fn[4], fn[6]].filter(Boolean).join('')
    const mod = Number(fn[3] ?? fn[5] ?? 1) - 1
    key.ctrl = (mod & 4) !== 0
    key.meta = (mod & 10) !== 0
    key.shift = (mod & 1) !== 0 || code === '[Z'
    // an unknown function key (F5, Insert…) is no text
    return named(NAMES[code] ?? '')
  }
  if (s.startsWith('\u001B')) { key.meta = true; return { input: s.slice(1), key } }
  if (s.length === 1 && /[A-Z]/.test(s)) key.shift = true
  return { input: s, key }
}

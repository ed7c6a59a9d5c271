// Text that other peers wrote, made safe to print: a title or a chat message reaches this peer's terminal, and
// control characters in it (escape sequences that move the cursor, rewrite the screen or the window title) or
// bidirectional overrides (text that reads differently from what it is) must not act there. They become U+FFFD;
// line breaks and tabs stay where a text may have several lines.
const SINGLE_LINE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g
const MULTI_LINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g

export function printable (text: string, multiline = false): string {
  return text.replace(multiline ? MULTI_LINE : SINGLE_LINE, '\ufffd')
}

// A time in ms as ISO 8601; a value no Date can hold (an op's stated time is only bounded) is shown as the number.
export function isoTime (ms: number): string {
  const d = new Date(ms)
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString()
}

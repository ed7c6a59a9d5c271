// The '#name' imports of package.json: Node's built-in module under Node (the "default" condition), its bare-*
// counterpart under Bare (the "bare" condition). TypeScript does not follow an imports target that names a built-in, so
// each is declared here as the Node module's own types: lib/ uses only what both sides have (test/imports.test.ts).
declare module '#fs' {
  import m = require('fs')
  export = m
}
declare module '#path' {
  import m = require('path')
  export = m
}
declare module '#os' {
  import m = require('os')
  export = m
}
declare module '#crypto' {
  import m = require('crypto')
  export = m
}
declare module '#http' {
  import m = require('http')
  export = m
}
declare module '#https' {
  import m = require('https')
  export = m
}
declare module '#net' {
  import m = require('net')
  export = m
}
declare module '#zlib' {
  import m = require('zlib')
  export = m
}
declare module '#child_process' {
  import m = require('child_process')
  export = m
}
declare module '#string_decoder' {
  import m = require('string_decoder')
  export = m
}
declare module '#dgram' {
  import m = require('dgram')
  export = m
}
declare module '#process' {
  import m = require('process')
  export = m
}
declare module '#events' {
  import m = require('events')
  export = m
}
declare module '#stream' {
  import m = require('stream')
  export = m
}
declare module '#url' {
  import m = require('url')
  export = m
}
declare module '#tty' {
  import m = require('tty')
  export = m
}
declare module '#v8' {
  import m = require('v8')
  export = m
}

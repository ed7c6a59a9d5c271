// brittle-bare with the imports map of the Bare entries: `bare bare/brittle-bare.mjs [brittle flags] FILES…` runs
// brittle test files compiled to JavaScript (tsconfig.bare-test.json → dist-test/) under Bare. The map gives the
// tests and the dependencies their bare-* modules for the Node built-in names they import; globals.js first fills in
// the globals Bare lacks.
import '../dist-test/bare/globals.js' with { imports: './bare-imports.json' }
import '../node_modules/brittle/cmd.js' with { imports: './bare-imports.json' }

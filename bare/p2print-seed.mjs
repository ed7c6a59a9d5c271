#!/usr/bin/env bare
// `p2print-seed`: the seeder under Bare (`npx bare bare/p2print-seed.mjs …`, or `npx p2print-seed …` from a clone).
// The imports attribute hands the compiled entry and everything it loads the map from Node built-in names (as the
// dependencies write them: 'fs', 'node:crypto', …) to their bare-* modules. Run `npm run build` first (dist/).
import '../dist/bare/main.js' with { imports: './bare-imports.json' }

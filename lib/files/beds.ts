// Printer build volumes and material densities, as data. The analysis (analyze.ts) lists the beds a model fits and
// its solid weight per material.
import type { Material } from '../schema.js'

export interface Bed {
  name: string
  x: number // mm
  y: number // mm
  z: number // mm (build height)
}

// Common printers' build volumes (manufacturer figures, mm), smallest first. A bed stands for every printer of that
// size: 'Ender 3 / 220' is the Ender 3 family and other 220 × 220 printers.
export const BEDS: readonly Bed[] = [
  { name: 'Elegoo Mars 4 (resin)', x: 153.36, y: 77.76, z: 175 },
  { name: 'Prusa MINI', x: 180, y: 180, z: 180 },
  { name: 'Bambu A1 mini', x: 180, y: 180, z: 180 },
  { name: 'Elegoo Saturn 3 (resin)', x: 218.88, y: 122.88, z: 250 },
  { name: 'Ender 3 / 220', x: 220, y: 220, z: 250 },
  { name: 'Prusa MK4', x: 250, y: 210, z: 220 },
  { name: 'Bambu X1/P1', x: 256, y: 256, z: 256 },
  { name: 'Voron 300', x: 300, y: 300, z: 300 },
  { name: 'CR-10 S', x: 300, y: 300, z: 400 },
  { name: 'Prusa XL', x: 360, y: 360, z: 360 }
]

// Densities in g/cm³ of the solid material (100 % infill), so the analysis' weight is an upper bound of the printed
// part's weight (a part printed with walls and sparse infill weighs less). Typical datasheet values: PLA 1.24,
// ABS 1.04, PETG 1.27, TPU 1.21, Nylon (PA6/PA12 filaments) 1.14, Resin (standard photopolymer, cured) ~1.10;
// Other is an assumed middle value.
export const DENSITY: Readonly<Record<Material, number>> = {
  PLA: 1.24,
  ABS: 1.04,
  PETG: 1.27,
  TPU: 1.21,
  Nylon: 1.14,
  Resin: 1.10,
  Other: 1.20
}

// Reviews and printer profiles (ops 40–49; lib/reputation).
import type c from 'compact-encoding'
import { boundedString, boundedArray, boundedUint } from '../codec.js'
import { MATERIALS, country, material, type Material } from './common.js'

export const REPUTATION_LIMITS = {
  reviewChars: 280,
  profileNoteChars: 500,
  bedMmMax: 10_000
} as const

// What a printer offers. Latest per writer (in log order) wins; an empty materials list takes the printer off the
// listing.
export interface PrinterProfile {
  materials: Material[]
  bedMm: [number, number, number]
  country: string
  note: string
}

export const reviewText = boundedString(REPUTATION_LIMITS.reviewChars)
export const rating = boundedUint(255)
const bedMm = boundedUint(0xffffffff)
const profileMaterials = boundedArray(material, MATERIALS.length)
const profileNote = boundedString(REPUTATION_LIMITS.profileNoteChars)
export const printerProfile: c.Encoder<PrinterProfile> = {
  preencode (state, p) {
    profileMaterials.preencode(state, p.materials)
    for (let i = 0; i < 3; i++) bedMm.preencode(state, p.bedMm[i])
    country.preencode(state, p.country)
    profileNote.preencode(state, p.note)
  },
  encode (state, p) {
    profileMaterials.encode(state, p.materials)
    for (let i = 0; i < 3; i++) bedMm.encode(state, p.bedMm[i])
    country.encode(state, p.country)
    profileNote.encode(state, p.note)
  },
  decode (state) {
    return {
      materials: profileMaterials.decode(state),
      bedMm: [bedMm.decode(state), bedMm.decode(state), bedMm.decode(state)],
      country: country.decode(state),
      note: profileNote.decode(state)
    }
  }
}

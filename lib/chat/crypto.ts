// The chat's cryptography, all libsodium (sodium-native):
//  - each peer's chat key pair (X25519, crypto_box) is derived from its writer secret key in the market:
//    seed = BLAKE2b-256(writer secret key, key = 'p2print/chat-x25519/v1'). The writer key pair is itself derived
//    from the storage's Corestore primary key and never leaves the disk, so the chat key needs no file of its own,
//    survives restarts, is backed up with the storage, and differs per market (no linking across markets);
//  - a conversation key K (32 random bytes, crypto_secretbox) is sealed to a reader's public key (crypto_box_seal);
//  - keyId = BLAKE2b-256(K, key = 'p2print/chat-key-id'): published with every wrap and message, it lets a reader
//    check that what it unsealed is the key the messages name (a bogus wrap is simply skipped);
//  - messages and photos are crypto_secretbox under K with a fresh random 24-byte nonce each.
import b4a from 'b4a'
import sodium from 'sodium-native'
import { NONCE_BYTES, MAC_BYTES, KEY_BYTES, SEAL_BYTES } from './codec.js'

const CHAT_KEY_DOMAIN = b4a.from('p2print/chat-x25519/v1')
const KEY_ID_DOMAIN = b4a.from('p2print/chat-key-id')

export interface ChatKeyPair { publicKey: Uint8Array, secretKey: Uint8Array }

export function chatKeyPairFrom (writerSecretKey: Uint8Array): ChatKeyPair {
  const seed = b4a.alloc(sodium.crypto_box_SEEDBYTES)
  sodium.crypto_generichash(seed, writerSecretKey, CHAT_KEY_DOMAIN)
  const publicKey = b4a.alloc(sodium.crypto_box_PUBLICKEYBYTES)
  const secretKey = b4a.alloc(sodium.crypto_box_SECRETKEYBYTES)
  sodium.crypto_box_seed_keypair(publicKey, secretKey, seed)
  sodium.sodium_memzero(seed)
  return { publicKey, secretKey }
}

export function newConversationKey (): Uint8Array {
  const k = b4a.alloc(KEY_BYTES)
  sodium.randombytes_buf(k)
  return k
}

export function keyIdOf (k: Uint8Array): Uint8Array {
  const out = b4a.alloc(32)
  sodium.crypto_generichash(out, k, KEY_ID_DOMAIN)
  return out
}

// Whether a published key is one a key can be sealed to: an X25519 point whose shared secret with a fixed scalar is
// not all zero (libsodium refuses low-order points, which crypto_box_seal would then fail on). Deterministic: apply
// uses it.
const PROBE = b4a.alloc(sodium.crypto_scalarmult_SCALARBYTES, 7)
export function isSealable (publicKey: Uint8Array): boolean {
  if (publicKey.byteLength !== sodium.crypto_scalarmult_BYTES) return false
  const out = b4a.alloc(sodium.crypto_scalarmult_BYTES)
  try {
    sodium.crypto_scalarmult(out, PROBE, publicKey)
  } catch {
    return false
  }
  return !out.every(x => x === 0)
}

export function sealKey (k: Uint8Array, readerPublicKey: Uint8Array): Uint8Array {
  const out = b4a.alloc(KEY_BYTES + SEAL_BYTES)
  sodium.crypto_box_seal(out, k, readerPublicKey)
  return out
}

// The key in a wrap, if it opens with this key pair and matches keyId; otherwise null.
export function openKey (sealed: Uint8Array, keyId: Uint8Array, kp: ChatKeyPair): Uint8Array | null {
  if (sealed.byteLength !== KEY_BYTES + SEAL_BYTES) return null
  const k = b4a.alloc(KEY_BYTES)
  try {
    if (!sodium.crypto_box_seal_open(k, sealed, kp.publicKey, kp.secretKey)) return null
  } catch {
    return null
  }
  return b4a.equals(keyIdOf(k), keyId) ? k : null
}

export function encrypt (plain: Uint8Array, k: Uint8Array): { nonce: Uint8Array, ciphertext: Uint8Array } {
  const nonce = b4a.alloc(NONCE_BYTES)
  sodium.randombytes_buf(nonce)
  const ciphertext = b4a.alloc(plain.byteLength + MAC_BYTES)
  sodium.crypto_secretbox_easy(ciphertext, plain, nonce, k)
  return { nonce, ciphertext }
}

export function decrypt (nonce: Uint8Array, ciphertext: Uint8Array, k: Uint8Array): Uint8Array | null {
  if (nonce.byteLength !== NONCE_BYTES || ciphertext.byteLength < MAC_BYTES) return null
  const plain = b4a.alloc(ciphertext.byteLength - MAC_BYTES)
  try {
    return sodium.crypto_secretbox_open_easy(plain, ciphertext, nonce, k) ? plain : null
  } catch {
    return null
  }
}

// A photo as stored in a drive: nonce || secretbox(image).
export function sealPhoto (image: Uint8Array, k: Uint8Array): Uint8Array {
  const { nonce, ciphertext } = encrypt(image, k)
  return b4a.concat([nonce, ciphertext])
}

export function openPhoto (stored: Uint8Array, k: Uint8Array): Uint8Array | null {
  if (stored.byteLength < NONCE_BYTES + MAC_BYTES) return null
  return decrypt(stored.subarray(0, NONCE_BYTES), stored.subarray(NONCE_BYTES), k)
}

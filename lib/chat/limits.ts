// The chat's limits, apart from its codecs (lib/errors.ts names them in its messages and must load fast).
export const CHAT_LIMITS = {
  textBytes: 2048, // UTF-8 bytes of a message's text
  plaintextBytes: 3072, // the whole encrypted payload: text, photo names, header
  photosPerMessage: 10,
  photosPerJob: 10, // per author per epoch: nobody can use up the others' allowance
  photoBytes: 5 * 1024 * 1024, // an image before encryption
  photoNameChars: 64,
  wrapsPerGrant: 4, // client, printer, mediator, arbitrator
  keysPerJob: 8, // conversation keys per epoch (two parties may start the chat at once; a key is never rotated otherwise)
  keysPerAuthor: 2, // per author per epoch: nobody can fill the epoch's keys and lock the others out
  messagesPerJob: 10_000, // per author per epoch (positions in the job keep counting)
} as const

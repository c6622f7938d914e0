/** Nest token of the PayloadSeal (made asynchronously: libsodium loads first). */
export const PAYLOAD_SEAL = Symbol('PAYLOAD_SEAL');

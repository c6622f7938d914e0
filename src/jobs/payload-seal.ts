import sodium from 'libsodium-wrappers';

/** crypto_kdf's context: 8 bytes naming what the derived key is for. */
const KDF_CONTEXT = 'jobsseal';
const KDF_SUBKEY_ID = 1;

/**
 * Encrypts the payloads of job types that carry secrets (a mail with a reset link) before they reach the jobs table:
 * libsodium's secretbox (XSalsa20-Poly1305) under a key derived from SESSION_SECRET, a random nonce per payload
 * stored in front of the ciphertext, as libsodium's documentation does it. Every instance shares SESSION_SECRET, so
 * any worker opens what any instance sealed; a payload changed in the table fails to open.
 */
export class PayloadSeal {
  private constructor(private readonly key: Uint8Array) {}

  static async fromSecret(secret: string): Promise<PayloadSeal> {
    await sodium.ready;
    const master = sodium.crypto_generichash(sodium.crypto_kdf_KEYBYTES, sodium.from_string(secret), null);
    return new PayloadSeal(sodium.crypto_kdf_derive_from_key(sodium.crypto_secretbox_KEYBYTES, KDF_SUBKEY_ID, KDF_CONTEXT, master));
  }

  seal(plaintext: string): string {
    const nonce = sodium.randombytes_buf(sodium.crypto_secretbox_NONCEBYTES);
    const box = sodium.crypto_secretbox_easy(sodium.from_string(plaintext), nonce, this.key);
    const sealed = new Uint8Array(nonce.length + box.length);
    sealed.set(nonce);
    sealed.set(box, nonce.length);
    return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
  }

  /** Throws when the payload was not sealed with this key or was changed since. */
  open(sealed: string): string {
    const bytes = sodium.from_base64(sealed, sodium.base64_variants.ORIGINAL);
    const nonce = bytes.subarray(0, sodium.crypto_secretbox_NONCEBYTES);
    const box = bytes.subarray(sodium.crypto_secretbox_NONCEBYTES);
    return sodium.to_string(sodium.crypto_secretbox_open_easy(box, nonce, this.key));
  }
}

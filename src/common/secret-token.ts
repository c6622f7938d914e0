import { createHash, randomBytes } from 'node:crypto';

/** A secret for an emailed or shared link: 32 random bytes, URL-safe. Only its hash is ever stored. */
export const newSecretToken = () => randomBytes(32).toString('base64url');

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

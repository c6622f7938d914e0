/**
 * Everything Photosphere creates under DATA_DIR is for its own user only: the database holds password hashes and live
 * session ids, the session secret signs every cookie, and the photos are private.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Makes every file and folder this process creates private, whoever creates it (SQLite and its journal files,
 * libraries): called first at start-up. The app's own code passes the modes explicitly as well, so the rule also holds
 * where it runs in a process that did not call this (the tests' in-process app).
 */
export function createFilesPrivately(): void {
  process.umask(0o077);
}

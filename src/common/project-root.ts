import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The folder holding package.json, views/, public/ and assets/ — the same from src/ (tests) and dist/src/ (built). */
export const PROJECT_ROOT = findProjectRoot(__dirname);

function findProjectRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * jest's require() cannot load file-type (an ES module), so jest maps `file-type` here and this loads it through
 * jest's ES module loader (needs --experimental-vm-modules, set by `npm test`). The import is compiled per test
 * file with unique source text: V8 caches identical `new Function` code, and a cached copy would still point at a
 * previous test file's (torn-down) module loader.
 */
const load = new Function('url', `return import(url); // ${Math.random()}`) as (url: string) => Promise<typeof import('file-type')>;
const entry = pathToFileURL(join(__dirname, '..', '..', 'node_modules', 'file-type', 'index.js')).href;

export const fileTypeFromBuffer: (typeof import('file-type'))['fileTypeFromBuffer'] = async (buffer) =>
  (await load(entry)).fileTypeFromBuffer(buffer);

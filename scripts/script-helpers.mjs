// What the build and packaging scripts share.
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * node-gyp's --nodedir for this Node's own headers, where it has them (Debian's and the official
 * tarballs do): otherwise node-gyp downloads them. lib/cli.ts does the same for users.
 */
export function localNodedirArgs() {
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

/** Whether the module at `url` is the script node was started with (paths with spaces or links included). */
export function isMain(url) {
  return !!process.argv[1] && fileURLToPath(url) === realpathSync(process.argv[1]);
}

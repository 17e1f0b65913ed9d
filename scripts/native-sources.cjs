// Prints the native sources of the groups named on the command line ("core", "binding"),
// one per line, from native/sources.txt: binding.gyp expands this with <!@(...).
'use strict';
const fs = require('fs');
const path = require('path');

function readGroups() {
  const text = fs.readFileSync(path.join(__dirname, '..', 'native', 'sources.txt'), 'utf8');
  const groups = {};
  let current = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      current = header[1];
      groups[current] = [];
    } else if (current) {
      groups[current].push(line);
    }
  }
  return groups;
}

if (require.main === module) {
  const groups = readGroups();
  for (const name of process.argv.slice(2)) {
    if (!groups[name]) throw new Error(`native/sources.txt has no [${name}] group`);
    console.log(groups[name].join('\n'));
  }
}

module.exports = { readGroups };

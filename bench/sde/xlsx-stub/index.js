'use strict'
// Stand-in for SheetJS xlsx, which @sdeverywhere/compile depends on but
// which is published on a host outside the npm registry (bench/sde/package.json
// points npm here instead). The bench models read no spreadsheets: set_fs,
// which the compiler calls when it loads, does nothing, and anything else is
// an error that says why.
function unavailable(name) {
  return function () {
    throw new Error(`xlsx.${name}: not available in Territory's bench (a stub package); the model reads a spreadsheet`)
  }
}
const utils = new Proxy({}, { get: (target, name) => unavailable(`utils.${String(name)}`) })
module.exports = {
  set_fs() {},
  readFile: unavailable('readFile'),
  read: unavailable('read'),
  utils
}

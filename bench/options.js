'use strict';
// Command-line options of the bench scripts: `option('--name')` takes `--name value` out of the
// arguments and returns the value (undefined when absent); the rest are positional.

const args = process.argv.slice(2);

function option(name) {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args.splice(index, 2)[1];
}

module.exports = { args, option };

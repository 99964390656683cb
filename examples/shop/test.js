// The shop's own checks, run by Ferry's test step before anything is deployed.
const assert = require('node:assert');
const fs = require('node:fs');

const release = JSON.parse(fs.readFileSync(`${__dirname}/release.json`, 'utf8'));
assert.ok(typeof release.name === 'string' && release.name.length > 0, 'release.json needs a name');
assert.ok(release.failRate >= 0 && release.failRate <= 1, 'failRate is between 0 and 1');
for (const file of fs.readdirSync(`${__dirname}/migrations`)) {
  assert.match(file, /^\d+_[a-z_]+\.(up|down)\.sql$/, `${file} is a migration file name`);
}
console.log('shop: all checks passed');

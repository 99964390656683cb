'use strict';

module.exports = async function stopKubernetes() {
  const child = globalThis.ferryKubernetesControlPlane;
  if (!child || child.exitCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await gone;
};

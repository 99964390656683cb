// The minimal worker's one workflow: a hello that calls one activity.
'use strict';
const { proxyActivities } = require('@temporalio/workflow');

const { greet } = proxyActivities({ startToCloseTimeout: '10s' });

exports.hello = async function hello(name) {
  return greet(name);
};

// Every kind of page failure the host should hear of (see the scenario page_failures_*).
console.error('deliberate console error', { code: 7 });
console.warn('deliberate warning');
console.log('quiet: console.log is not forwarded');
setTimeout(() => {
  throw new Error('deliberate uncaught error');
}, 0);
Promise.reject(new Error('deliberate rejection'));

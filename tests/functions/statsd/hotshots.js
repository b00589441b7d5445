// Sends with npm hot-shots to 127.0.0.1:<port> (argv[2]), then exits once every datagram
// is out: shop.node.orders +4 tagged env:test, shop.node.stock -1, shop.node.sampled 1 at
// rate 0.5 (= 2), shop.node.latency distribution 20, shop.node.size histogram 2 at rate
// 0.5 (= 2 samples, sum 4), shop.node.step timing 15 ms, shop.node.depth gauge 9.
'use strict';
const StatsD = require('hot-shots');

// The client's sampling coin (`Math.random() >= rate` skips a value): always send, so the
// totals are exact while the wire still carries the rate.
Math.random = () => 0;

const client = new StatsD({
  host: '127.0.0.1',
  port: Number(process.argv[2] || 8125),
  prefix: 'shop.node.',
  errorHandler: (error) => {
    console.error(`hot-shots: ${error}`);
    process.exitCode = 1;
  },
});

const sends = [
  (done) => client.increment('orders', 4, ['env:test'], done),
  (done) => client.decrement('stock', 1, done),
  (done) => client.increment('sampled', 1, 0.5, done),
  (done) => client.distribution('latency', 20, done),
  (done) => client.histogram('size', 2, 0.5, done),
  (done) => client.timing('step', 15, done),
  (done) => client.gauge('depth', 9, done),
];

Promise.all(
  sends.map((send) => new Promise((resolve, reject) => {
    send((error) => (error ? reject(error) : resolve()));
  })),
).then(
  () => client.close(),
  (error) => {
    console.error(`hot-shots: ${error}`);
    process.exitCode = 1;
    client.close();
  },
);

"""Sends metrics over UDP with real StatsD clients, as a function would, to the port in
STATSD_PORT (default 8125): Datadog's DogStatsd (pip `datadog`), pip `statsd` and, through
`node hotshots.js`, npm `hot-shots`. Each client's section below lists what one invoke
sends; the end-to-end tests (tests/tests/e2e_statsd.rs) expect exactly those totals.

The clients sample client-side: with a rate r they send a value only when their coin says
so. Here the coin always says send, so every sampled value goes out, still marked `|@r`,
and the expected totals are exact: metricline must scale each by 1/r.

The event picks the senders: {"clients": [...], "malformed": true, "burst": N}; every
invoke also prints one MONITORING| line (shop.fn.calls 1).
"""
import os
import random
import socket
import subprocess
import time

import datadog.dogstatsd.base
from datadog.dogstatsd import DogStatsd
from statsd import StatsClient

HOST = "127.0.0.1"
PORT = int(os.environ.get("STATSD_PORT", "8125"))
HERE = os.path.dirname(os.path.abspath(__file__))

# The clients' sampling coin: `random() > rate` skips a value.
datadog.dogstatsd.base.random = lambda: 0.0
random.random = lambda: 0.0


def send_datadog():
    """shop.dd.orders +2, shop.dd.stock -1, shop.dd.sampled 1 @0.5 (= 2), all tagged
    env:test (orders also vip); shop.dd.latency distribution 12.5 and 7.5; shop.dd.size
    histogram 3 @0.25 (= 4 samples, sum 12); shop.dd.step timing 40 ms; shop.dd.depth
    gauge 42; one event and one service check."""
    client = DogStatsd(host=HOST, port=PORT, disable_telemetry=True)
    tags = ["env:test"]
    client.increment("shop.dd.orders", 2, tags=tags + ["vip"])
    client.decrement("shop.dd.stock", tags=tags)
    client.increment("shop.dd.sampled", 1, sample_rate=0.5, tags=tags)
    client.distribution("shop.dd.latency", 12.5, tags=tags)
    client.distribution("shop.dd.latency", 7.5, tags=tags)
    client.histogram("shop.dd.size", 3, sample_rate=0.25)
    client.timing("shop.dd.step", 40)
    client.gauge("shop.dd.depth", 42)
    client.event("deployed", "version 2", tags=tags)
    client.service_check("shop.dd.db", 0)
    client.flush()
    client.close_socket()


def send_statsd():
    """shop.py.orders +3, shop.py.stock -2, shop.py.sampled 1 @0.25 (= 4); shop.py.latency
    timing 12 ms; shop.py.depth gauge 5; shop.py.level gauge -3 (the client sends `0|g`
    then `-3|g`); one datagram of three lines from a pipeline: shop.py.batched +1 twice
    and shop.py.batched_time 5 ms; and a set, shop.py.users, which metricline rejects."""
    client = StatsClient(HOST, PORT, prefix="shop.py")
    client.incr("orders", 3)
    client.decr("stock", 2)
    client.incr("sampled", 1, rate=0.25)
    client.timing("latency", 12)
    client.gauge("depth", 5)
    client.gauge("level", -3)
    with client.pipeline() as pipe:
        pipe.incr("batched")
        pipe.incr("batched")
        pipe.timing("batched_time", 5)
    client.set("users", "alice")
    client.close()


def send_hotshots():
    """What hotshots.js sends (see there), under Node."""
    subprocess.run(["node", os.path.join(HERE, "hotshots.js"), str(PORT)], check=True)


MALFORMED = [
    b"shop.raw.good:1|c\nshop.raw.bad:x|c\nno-pipe\nshop.raw.good:1|c|@2",
    b"9bad:1|c\nshop.raw.good:2|c|#:v\nshop.raw.good:5|c",
    b"shop.raw.good:\xff|c",
]


def send_malformed(sock):
    """shop.raw.good 1 and 5 among lines rejected for bad_value, statsd_syntax (twice,
    once for bytes that are not UTF-8), bad_sample_rate, invalid_name and bad_tags."""
    for datagram in MALFORMED:
        sock.sendto(datagram, (HOST, PORT))


SENDERS = {"datadog": send_datadog, "statsd": send_statsd, "hotshots": send_hotshots}


def handler(event, context):
    event = event or {}
    print("MONITORING|%d|1|count|shop.fn.calls" % int(time.time()))
    for name in event.get("clients", []):
        SENDERS[name]()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if event.get("malformed"):
        send_malformed(sock)
    # The last thing before returning: these must still be in this invoke's flush.
    for _ in range(event.get("burst", 0)):
        sock.sendto(b"shop.burst:1|c", (HOST, PORT))
    sock.close()
    return {"ok": True}

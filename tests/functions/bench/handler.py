"""Prints `lines` metric lines per invoke (default 1000) for the benchmarks, in the mix a
busy instrumented function writes: per 10 lines, 5 MONITORING| lines (count, gauge,
histogram, with tags), 3 Datadog JSON lines (datadog_lambda's shape) and 2 EMF documents
(one with a multi-value metric). Tag values rotate over a few routes and tenants, so the
extension aggregates into a realistic number of streams instead of one.

The lines are written with one write call: the time measured is the extension's, not
Python's print loop.

With {"statsd": true} the function sends `lines` DogStatsD datagrams of one line each to
127.0.0.1:8125 instead, in the mix of a DogStatsD client: per 10, 4 counters (one
sampled), 2 gauges, 2 distributions, a histogram and a timer, tagged like the lines.
"""
import json
import socket
import sys
import time

ROUTES = ["/cart", "/checkout", "/search", "/orders", "/login"]
TENANTS = ["acme", "globex", "initech", "umbrella"]


def block(now, i):
    route = ROUTES[i % len(ROUTES)]
    tenant = TENANTS[i % len(TENANTS)]
    emf = {
        "_aws": {
            "Timestamp": now * 1000,
            "CloudWatchMetrics": [{
                "Namespace": "Shop",
                "Dimensions": [["service", "route"]],
                "Metrics": [
                    {"Name": "Latency", "Unit": "Milliseconds"},
                    {"Name": "Orders", "Unit": "Count"},
                ],
            }],
        },
        "service": "orders",
        "route": route,
        "Latency": [12.5 + i % 7, 8.25, 30.0],
        "Orders": 1,
    }
    emf_bytes = {
        "_aws": {
            "Timestamp": now * 1000,
            "CloudWatchMetrics": [{
                "Namespace": "Shop",
                "Dimensions": [["service"]],
                "Metrics": [{"Name": "PayloadSize", "Unit": "Bytes"}],
            }],
        },
        "service": "orders",
        "PayloadSize": 512 + i,
    }
    return [
        "MONITORING|%d|1|count|shop.requests|#route:%s,tenant:%s" % (now, route, tenant),
        "MONITORING|%d|%d|gauge|shop.queue.depth|#tenant:%s" % (now, i % 50, tenant),
        "MONITORING|%d|%.3f|histogram|shop.db.query_time|#route:%s" % (now, 0.002 * (i % 13), route),
        "MONITORING|%d|%.2f|distribution|shop.cart.value|#tenant:%s,env:prod" % (now, 10.5 + i % 90, tenant),
        "MONITORING|%d|2|count|shop.cache.hits|#route:%s" % (now, route),
        json.dumps({"m": "shop.orders.value", "v": 12.5 + i % 40, "e": now,
                    "t": ["env:prod", "tenant:" + tenant, "dd_lambda_layer:datadog-python311_8.130.0"]}),
        json.dumps({"m": "shop.payment.latency", "v": 0.05 * (i % 9), "e": now, "t": ["provider:card"]}),
        json.dumps({"m": "shop.items", "v": i % 6, "e": now, "t": ["route:" + route]}),
        json.dumps(emf, separators=(",", ":")),
        json.dumps(emf_bytes, separators=(",", ":")),
    ]


def datagrams(i):
    route = ROUTES[i % len(ROUTES)]
    tenant = TENANTS[i % len(TENANTS)]
    return [
        b"shop.requests:1|c|#route:%s,tenant:%s" % (route.encode(), tenant.encode()),
        b"shop.cache.hits:2|c|#route:%s" % route.encode(),
        b"shop.sampled:1|c|@0.5|#tenant:%s" % tenant.encode(),
        b"shop.errors:1|c|#route:%s,env:prod" % route.encode(),
        b"shop.queue.depth:%d|g|#tenant:%s" % (i % 50, tenant.encode()),
        b"shop.pool.size:%d|g" % (i % 8),
        b"shop.cart.value:%.2f|d|#tenant:%s,env:prod" % (10.5 + i % 90, tenant.encode()),
        b"shop.orders.value:%.1f|d|#env:prod" % (12.5 + i % 40),
        b"shop.db.rows:%d|h|#route:%s" % (i % 13, route.encode()),
        b"shop.db.query_time:%d|ms|#route:%s" % (2 + i % 13, route.encode()),
    ]


def send_datagrams(count):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    out = []
    for i in range(count // 10):
        out.extend(datagrams(i))
    for datagram in out:
        sock.sendto(datagram, ("127.0.0.1", 8125))
    sock.close()
    return {"datagrams": len(out)}


def handler(event, context):
    lines = (event or {}).get("lines", 1000)
    if (event or {}).get("statsd"):
        return send_datagrams(lines)
    now = int(time.time())
    out = []
    for i in range(lines // 10):
        out.extend(block(now, i))
    sys.stdout.write("\n".join(out) + "\n")
    return {"lines": len(out)}

-- wrk script: print the run's summary as one JSON line (latencies in microseconds).
-- Used by bench/run.py; request headers are set on the command line. With the argument
-- "cache-status" (`wrk ... url -- cache-status`) it also counts nginx's X-Cache-Status values,
-- which costs wrk a little CPU per response, so only the cases going through nginx ask for it.

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    statuses = {}
    if args[1] == "cache-status" then
        response = function(status, headers, body)
            local value = headers["X-Cache-Status"] or "none"
            statuses[value] = (statuses[value] or 0) + 1
        end
    end
end

done = function(summary, latency, requests)
    local counted = {}
    for _, thread in ipairs(threads) do
        for value, count in pairs(thread:get("statuses") or {}) do
            counted[value] = (counted[value] or 0) + count
        end
    end
    local parts = {}
    for value, count in pairs(counted) do
        table.insert(parts, string.format('"%s":%d', value, count))
    end
    local errors = summary.errors
    io.write(string.format(
        '{"requests":%d,"duration_us":%d,"bytes":%d,'
        .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
        .. '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f},'
        .. '"cache_status":{%s}}\n',
        summary.requests, summary.duration, summary.bytes,
        errors.connect, errors.read, errors.write, errors.status, errors.timeout,
        latency:percentile(50), latency:percentile(90), latency:percentile(99),
        latency.max, latency.mean, table.concat(parts, ",")))
end

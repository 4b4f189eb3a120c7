-- report.lua - the done() of the server benchmark's wrk scripts: prints
-- the throughput, the latency percentiles and the error counts as one
-- tab-separated `result` line that bench/run.sh parses.
local M = {}

function M.done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "result\trequests=%d\tseconds=%.3f\trps=%.1f\tp50_ms=%.3f\tp99_ms=%.3f" ..
    "\tmax_ms=%.3f\tnon2xx=%d\tconnect=%d\tread=%d\twrite=%d\ttimeout=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.status, e.connect, e.read, e.write, e.timeout))
end

return M
